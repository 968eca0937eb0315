package io.roster.node.api;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.roster.node.access.Access;
import io.roster.node.access.Principal;
import io.roster.node.api.http.HttpApi;
import io.roster.node.limits.Admission;
import io.roster.node.limits.Allowance;
import io.roster.node.limits.CallKind;
import io.roster.node.limits.LimitExceededException;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.grpc.server.GrpcServer;
import java.security.cert.Certificate;
import java.util.function.BiConsumer;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Everything the API port answers: gRPC (and gRPC-Web) calls go to the gRPC server; {@code GET
 * /metrics} answers Prometheus text; {@code /ui/} is the dashboard, unless it is off or has a port
 * of its own; everything else is the HTTP/JSON API ({@link HttpApi}, routes under {@code /v1/}, 404
 * elsewhere). One port to open, one to scrape.
 *
 * <p>gRPC is told apart by its content type ({@code application/grpc}, {@code
 * application/grpc+proto}, {@code application/grpc-web...}), which every gRPC and gRPC-Web client
 * sends, so no path of the HTTP API can shadow an RPC or the other way round. A content type of
 * that family the gRPC server does not serve (the JSON wire format, gRPC over HTTP/1.1) is refused
 * with a status naming those it serves ({@link GrpcContentTypes}).
 *
 * <p>Every request is followed from here to its end by a {@link ServedCall}, which counts it once
 * ({@link CallRecorder}) and writes its access line, whatever answers it: the gRPC server, a
 * refusal here, the HTTP/JSON API, or nobody (its client left).
 *
 * <p>A gRPC request's body is checked before the gRPC server reads it ({@link GrpcFrameCheck}).
 * Every gRPC call learns when its client goes away before the call ended ({@link ClientGone}),
 * which the Vert.x bridge does not tell it when the connection closes.
 *
 * <p>Threading: runs on the Vert.x event loop of the connection.
 */
public final class HttpEndpoints implements Handler<HttpServerRequest> {

  /**
   * The largest request message on every API (gRPC, gRPC-Web, HTTP/JSON body): 1 MiB. See {@link
   * GrpcFrameCheck#MAX_MESSAGE_BYTES}.
   */
  public static final int MAX_MESSAGE_BYTES = GrpcFrameCheck.MAX_MESSAGE_BYTES;

  /** Where the dashboard is served: {@value}, {@value}/ and below. */
  public static final String DASHBOARD_PATH = "/ui";

  /** Where Prometheus scrapes the node's metrics. */
  public static final String METRICS_PATH = "/metrics";

  private final Vertx vertx;
  private final GrpcServer grpc;
  private final Access access;
  private final Admission admission;
  private final PrometheusMeterRegistry meters;
  private final CallRecorder calls;
  private final HttpApi json;
  private final BiConsumer<HttpServerRequest, ServedCall> dashboard;

  /**
   * @param calls records every request: counted, timed and (access log on) logged once it ends
   * @param dashboard serves the dashboard's paths ({@link #isDashboardPath}); null when it is off
   *     or has a port of its own
   */
  public HttpEndpoints(
      Vertx vertx,
      GrpcServer grpc,
      Access access,
      Admission admission,
      PrometheusMeterRegistry meters,
      CallRecorder calls,
      HttpApi json,
      BiConsumer<HttpServerRequest, ServedCall> dashboard) {
    this.dashboard = dashboard;
    this.vertx = vertx;
    this.grpc = grpc;
    this.access = access;
    this.admission = admission;
    this.meters = meters;
    this.calls = calls;
    this.json = json;
  }

  @Override
  public void handle(HttpServerRequest request) {
    if (isGrpc(request)) {
      serveGrpc(vertx, grpc, access, admission, request, calls.grpc(request));
      return;
    }
    ServedCall call = calls.http(request);
    if (request.method() == HttpMethod.GET && METRICS_PATH.equals(request.path())) {
      request
          .response()
          .putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8")
          .end(meters.scrape());
      return;
    }
    if (dashboard != null && isDashboardPath(request.path())) {
      dashboard.accept(request, call);
      return;
    }
    json.handle(request, call);
  }

