package io.roster.node.api;

import com.google.protobuf.Descriptors;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.grpc.server.Service;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * What the node records of every call on its API port: a timer per gRPC method and status code
 * ({@value #RPC_TIMER}), a timer per HTTP route, HTTP method and status ({@value #HTTP_TIMER}),
 * messages per gRPC method, and, when {@code log.access} is on, one access line per call ({@link
 * AccessLog}). Each call is followed by a {@link ServedCall} from its first byte to its end.
 *
 * <p>Tag values come from the code, never from the caller: a gRPC method the node does not serve is
 * {@value #UNKNOWN}, a path that is no route {@value #UNKNOWN}, an HTTP method other than the usual
 * ones {@value #OTHER}. So however many paths callers invent, the number of series stays bounded by
 * the node's own methods, routes and status codes.
 *
 * <p>Cheap on the hot path: the meters of each method and route are resolved once here, from the
 * services' descriptors and the route table; a call costs a map lookup, two clock reads and one
 * timer update. Timers of a status code are registered the first time a call ends with it, so the
 * scrape lists only the codes that happened: every series costs scrape bytes, and a method with all
 * 17 codes would be 300 lines.
 *
 * <p>Threading: built once at start; {@link #grpc} and {@link #http} run on event loops, several at
 * once.
 */
public final class CallRecorder {

  static final String RPC_TIMER = "roster.rpc.server";
  static final String HTTP_TIMER = "roster.http.server";
  static final String UNKNOWN = "unknown";
  static final String OTHER = "other";

  /**
   * Fixed latency buckets, 0.5 ms to 10 s: every node exports the same ones, so their histograms
   * add up across nodes, and the series per method and code stay few.
   */
  static final Duration[] BUCKETS = {
    Duration.ofMillis(1).dividedBy(2),
    Duration.ofMillis(1),
    Duration.ofMillis(2).plusNanos(500_000),
    Duration.ofMillis(5),
    Duration.ofMillis(10),
    Duration.ofMillis(25),
    Duration.ofMillis(50),
    Duration.ofMillis(100),
    Duration.ofMillis(250),
    Duration.ofMillis(500),
    Duration.ofSeconds(1),
    Duration.ofMillis(2_500),
    Duration.ofSeconds(5),
    Duration.ofSeconds(10)
  };

  /** HTTP methods kept as themselves in the {@code method} tag; any other is {@value #OTHER}. */
  private static final List<HttpMethod> HTTP_METHODS =
      List.of(
          HttpMethod.GET,
          HttpMethod.POST,
          HttpMethod.PUT,
          HttpMethod.DELETE,
          HttpMethod.PATCH,
          HttpMethod.HEAD,
          HttpMethod.OPTIONS);

  private final MeterRegistry registry;
  private final boolean accessLog;

  /** By request path ({@code /roster.v1.RegistryService/Register}); read-only once built. */
  private final Map<String, RpcMeters> rpcs = new HashMap<>();

  private final RpcMeters unknownRpc;

  /** By route path ({@code /v1/discover}); read-only once built. */
  private final Map<String, RouteMeters[]> routes = new HashMap<>();

  private final RouteMeters[] unknownRoute;

  /**
   * @param services every service the gRPC server serves: their methods are the {@code method}
   *     tag's values
   * @param routes every HTTP route path the port answers (the HTTP/JSON API's, {@code /metrics})
   * @param accessLog whether each finished call is written to the access log
   */
  public CallRecorder(
      MeterRegistry registry,
      Collection<? extends Service> services,
      Collection<String> routes,
      boolean accessLog) {
    this.registry = registry;
    this.accessLog = accessLog;
    for (Service service : services) {
      Descriptors.ServiceDescriptor descriptor = service.descriptor();
      if (descriptor == null) {
        continue; // a service without a .proto descriptor: its calls count as unknown
      }
      for (Descriptors.MethodDescriptor method : descriptor.getMethods()) {
        String name = descriptor.getFullName() + "/" + method.getName();
        rpcs.put("/" + name, new RpcMeters(name));
      }
    }
    this.unknownRpc = new RpcMeters(UNKNOWN);
    for (String route : routes) {
      this.routes.put(route, routeMeters(route));
    }
    this.unknownRoute = routeMeters(UNKNOWN);
  }

  /** Starts following a gRPC request: call before anything answers it. */
  public ServedCall grpc(HttpServerRequest request) {
    RpcMeters meters = rpcs.get(request.path());
    return ServedCall.grpc(request, meters != null ? meters : unknownRpc, accessLog);
  }

  /** Starts following an HTTP request (not gRPC): call before anything answers it. */
  public ServedCall http(HttpServerRequest request) {
    RouteMeters[] byMethod = routes.get(request.path());
    if (byMethod == null) {
      byMethod = unknownRoute;
    }
    int method = HTTP_METHODS.indexOf(request.method());
    RouteMeters meters = byMethod[method >= 0 ? method : HTTP_METHODS.size()];
    return ServedCall.http(request, meters, accessLog);
  }

  private RouteMeters[] routeMeters(String route) {
    RouteMeters[] byMethod = new RouteMeters[HTTP_METHODS.size() + 1];
    for (int i = 0; i < HTTP_METHODS.size(); i++) {
      byMethod[i] = new RouteMeters(route, HTTP_METHODS.get(i).name());
    }
    byMethod[HTTP_METHODS.size()] = new RouteMeters(route, OTHER);
    return byMethod;
  }

  /** The meters of one gRPC method (or of every method the node does not serve). */
  final class RpcMeters {
    private static final Status.Code[] CODES = Status.Code.values();

    final String method;
    final Counter sent;
    final Counter received;
    private final AtomicReferenceArray<Timer> byCode = new AtomicReferenceArray<>(CODES.length);

    private RpcMeters(String method) {
      this.method = method;
      this.sent =
          Counter.builder("roster.rpc.server.messages.sent")
              .description("gRPC messages the node sent, by method (a unary answer is one)")
              .tag("method", method)
              .register(registry);
      this.received =
          Counter.builder("roster.rpc.server.messages.received")
              .description("gRPC messages the node received, by method (a unary request is one)")
              .tag("method", method)
              .register(registry);
    }

    Timer timer(Status.Code code) {
      Timer timer = byCode.get(code.ordinal());
      if (timer == null) {
        // Registering again returns the meter already registered: a race only looks it up twice.
        timer =
            Timer.builder(RPC_TIMER)
                .description(
                    "gRPC calls finished on this node, by method and status code: how long each"
                        + " took from its first byte to its end (streams: their whole life)")
                .tag("method", method)
                .tag("code", code.name())
                .serviceLevelObjectives(BUCKETS)
                .register(registry);
        byCode.set(code.ordinal(), timer);
      }
      return timer;
    }
  }

  /** The meters of one HTTP route and method. */
  final class RouteMeters {
    /** Status codes 100-599 are kept as themselves; anything else the node never sends. */
    private static final int MAX_STATUS = 599;

    final String route;
    final String method;
    private final AtomicReferenceArray<Timer> byStatus = new AtomicReferenceArray<>(MAX_STATUS + 1);

    private RouteMeters(String route, String method) {
      this.route = route;
      this.method = method;
    }

    Timer timer(int status) {
      int index = status >= 100 && status <= MAX_STATUS ? status : 0;
      Timer timer = byStatus.get(index);
      if (timer == null) {
        timer =
            Timer.builder(HTTP_TIMER)
                .description(
                    "HTTP requests finished on this node (not gRPC), by route, method and status:"
                        + " how long each took from its first byte to its end")
                .tag("route", route)
                .tag("method", method)
                .tag("status", index == 0 ? OTHER : Integer.toString(index))
                .serviceLevelObjectives(BUCKETS)
                .register(registry);
        byStatus.set(index, timer);
      }
      return timer;
    }
  }
}
