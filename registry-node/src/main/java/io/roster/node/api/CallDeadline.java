package io.roster.node.api;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerRequest;
import java.util.concurrent.TimeUnit;

/**
 * The caller's deadline ({@code grpc-timeout}), kept by the node instead of by the gRPC server.
 *
 * <p>The Vert.x bridge for grpc-java services ({@code GrpcIoServiceBridge}, 5.0.7) gives every call
 * that carries a deadline a grpc-java {@code Context} that expires at that deadline, and never
 * cancels it when the call ends. So every call, long after it was answered, fired at its deadline:
 * a {@code TimeoutException} with its stack trace ("context timed out"), and a {@code cancel()} of
 * the response it had answered; and until then a timer per call waited on the event loop. Every
 * call of the Java client carries a deadline, so that was one exception per call: 1,400 a second on
 * a node serving 1,200 unary heartbeats a second.
 *
 * <p>Here the header is taken off the request before the gRPC server reads it, and one timer per
 * call, cancelled as soon as the call is answered or its client goes, answers DEADLINE_EXCEEDED if
 * it passes first, as the gRPC server would have.
 *
 * <p>Threading: on the request's event loop; the timer fires there too.
 */
final class CallDeadline {

  static final String HEADER = "grpc-timeout";

  private CallDeadline() {}

  /**
   * Takes the deadline off {@code request} and keeps it for {@code call}; a request without one, or
   * with one that does not parse (which the gRPC server ignored as well), has none.
   */
  static void keep(Vertx vertx, HttpServerRequest request, GrpcFrameCheck call, ClientGone gone) {
    String header = request.getHeader(HEADER);
    if (header == null) {
      return;
    }
    request.headers().remove(HEADER);
    long nanos = parseNanos(header);
    if (nanos < 0) {
      return;
    }
    long millis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos));
    long timer = vertx.setTimer(millis, fired -> call.deadlinePassed(millis));
    // The body's end: the response's end handler is ServedCall's (a response has one).
    request.response().bodyEndHandler(ended -> vertx.cancelTimer(timer));
    gone.whenGone(() -> vertx.cancelTimer(timer));
  }

  /**
   * A {@code grpc-timeout} value in nanoseconds: 1 to 8 digits and a unit (H, M, S, m, u, n), as
   * the gRPC protocol over HTTP/2 defines it; -1 when it is not one.
   */
  static long parseNanos(String value) {
    int digits = value.length() - 1;
    if (digits < 1 || digits > 8) {
      return -1;
    }
    long amount = 0;
    for (int i = 0; i < digits; i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      amount = amount * 10 + (c - '0');
    }
    TimeUnit unit =
        switch (value.charAt(digits)) {
          case 'H' -> TimeUnit.HOURS;
          case 'M' -> TimeUnit.MINUTES;
          case 'S' -> TimeUnit.SECONDS;
          case 'm' -> TimeUnit.MILLISECONDS;
          case 'u' -> TimeUnit.MICROSECONDS;
          case 'n' -> TimeUnit.NANOSECONDS;
          default -> null;
        };
    return unit == null ? -1 : unit.toNanos(amount);
  }
}
