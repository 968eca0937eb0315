package io.roster.node.api.http;

import com.google.protobuf.Message;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import java.util.function.BiConsumer;

/**
 * One unary RPC over HTTP: the request message from the JSON body (POST) or the query string (GET),
 * the service method called with a {@link JsonAnswer}, the answer in JSON.
 *
 * <p>Immutable; called on the request's event loop.
 */
final class UnaryEndpoint<Q extends Message, R extends Message> implements Endpoint {

  private final String rpc;
  private final Q prototype;
  private final BiConsumer<Q, StreamObserver<R>> method;
  private final boolean fromQuery;

  private UnaryEndpoint(
      String rpc, Q prototype, BiConsumer<Q, StreamObserver<R>> method, boolean fromQuery) {
    this.rpc = rpc;
    this.prototype = prototype;
    this.method = method;
    this.fromQuery = fromQuery;
  }

  /** The request is the JSON body. */
  static <Q extends Message, R extends Message> UnaryEndpoint<Q, R> body(
      String rpc, Q prototype, BiConsumer<Q, StreamObserver<R>> method) {
    return new UnaryEndpoint<>(rpc, prototype, method, false);
  }

  /** The request is the query string. */
  static <Q extends Message, R extends Message> UnaryEndpoint<Q, R> query(
      String rpc, Q prototype, BiConsumer<Q, StreamObserver<R>> method) {
    return new UnaryEndpoint<>(rpc, prototype, method, true);
  }

  @Override
  public String rpc() {
    return rpc;
  }

  @Override
  public void serve(HttpServerRequest request, Buffer body) {
    Q message;
    try {
      message =
          fromQuery
              ? ProtoJson.fromQuery(request.query(), prototype)
              : ProtoJson.fromBody(body, prototype);
    } catch (BadRequestException e) {
      HttpErrors.refuse(request.response(), 400, Status.Code.INVALID_ARGUMENT, e.getMessage());
      return;
    }
    JsonAnswer<R> answer = new JsonAnswer<>(request.response());
    Calls.invoke(request, rpc, answer, () -> method.accept(message, answer));
  }
}
