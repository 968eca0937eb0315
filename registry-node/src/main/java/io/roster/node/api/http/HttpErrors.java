package io.roster.node.api.http;

import io.grpc.Status;
import io.roster.node.api.RequestLog;
import io.roster.node.limits.LimitExceededException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.util.Collection;
import java.util.stream.Collectors;

/**
 * Error answers: {@code {"code": "NOT_FOUND", "message": "..."}} with the gRPC status name and the
 * very description a gRPC caller gets, under the HTTP status that means the same thing.
 *
 * <p>FAILED_PRECONDITION is 409 Conflict, not 412: every FAILED_PRECONDITION of the API means "the
 * instance was registered again since" (a stale epoch), a conflict with the current state; 412 is
 * about HTTP conditional headers ({@code If-Match}), which this API does not use.
 *
 * <p>Stateless; safe on any event loop. Refusals are logged through {@link RequestLog}.
 */
public final class HttpErrors {

  private HttpErrors() {}

  /** 405, naming the methods {@code request}'s path answers. */
  public static void refuseMethod(HttpServerRequest request, Collection<HttpMethod> allowed) {
    String methods = allowed.stream().map(HttpMethod::name).collect(Collectors.joining(", "));
    request.response().putHeader("allow", methods);
    refuse(
        request.response(),
        405,
        Status.Code.UNIMPLEMENTED,
        request.path() + " answers " + methods + ", not " + request.method());
  }

  /** The HTTP status of a gRPC status code. */
  static int httpStatus(Status.Code code) {
    return switch (code) {
      case OK -> 200;
      case INVALID_ARGUMENT, OUT_OF_RANGE -> 400;
      case UNAUTHENTICATED -> 401;
      case PERMISSION_DENIED -> 403;
      case NOT_FOUND -> 404;
      case FAILED_PRECONDITION, ALREADY_EXISTS, ABORTED -> 409;
      case RESOURCE_EXHAUSTED -> 429;
      // No standard status; 499 is what nginx and Google's APIs use for a caller that went away.
      case CANCELLED -> 499;
      case UNIMPLEMENTED -> 501;
      case UNAVAILABLE -> 503;
      case DEADLINE_EXCEEDED -> 504;
      case UNKNOWN, INTERNAL, DATA_LOSS -> 500;
    };
  }

  /**
   * Answers with the status a service failed a call with. The service already logged it ({@code
   * GrpcErrors}, through {@link RequestLog}).
   */
  public static void send(HttpServerResponse response, Throwable failure) {
    Status status = Status.fromThrowable(failure);
    String message = status.getDescription() == null ? "" : status.getDescription();
    send(response, httpStatus(status.getCode()), status.getCode().name(), message);
  }

  /** Refuses a request the HTTP layer itself found wrong, and logs it (rate-limited). */
  public static void refuse(
      HttpServerResponse response, int httpStatus, Status.Code code, String message) {
    RequestLog.refused("HTTP request (" + httpStatus + ")", message);
    send(response, httpStatus, code.name(), message);
  }

  /**
   * Refuses a request over a rate: 429 with {@code Retry-After} in whole seconds (at least 1, as
   * HTTP has no finer unit); the message has the delay in milliseconds.
   */
  static void refuse(HttpServerResponse response, LimitExceededException overLimit) {
    RequestLog.refused("HTTP request (429)", overLimit.getMessage());
    if (!response.ended() && !response.closed() && !response.headWritten()) {
      response.putHeader(
          "retry-after", Long.toString(Math.max(1, (overLimit.retryAfterMillis() + 999) / 1000)));
    }
    send(response, 429, Status.Code.RESOURCE_EXHAUSTED.name(), overLimit.getMessage());
  }

  private static void send(
      HttpServerResponse response, int httpStatus, String code, String message) {
    if (response.ended() || response.closed() || response.headWritten()) {
      return; // The caller went away, or an answer already started: nothing more to say.
    }
    response
        .setStatusCode(httpStatus)
        .putHeader("content-type", "application/json")
        .end(new JsonObject().put("code", code).put("message", message).encode() + "\n");
  }
}
