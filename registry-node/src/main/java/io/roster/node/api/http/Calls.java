package io.roster.node.api.http;

import io.grpc.stub.StreamObserver;
import io.roster.node.api.GrpcErrors;
import io.vertx.core.http.HttpServerRequest;

/**
 * Calls a grpc-java service method directly from an HTTP request, as the gRPC server would: in the
 * gRPC {@link Context} of the request, which carries its caller's principal ({@link HttpApi} put it
 * there).
 *
 * <p>Stateless; called on the request's event loop.
 */
final class Calls {

  private Calls() {}

  /**
   * Runs {@code call}; a service method that throws instead of failing its observer (a bug) gets
   * INTERNAL (logged once, by {@link GrpcErrors}), as gRPC answers it, instead of leaving the HTTP
   * caller waiting forever.
   */
  static void invoke(
      HttpServerRequest request, String rpc, StreamObserver<?> observer, Runnable call) {
    try {
      call.run();
    } catch (RuntimeException | Error e) {
      observer.onError(GrpcErrors.toStatus(rpc, e));
    }
  }
}
