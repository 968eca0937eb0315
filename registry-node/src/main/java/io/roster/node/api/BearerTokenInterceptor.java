package io.roster.node.api;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;

/**
 * Reads the bearer token every call may carry ({@code authorization: Bearer <token>}) into the
 * call's context. Tokens are accepted and not checked yet; this is the one place a check will go,
 * so enforcing them later changes no RPC.
 */
public final class BearerTokenInterceptor implements ServerInterceptor {

  /** The caller's token, or null when it sent none. */
  public static final Context.Key<String> TOKEN = Context.key("roster-bearer-token");

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final String BEARER = "Bearer ";

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String authorization = headers.get(AUTHORIZATION);
    if (authorization == null
        || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return next.startCall(call, headers);
    }
    Context context = Context.current().withValue(TOKEN, authorization.substring(BEARER.length()));
    return Contexts.interceptCall(context, call, headers, next);
  }
}
