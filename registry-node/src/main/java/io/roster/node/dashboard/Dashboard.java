package io.roster.node.dashboard;

import io.grpc.Status;
import io.roster.node.access.Access;
import io.roster.node.api.ClusterGrpcService;
import io.roster.node.api.HttpEndpoints;
import io.roster.node.api.ServedCall;
import io.roster.node.api.http.Endpoint;
import io.roster.node.api.http.HttpApi;
import io.roster.node.api.http.HttpErrors;
import io.roster.node.cluster.ClusterMembership;
import io.roster.node.cluster.Leadership;
import io.roster.node.cluster.NodeStatsBoard;
import io.roster.node.domain.Incarnation;
import io.roster.node.store.RegistryStore;
import io.roster.node.view.LocalView;
import io.roster.node.view.RecentChanges;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * The operator's web dashboard, under {@code /ui/}: its files ({@link DashboardAssets}) and the
 * JSON its pages read ({@link DashboardApi}, under {@code /ui/api/}). The pages also call the
 * HTTP/JSON API itself: {@code POST /v1/watch} to follow a service, {@code POST /v1/set-status} for
 * an admin's actions.
 *
 * <p>Threading: {@link #handle} runs on the connection's event loop; immutable once constructed.
 */
public final class Dashboard {

  /** Where the dashboard is served. */
  static final String PREFIX = HttpEndpoints.DASHBOARD_PATH;

  private static final String API_PREFIX = PREFIX + "/api/";

  private final HttpApi http;
  private final DashboardAssets assets = new DashboardAssets();
  private final Map<String, Endpoint> routes;

  public Dashboard(
      HttpApi http,
      Access access,
      ClusterGrpcService clusterStatus,
      ClusterMembership membership,
      Leadership leadership,
      NodeStatsBoard nodeStats,
      LocalView view,
      RegistryStore store,
      RecentChanges recentChanges,
      Incarnation incarnation,
      Clock clock) {
    this.http = http;
    this.routes =
        new DashboardApi(
                access,
                clusterStatus,
                membership,
                leadership,
                nodeStats,
                view,
                store,
                recentChanges,
                incarnation,
                clock)
            .routes();
  }

  /** The paths of its JSON routes, for the per-route metrics. */
  public List<String> apiPaths() {
    return routes.keySet().stream().map(name -> API_PREFIX + name).toList();
  }

  /** Answers a request for a dashboard path; {@code call} learns who made it, once known. */
  public void handle(HttpServerRequest request, ServedCall call) {
    String path = request.path();
    if (!path.startsWith(API_PREFIX)) {
      assets.serve(request);
      return;
    }
    Endpoint endpoint = routes.get(path.substring(API_PREFIX.length()));
    if (endpoint == null) {
      HttpErrors.refuse(
          request.response(),
          404,
          Status.Code.NOT_FOUND,
          "no dashboard route "
              + path
              + "; the routes are "
              + routes.keySet().stream().map(name -> "GET " + API_PREFIX + name).toList());
      return;
    }
    if (request.method() != HttpMethod.GET) {
      HttpErrors.refuseMethod(request, List.of(HttpMethod.GET));
      return;
    }
    http.serve(request, call, endpoint);
  }
}