  /**
   * A port that serves only {@code grpc} (the xDS control plane on a port of its own), the one way
   * {@link #serveGrpc} serves any gRPC request; anything that is not gRPC is answered 404.
   */
  public static Handler<HttpServerRequest> grpcOnly(
      Vertx vertx, GrpcServer grpc, Access access, Admission admission, CallRecorder calls) {
    return request -> {
      if (isGrpc(request)) {
        serveGrpc(vertx, grpc, access, admission, request, calls.grpc(request));
      } else {
        request
            .response()
            .setStatusCode(404)
            .putHeader("content-type", "text/plain; charset=utf-8")
            .end("this port serves only gRPC (the xDS control plane)\n");
      }
    };
  }

  /**
   * The health port: {@code grpc.health.v1.Health} over gRPC, with no access checks or limits (a
   * prober has no token or certificate, and the port serves nothing else), and every other request
   * to {@code http}. Both counted like any call.
   */
  public static Handler<HttpServerRequest> healthOnly(
      Vertx vertx, GrpcServer grpc, CallRecorder calls, Handler<HttpServerRequest> http) {
    Access open = Access.off();
    Admission unlimited = Admission.off();
    return request -> {
      if (isGrpc(request)) {
        serveGrpc(vertx, grpc, open, unlimited, request, calls.grpc(request));
      } else {
        calls.http(request);
        http.handle(request);
      }
    };
  }

  /** Whether {@code path} is the dashboard's. */
  public static boolean isDashboardPath(String path) {
    return path.equals(DASHBOARD_PATH) || path.startsWith(DASHBOARD_PATH + "/");
  }

  /**
   * Hands a gRPC request to {@code grpc} the one way every gRPC request takes: content type
   * checked, the caller authenticated ({@link Access}) and within its limits ({@link Admission}),
   * framing checked as it is read ({@link GrpcFrameCheck}), the caller's deadline kept ({@link
   * CallDeadline}), and the call's {@link Context} carrying its {@link Principal}, {@link
   * Allowance}, {@link ClientGone} and {@link ServedCall} ({@code call}, which counts it however it
   * ends, refusals here included).
   */
  static void serveGrpc(
      Vertx vertx,
      GrpcServer grpc,
      Access access,
      Admission admission,
      HttpServerRequest request,
      ServedCall call) {
    Status unserved = GrpcContentTypes.refusal(request);
    if (unserved != null) {
      GrpcFrameCheck.refuse(request, unserved);
      return;
    }
    Principal principal;
    try {
      principal = authenticate(access, request);
    } catch (StatusRuntimeException e) {
      GrpcFrameCheck.refuse(request, e.getStatus());
      return;
    }
    call.identified(principal);
    Allowance allowance = admission.allowance(request.connection(), principal);
    try {
      allowance.spend(CallKind.of(request.path()));
    } catch (LimitExceededException e) {
      GrpcFrameCheck.refuse(request, e.toStatus());
      return;
    }
    // The call starts inside grpc.handle, on this thread: its Context carries the signal.
    ClientGone gone = ClientGone.watch(request.response());
    GrpcFrameCheck checked = GrpcFrameCheck.wrap(request, gone::fire);
    CallDeadline.keep(vertx, request, checked, gone);
    Context.current()
        .withValue(ClientGone.KEY, gone)
        .withValue(Access.PRINCIPAL, principal)
        .withValue(Allowance.KEY, allowance)
        .withValue(ServedCall.KEY, call)
        .run(() -> grpc.handle(checked));
  }

  /**
   * The principal {@code request} is made by, from its bearer token or its client certificate.
   *
   * @throws StatusRuntimeException UNAUTHENTICATED
   */
  public static Principal authenticate(Access access, HttpServerRequest request) {
    if (!access.enabled()) {
      return Principal.ANYONE;
    }
    return access.authenticate(request.getHeader("authorization"), peerCertificates(request));
  }

  private static Certificate[] peerCertificates(HttpServerRequest request) {
    SSLSession session = request.connection().sslSession();
    if (session == null) {
      return null;
    }
    try {
      return session.getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      return null; // TLS without a client certificate
    }
  }

  private static boolean isGrpc(HttpServerRequest request) {
    String contentType = request.getHeader("content-type");
    return contentType != null && contentType.regionMatches(true, 0, "application/grpc", 0, 16);
  }
}
