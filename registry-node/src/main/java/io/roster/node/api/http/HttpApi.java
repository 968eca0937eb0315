package io.roster.node.api.http;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.roster.node.access.Access;
import io.roster.node.access.Principal;
import io.roster.node.api.ClusterGrpcService;
import io.roster.node.api.DiscoveryGrpcService;
import io.roster.node.api.GrpcErrors;
import io.roster.node.api.HttpEndpoints;
import io.roster.node.api.RegistryGrpcService;
import io.roster.node.api.RequestLog;
import io.roster.node.api.ServedCall;
import io.roster.node.limits.Admission;
import io.roster.node.limits.Allowance;
import io.roster.node.limits.CallKind;
import io.roster.node.limits.LimitExceededException;
import io.roster.node.logging.LogLevels;
import io.roster.v1.ClusterStatusRequest;
import io.roster.v1.DeregisterRequest;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.HeartbeatRequest;
import io.roster.v1.ListServicesRequest;
import io.roster.v1.RegisterRequest;
import io.roster.v1.SetStatusRequest;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The {@code roster.v1} API as HTTP/JSON under {@code /v1/}, on the API port beside gRPC: each
 * route parses the canonical protobuf JSON of the request, calls the same grpc-java service object
 * gRPC calls, and answers in JSON (Watch: newline-delimited JSON). Errors keep the gRPC status name
 * and message ({@link HttpErrors}). docs/api.md and docs/openapi.yaml describe every route.
 *
 * <p>Why a router of our own and not Vert.x's gRPC transcoding (vertx-grpc-transcoding 5.0.7): our
 * services are grpc-java services bridged onto the Vert.x server by their MethodDescriptors, and
 * transcoding routes only to methods registered as {@code TranscodingServiceMethod}s with a
 * Vert.x-native handler each; so every route would need a hand-written handler calling the
 * grpc-java service anyway, which is what this router is. And transcoding's answers are not what
 * callers need: an error is only an HTTP status (no JSON body: the gRPC message is lost),
 * FAILED_PRECONDITION and INVALID_ARGUMENT are both 400, each message of a server stream is written
 * with a Content-Length of its own (no streaming Watch), and a request without {@code Content-Type:
 * application/json} gets 415 (so a plain {@code curl -d} fails). This router is a few small classes
 * over the services' own {@code StreamObserver} interface.
 *
 * <p>Threading: {@link #handle} runs on the connection's Vert.x event loop and never blocks; the
 * services answer on the same event loop. The route table is filled by the constructor and only
 * read afterwards.
 */
public final class HttpApi {

  /** Largest request body read: far above any valid request (an instance is at most ~10 KiB). */
  static final long MAX_BODY_BYTES = 1024 * 1024;

  /** Path → method → endpoint, in the order of docs/api.md; read-only once constructed. */
  private final Map<String, Map<HttpMethod, Endpoint>> routes = new LinkedHashMap<>();

  private final Access access;
  private final Admission admission;

  public HttpApi(
      Access access,
      Admission admission,
      RegistryGrpcService registry,
      DiscoveryGrpcService discovery,
      ClusterGrpcService cluster,
      LogLevels logLevels) {
    this.access = access;
    this.admission = admission;
    String registryRpc = "roster.v1.RegistryService/";
    String discoveryRpc = "roster.v1.DiscoveryService/";
    add(
        HttpMethod.POST,
        "/v1/register",
        UnaryEndpoint.body(
            registryRpc + "Register", RegisterRequest.getDefaultInstance(), registry::register));
    add(
        HttpMethod.POST,
        "/v1/heartbeat",
        UnaryEndpoint.body(
            registryRpc + "Heartbeat", HeartbeatRequest.getDefaultInstance(), registry::heartbeat));
    add(
        HttpMethod.POST,
        "/v1/deregister",
        UnaryEndpoint.body(
            registryRpc + "Deregister",
            DeregisterRequest.getDefaultInstance(),
            registry::deregister));
    add(
        HttpMethod.POST,
        "/v1/set-status",
        UnaryEndpoint.body(
            registryRpc + "SetStatus", SetStatusRequest.getDefaultInstance(), registry::setStatus));
    add(
        HttpMethod.GET,
        "/v1/discover",
        UnaryEndpoint.query(
            discoveryRpc + "Discover", DiscoverRequest.getDefaultInstance(), discovery::discover));
    add(
        HttpMethod.POST,
        "/v1/discover",
        UnaryEndpoint.body(
            discoveryRpc + "Discover", DiscoverRequest.getDefaultInstance(), discovery::discover));
    add(
        HttpMethod.GET,
        "/v1/services",
        UnaryEndpoint.query(
            discoveryRpc + "ListServices",
            ListServicesRequest.getDefaultInstance(),
            discovery::listServices));
    add(HttpMethod.POST, "/v1/watch", new WatchEndpoint(discovery));
    add(
        HttpMethod.GET,
        "/v1/cluster",
        UnaryEndpoint.query(
            "roster.v1.ClusterService/ClusterStatus",
            ClusterStatusRequest.getDefaultInstance(),
            cluster::clusterStatus));
    add(HttpMethod.GET, LogLevelsEndpoint.PATH, LogLevelsEndpoint.read(logLevels));
    add(HttpMethod.PUT, LogLevelsEndpoint.PATH, LogLevelsEndpoint.change(logLevels));
  }

  /** The path of every route (each answers one or more HTTP methods). */
  public Set<String> paths() {
    return Collections.unmodifiableSet(routes.keySet());
  }

  /**
   * Answers a request that is not gRPC: a route above, or 404 / 405 naming the routes there are.
   * {@code call} learns who made it, once known.
   */
  public void handle(HttpServerRequest request, ServedCall call) {
    Map<HttpMethod, Endpoint> byMethod = routes.get(request.path());
    if (byMethod == null) {
      HttpErrors.refuse(
          request.response(),
          404,
          Status.Code.NOT_FOUND,
          "no route " + request.method() + " " + request.path() + "; the routes are " + routes());
      return;
    }
    Endpoint endpoint = byMethod.get(request.method());
    if (endpoint == null) {
      HttpErrors.refuseMethod(request, byMethod.keySet());
      return;
    }
    serve(request, call, endpoint);
  }

  /**
   * Serves {@code request} with {@code endpoint} the one way every HTTP route is served (the API's
   * and the dashboard's): the caller authenticated ({@link Access}) and within its limits ({@link
   * Admission}, as a call of the endpoint's RPC), the body read under the limit, then the endpoint
   * run in a Context carrying the caller's principal and allowance. {@code call} learns who made
   * it, once known.
   */
  public void serve(HttpServerRequest request, ServedCall call, Endpoint endpoint) {
    Principal principal;
    try {
      principal = HttpEndpoints.authenticate(access, request);
    } catch (StatusRuntimeException e) {
      RequestLog.refused(request.path(), e.getStatus().getDescription());
      HttpErrors.send(request.response(), e);
      return;
    }
    call.identified(principal);
    Allowance allowance = admission.allowance(request.connection(), principal);
    try {
      allowance.spend(CallKind.of(endpoint.rpc()));
    } catch (LimitExceededException e) {
      HttpErrors.refuse(request.response(), e);
      return;
    }
    // The body is read before the call runs: the principal and the allowance go with it into the
    // call's Context.
    Context context =
        Context.current()
            .withValue(Access.PRINCIPAL, principal)
            .withValue(Allowance.KEY, allowance);
    BoundedBody.read(
        request, MAX_BODY_BYTES, body -> context.run(() -> serve(endpoint, request, body)));
  }

  /**
   * Runs one endpoint; whatever it throws (a bug: bad input is answered by the endpoint) is
   * answered with 500 INTERNAL and logged once, so no HTTP caller waits for an answer that never
   * comes.
   */
  private static void serve(Endpoint endpoint, HttpServerRequest request, Buffer body) {
    try {
      endpoint.serve(request, body);
    } catch (RuntimeException | Error e) {
      HttpErrors.send(request.response(), GrpcErrors.toStatus(request.path(), e));
    }
  }

  /** Every route, as "METHOD /path", comma-separated. */
  String routes() {
    return routes.entrySet().stream()
        .flatMap(
            route ->
                route.getValue().keySet().stream()
                    .map(method -> method.name() + " " + route.getKey()))
        .collect(Collectors.joining(", "));
  }

  private void add(HttpMethod method, String path, Endpoint endpoint) {
    routes.computeIfAbsent(path, ignored -> new LinkedHashMap<>()).put(method, endpoint);
  }
}
