package io.roster.node.api.http;

import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import io.roster.node.api.BearerTokenInterceptor;
import io.roster.node.api.GrpcErrors;
import io.vertx.core.http.HttpServerRequest;

/**
 * Calls a grpc-java service method directly from an HTTP request, as the gRPC server would: with
 * the caller's bearer token in the gRPC {@link Context} (where {@link BearerTokenInterceptor} puts
 * it for gRPC calls, so a token check added there can read it for HTTP callers too).
 *
 * <p>Stateless; called on the request's event loop.
 */
final class Calls {

  private static final String BEARER = "Bearer ";

  private Calls() {}

  /**
   * Runs {@code call}; a service method that throws instead of failing its observer (a bug) gets
   * INTERNAL (logged once, by {@link GrpcErrors}), as gRPC answers it, instead of leaving the HTTP
   * caller waiting forever.
   */
  static void invoke(
      HttpServerRequest request, String rpc, StreamObserver<?> observer, Runnable call) {
    String authorization = request.getHeader("authorization");
    Context context = Context.current();
    if (authorization != null && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      context =
          context.withValue(BearerTokenInterceptor.TOKEN, authorization.substring(BEARER.length()));
    }
    try {
      context.run(call);
    } catch (RuntimeException | Error e) {
      observer.onError(GrpcErrors.toStatus(rpc, e));
    }
  }
}
