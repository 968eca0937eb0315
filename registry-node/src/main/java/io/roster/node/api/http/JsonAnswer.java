package io.roster.node.api.http;

import com.google.protobuf.Message;
import io.grpc.stub.StreamObserver;
import io.roster.node.api.GrpcErrors;
import io.vertx.core.http.HttpServerResponse;

/**
 * Receives a unary call's answer from a grpc-java service method, as gRPC would, and writes it as
 * one HTTP response: 200 with the message in JSON, or the error the service failed with.
 *
 * <p>Threading: the services answer on the Vert.x context the call came from (their {@code
 * Replies}), which is the HTTP request's event loop; so every method here runs there.
 */
final class JsonAnswer<R extends Message> implements StreamObserver<R> {

  private final HttpServerResponse response;
  private R answer;

  JsonAnswer(HttpServerResponse response) {
    this.response = response;
  }

  @Override
  public void onNext(R value) {
    answer = value;
  }

  @Override
  public void onError(Throwable failure) {
    HttpErrors.send(response, failure);
  }

  @Override
  public void onCompleted() {
    if (response.ended() || response.closed()) {
      return; // The caller went away meanwhile.
    }
    String json;
    try {
      json = ProtoJson.print(answer);
    } catch (RuntimeException e) {
      HttpErrors.send(response, GrpcErrors.toStatus("printing an answer", e));
      return;
    }
    response.putHeader("content-type", "application/json").end(json);
  }
}
