package io.roster.node.api.http;

import io.grpc.Status;
import io.roster.node.api.DiscoveryGrpcService;
import io.roster.v1.WatchRequest;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;

/**
 * {@code POST /v1/watch}: the Watch stream of {@link DiscoveryGrpcService} as newline-delimited
 * JSON ({@link NdjsonStream}).
 *
 * <p>Immutable; called on the request's event loop.
 */
final class WatchEndpoint implements Endpoint {

  private final DiscoveryGrpcService discovery;

  WatchEndpoint(DiscoveryGrpcService discovery) {
    this.discovery = discovery;
  }

  private static final String RPC = "roster.v1.DiscoveryService/Watch";

  @Override
  public String rpc() {
    return RPC;
  }

  @Override
  public void serve(HttpServerRequest request, Buffer body) {
    WatchRequest watch;
    try {
      watch = ProtoJson.fromBody(body, WatchRequest.getDefaultInstance());
    } catch (BadRequestException e) {
      HttpErrors.refuse(request.response(), 400, Status.Code.INVALID_ARGUMENT, e.getMessage());
      return;
    }
    NdjsonStream stream = new NdjsonStream(request.response());
    Calls.invoke(request, RPC, stream, () -> discovery.watch(watch, stream));
    // The service validated the request synchronously: either it failed the stream (an error
    // answer went out) or the stream is open. Send the headers now, so the caller knows it is
    // watching even before the first change (a resume from the current revision sends nothing).
    stream.open();
  }
}
