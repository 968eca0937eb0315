package io.roster.node.api;

import io.grpc.Context;
import io.grpc.Status;
import io.roster.node.access.Principal;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.SocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * One request on the API port, followed from its first byte to its end however it ends, and then
 * counted exactly once ({@link CallRecorder}) and, when the access log is on, logged ({@link
 * AccessLog}).
 *
 * <p>Its end is the response's end handler, which Vert.x (5.0.7, HTTP/1.1 and HTTP/2 alike) calls
 * exactly once: when the response is ended (answered, trailers and all), or when its stream or
 * connection closes before that (the client reset the stream or went away, the node stopped). A
 * response has one end handler, and it is this class's: code that must know when an answer is
 * written listens with {@code bodyEndHandler} ({@link CallDeadline}), code that must know when the
 * client went with {@code closeHandler} ({@link ClientGone}).
 *
 * <p>A gRPC call's status is read where it went on the wire: {@code grpc-status} in the headers
 * (trailers only) or the trailers. gRPC-Web over HTTP/1.1 carries its trailers in the body, so the
 * status the call was closed with ({@link #answered}) stands in; a response with neither is mapped
 * from its HTTP status as the gRPC spec maps it. A call whose client went before it was answered
 * ends CANCELLED.
 *
 * <p>Threading: created and ended on the request's event loop. {@link #answered}, {@link #sent},
 * {@link #received} and {@link #identified} are called by the call, from that event loop or (a
 * service closing from another thread) before the answer reaches it; fields they set are volatile.
 */
public final class ServedCall implements Handler<Void> {

  /** The call a gRPC request's {@link Context} belongs to. */
  static final Context.Key<ServedCall> KEY = Context.key("roster.served-call");

  /** For calls made outside an HTTP request (in-JVM callers, tests): records nothing. */
  private static final ServedCall NONE = new ServedCall(null, null, null, false);

  /** How a principal that was never authenticated (refused first) shows in the access log. */
  static final String NO_PRINCIPAL = "-";

  private final HttpServerRequest request;
  private final CallRecorder.RpcMeters rpc;
  private final CallRecorder.RouteMeters route;
  private final boolean accessLog;
  private final long startNanos;
  private volatile Status.Code answered;
  private volatile Principal principal;
  private boolean ended;

  private ServedCall(
      HttpServerRequest request,
      CallRecorder.RpcMeters rpc,
      CallRecorder.RouteMeters route,
      boolean accessLog) {
    this.request = request;
    this.rpc = rpc;
    this.route = route;
    this.accessLog = accessLog;
    this.startNanos = System.nanoTime();
  }

  static ServedCall grpc(HttpServerRequest request, CallRecorder.RpcMeters rpc, boolean accessLog) {
    return follow(new ServedCall(request, rpc, null, accessLog));
  }

  static ServedCall http(
      HttpServerRequest request, CallRecorder.RouteMeters route, boolean accessLog) {
    return follow(new ServedCall(request, null, route, accessLog));
  }

  private static ServedCall follow(ServedCall call) {
    call.request.response().endHandler(call);
    return call;
  }

  /**
   * The call of the gRPC request this thread serves (its {@link Context}), or one that records
   * nothing.
   */
  static ServedCall current() {
    return of(Context.current());
  }

  static ServedCall of(Context context) {
    ServedCall call = KEY.get(context);
    return call == null ? NONE : call;
  }

  /** The caller is known: the access log names it. */
  public void identified(Principal who) {
    this.principal = who;
  }

  /** The call was closed with {@code code}: stands in for a status the response does not show. */
  void answered(Status.Code code) {
    this.answered = code;
  }

  /** A gRPC message went to the caller. */
  void sent() {
    if (rpc != null) {
      rpc.sent.increment();
    }
  }

  /** A gRPC message came from the caller. */
  void received() {
    if (rpc != null) {
      rpc.received.increment();
    }
  }

  /** The response ended or its stream closed: Vert.x calls this once. */
  @Override
  public void handle(Void ignored) {
    if (ended) {
      return;
    }
    ended = true;
    long nanos = System.nanoTime() - startNanos;
    HttpServerResponse response = request.response();
    if (rpc != null) {
      Status.Code code = grpcCode(response);
      rpc.timer(code).record(nanos, TimeUnit.NANOSECONDS);
      if (accessLog) {
        AccessLog.finished("grpc", rpc.method, code.name(), nanos, principalName(), peer());
      }
    } else {
      // A response the client left before its head was written is 499 (nginx's "client closed
      // request"): the 200 Vert.x holds by default was never sent.
      int status = response.ended() || response.headWritten() ? response.getStatusCode() : 499;
      route.timer(status).record(nanos, TimeUnit.NANOSECONDS);
      if (accessLog) {
        AccessLog.finished(
            "http",
            route.method + " " + route.route,
            Integer.toString(status),
            nanos,
            principalName(),
            peer());
      }
    }
  }

  private Status.Code grpcCode(HttpServerResponse response) {
    Status.Code closedWith = answered;
    if (!response.ended()) {
      return closedWith != null ? closedWith : Status.Code.CANCELLED;
    }
    Status.Code written = parse(response.headers().get("grpc-status"));
    if (written == null) {
      written = parse(response.trailers().get("grpc-status"));
    }
    if (written != null) {
      return written;
    }
    return closedWith != null ? closedWith : fromHttpStatus(response.getStatusCode());
  }

  private static Status.Code parse(String grpcStatus) {
    if (grpcStatus == null) {
      return null;
    }
    try {
      return Status.fromCodeValue(Integer.parseInt(grpcStatus.trim())).getCode();
    } catch (NumberFormatException e) {
      return Status.Code.UNKNOWN;
    }
  }

  /** The gRPC spec's mapping of an HTTP status without {@code grpc-status} ("HTTP to gRPC"). */
  static Status.Code fromHttpStatus(int status) {
    return switch (status) {
      case 400 -> Status.Code.INTERNAL;
      case 401 -> Status.Code.UNAUTHENTICATED;
      case 403 -> Status.Code.PERMISSION_DENIED;
      case 404 -> Status.Code.UNIMPLEMENTED;
      case 429, 502, 503, 504 -> Status.Code.UNAVAILABLE;
      default -> Status.Code.UNKNOWN;
    };
  }

  private String principalName() {
    Principal who = principal;
    return who == null ? NO_PRINCIPAL : who.name();
  }

  private String peer() {
    SocketAddress address = request.remoteAddress();
    if (address == null) {
      return NO_PRINCIPAL;
    }
    return address.hostAddress() != null
        ? address.hostAddress() + ":" + address.port()
        : address.toString();
  }
}
