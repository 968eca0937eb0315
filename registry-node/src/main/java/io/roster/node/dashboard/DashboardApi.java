package io.roster.node.dashboard;

import io.grpc.stub.StreamObserver;
import io.roster.node.access.Access;
import io.roster.node.access.Principal;
import io.roster.node.access.Role;
import io.roster.node.api.ClusterGrpcService;
import io.roster.node.api.OperationCounts;
import io.roster.node.api.http.Endpoint;
import io.roster.node.api.http.JsonReadEndpoint;
import io.roster.node.cluster.ClusterMembership;
import io.roster.node.cluster.LeaderRecord;
import io.roster.node.cluster.Leadership;
import io.roster.node.cluster.NodeStats;
import io.roster.node.cluster.NodeStatsBoard;
import io.roster.node.domain.Incarnation;
import io.roster.node.domain.InstanceEvent;
import io.roster.node.domain.InstanceRecord;
import io.roster.node.domain.InstanceStatus;
import io.roster.node.domain.InstanceValidator;
import io.roster.node.domain.Lease;
import io.roster.node.domain.ServiceKey;
import io.roster.node.domain.ServiceView;
import io.roster.node.store.RegistryStore;
import io.roster.node.view.LocalView;
import io.roster.node.view.RecentChanges;
import io.roster.v1.ClusterMember;
import io.roster.v1.ClusterStatusRequest;
import io.roster.v1.ClusterStatusResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The read-only JSON the dashboard's pages are built from, under {@code /ui/api/}: what the {@code
 * roster.v1} API does not carry (lease expiry, recent changes, every node's rates, who leads since
 * when), shaped for the pages. Served through {@code HttpApi.serve} like the API's own routes: the
 * same authentication, and each call spends a read of the caller's limits. Times are milliseconds
 * of the cluster's clock, and every answer carries {@code now} on that clock, so the page tells
 * ages without trusting the browser's clock.
 *
 * <p>Not a public API: its shape follows the pages, and may change with them.
 *
 * <p>Threading: the answers are built on the request's event loop from in-memory state (the view,
 * the replicated node figures, the leader record), except the leases of one service, which are read
 * from their partition's owner.
 */
final class DashboardApi {

  private static final String CLUSTER_STATUS = "roster.v1.ClusterService/ClusterStatus";
  private static final String LIST_SERVICES = "roster.v1.DiscoveryService/ListServices";
  private static final String DISCOVER = "roster.v1.DiscoveryService/Discover";

  private final Access access;
  private final ClusterGrpcService clusterStatus;
  private final ClusterMembership membership;
  private final Leadership leadership;
  private final NodeStatsBoard nodeStats;
  private final LocalView view;
  private final RegistryStore store;
  private final RecentChanges recentChanges;
  private final Incarnation incarnation;
  private final Clock clock;

  DashboardApi(
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
    this.access = access;
    this.clusterStatus = clusterStatus;
    this.membership = membership;
    this.leadership = leadership;
    this.nodeStats = nodeStats;
    this.view = view;
    this.store = store;
    this.recentChanges = recentChanges;
    this.incarnation = incarnation;
    this.clock = clock;
  }

  /** Route path (under /ui/api/) → endpoint. */
  Map<String, Endpoint> routes() {
    Map<String, Endpoint> routes = new LinkedHashMap<>();
    routes.put("whoami", new JsonReadEndpoint(CLUSTER_STATUS, List.of(), query -> whoAmI()));
    routes.put("cluster", new JsonReadEndpoint(CLUSTER_STATUS, List.of(), query -> cluster()));
    routes.put(
        "services",
        new JsonReadEndpoint(LIST_SERVICES, List.of("namespace"), query -> services(query)));
    routes.put(
        "service",
        new JsonReadEndpoint(DISCOVER, List.of("namespace", "service"), query -> service(query)));
    return routes;
  }

  /** The caller, and its roles by namespace: the page hides what it may not do. */
  private CompletionStage<JsonObject> whoAmI() {
    Principal principal = Access.current();
    JsonObject roles = new JsonObject();
    new TreeMap<>(principal.roles())
        .forEach(
            (namespace, held) -> {
              JsonArray labels = new JsonArray();
              held.stream().sorted().forEach(role -> labels.add(role.label()));
              roles.put(namespace, labels);
            });
    return done(
        new JsonObject()
            .put("principal", principal.name())
            .put("accessControl", access.enabled())
            .put("roles", roles));
  }

  /** ClusterStatus, with each member's name and figures, and when the leader took over. */
  private CompletionStage<JsonObject> cluster() {
    ClusterStatusResponse status = clusterStatusNow();
    long now = clock.millis();
    Map<String, ClusterMembership.NodeInfo> infos = new HashMap<>();
    for (ClusterMembership.NodeInfo info : membership.members()) {
      infos.put(info.id(), info);
    }
    Map<String, NodeStats> figures = nodeStats.all();
    JsonArray members = new JsonArray();
    for (ClusterMember member : status.getMembersList()) {
      ClusterMembership.NodeInfo info = infos.get(member.getId());
      members.add(
          new JsonObject()
              .put("id", member.getId())
              .put("name", info == null || info.name() == null ? "" : info.name())
              .put("memberAddress", member.getMemberAddress())
              .put("apiAddress", member.getApiAddress())
              .put("leader", member.getLeader())
              .put("local", member.getLocal())
              .put("stats", stats(figures.get(member.getId()), now)));
    }
    JsonObject leader =
        new JsonObject().put("id", status.getLeaderId()).put("epoch", status.getLeaderEpoch());
    LeaderRecord record = leadership.record();
    if (record != null
        && record.leader().toString().equals(status.getLeaderId())
        && record.sinceMillis() > 0) {
      leader.put("sinceMillis", record.sinceMillis());
    }
    return done(
        new JsonObject()
            .put("now", now)
            .put("clusterName", status.getClusterName())
            .put("nodeId", status.getNodeId())
            .put("incarnation", Long.toUnsignedString(status.getIncarnation()))
            .put("leader", leader)
            .put(
                "quorum",
                new JsonObject()
                    .put("configuredSize", status.getQuorum().getConfiguredSize())
                    .put("reachable", status.getQuorum().getReachable())
                    .put("hasQuorum", status.getQuorum().getHasQuorum()))
            .put(
                "protection",
                new JsonObject()
                    .put(
                        "budgetPercentPerMinute",
                        status.getProtection().getBudgetPercentPerMinute())
                    .put("heldBack", status.getProtection().getHeldBack())
                    .put("active", status.getProtection().getActive()))
            .put(
                "counts",
                new JsonObject()
                    .put("services", status.getCounts().getServices())
                    .put("instances", status.getCounts().getInstances())
                    .put("healthy", status.getCounts().getHealthy())
                    .put("unhealthy", status.getCounts().getUnhealthy()))
            .put("members", members)
            .put("strangers", new JsonArray(new ArrayList<>(status.getStrangersList())))
            .put("securityGaps", new JsonArray(new ArrayList<>(status.getSecurityGapsList()))));
  }

  /** The ClusterStatus RPC's own answer: the dashboard shows what {@code roster status} shows. */
  private ClusterStatusResponse clusterStatusNow() {
    ClusterStatusResponse[] answer = new ClusterStatusResponse[1];
    Throwable[] failure = new Throwable[1];
    // The service answers before it returns: it reads only memory.
    clusterStatus.clusterStatus(
        ClusterStatusRequest.getDefaultInstance(),
        new StreamObserver<>() {
          @Override
          public void onNext(ClusterStatusResponse value) {
            answer[0] = value;
          }

          @Override
          public void onError(Throwable t) {
            failure[0] = t;
          }

          @Override
          public void onCompleted() {}
        });
    if (failure[0] != null) {
      throw new IllegalStateException("ClusterStatus failed", failure[0]);
    }
    return answer[0];
  }

  private static JsonObject stats(NodeStats stats, long now) {
    if (stats == null) {
      return null;
    }
    JsonObject perSecond = new JsonObject();
    JsonObject totals = new JsonObject();
    for (OperationCounts.Operation operation : OperationCounts.Operation.values()) {
      perSecond.put(operation.label(), stats.perSecond(operation.ordinal()));
      totals.put(operation.label(), stats.total(operation.ordinal()));
    }
    return new JsonObject()
        .put("atMillis", stats.atMillis())
        .put("stale", now - stats.atMillis() > NodeStatsBoard.STALE_AFTER_MILLIS)
        .put("windowMillis", stats.atMillis() - stats.windowStartMillis())
        .put("streamsOpen", stats.streamsOpen())
        .put("perSecond", perSecond)
        .put("totals", totals);
  }

  /** Every service of a namespace with its counts, and the namespaces the caller may read. */
  private CompletionStage<JsonObject> services(Map<String, String> query) {
    String namespace =
        InstanceValidator.namespace("namespace", query.getOrDefault("namespace", ""));
    Access.require(Role.READ, namespace, "ListServices");
    Principal principal = Access.current();
    Set<String> namespaces = new TreeSet<>();
    namespaces.add(namespace);
    List<ServiceView> services = new ArrayList<>();
    for (ServiceView service : view.all()) {
      if (service.isEmpty()) {
        continue;
      }
      String of = service.key().namespace();
      if (principal.may(Role.READ, of)) {
        namespaces.add(of);
      }
      if (of.equals(namespace)) {
        services.add(service);
      }
    }
    services.sort((a, b) -> a.key().compareTo(b.key()));
    JsonArray listed = new JsonArray();
    for (ServiceView service : services) {
      int unhealthy = service.count(ServiceView.Health.UNHEALTHY);
      listed.add(
          new JsonObject()
              .put("service", service.key().service())
              .put("revision", service.revision())
              .put("instances", service.size())
              .put("serving", service.healthyCount())
              .put("healthy", service.size() - unhealthy)
              .put("unhealthy", unhealthy)
              .put("draining", service.count(ServiceView.Health.DRAINING))
              .put("outOfService", service.count(ServiceView.Health.OUT_OF_SERVICE)));
    }
    return done(
        new JsonObject()
            .put("now", clock.millis())
            .put("namespace", namespace)
            .put("namespaces", new JsonArray(new ArrayList<>(namespaces)))
            .put("services", listed));
  }

  /** One service: its instances with their leases, and its recent changes. */
  private CompletionStage<JsonObject> service(Map<String, String> query) {
    String namespace =
        InstanceValidator.namespace("namespace", query.getOrDefault("namespace", ""));
    String name = InstanceValidator.service("service", query.getOrDefault("service", ""));
    Access.require(Role.READ, namespace, "Discover");
    ServiceKey key = new ServiceKey(namespace, name);
    ServiceView service = view.get(key);
    List<InstanceEvent> changes = recentChanges.of(key);
    long incarnationNow = incarnation.current();
    CompletionStage<Map<String, Lease>> leases =
        service.isEmpty() ? CompletableFuture.completedFuture(Map.of()) : store.leases(key);
    return leases.thenApply(
        held -> serviceAnswer(service, held, changes, incarnationNow, clock.millis()));
  }

  private static JsonObject serviceAnswer(
      ServiceView service,
      Map<String, Lease> leases,
      List<InstanceEvent> changes,
      long incarnation,
      long now) {
    // Share of new work: callers send it to healthy UP instances, in proportion to their weights.
    long takingWork = 0;
    for (InstanceRecord record : service.instances()) {
      if (takesNewWork(record)) {
        takingWork += record.spec().weight();
      }
    }
    JsonArray instances = new JsonArray();
    for (InstanceRecord record : service.instances()) {
      instances.add(instance(record, leases.get(record.instanceId()), takingWork));
    }
    JsonArray events = new JsonArray();
    for (InstanceEvent event : changes) {
      events.add(
          new JsonObject()
              .put("kind", event.kind().name())
              .put("instanceId", event.instanceId())
              .put("revision", event.revision())
              .put("atMillis", event.atMillis())
              .put("detail", event.detail()));
    }
    return new JsonObject()
        .put("now", now)
        .put("namespace", service.key().namespace())
        .put("service", service.key().service())
        .put("revision", service.revision())
        .put("incarnation", Long.toUnsignedString(incarnation))
        .put("instances", instances)
        .put("changes", events);
  }

  private static boolean takesNewWork(InstanceRecord record) {
    return record.healthy() && record.status() == InstanceStatus.UP;
  }

  private static JsonObject instance(InstanceRecord record, Lease lease, long takingWork) {
    JsonObject metadata = new JsonObject();
    new TreeMap<>(record.spec().metadata()).forEach(metadata::put);
    JsonObject ports = new JsonObject();
    new TreeMap<>(record.spec().ports()).forEach(ports::put);
    double share =
        takesNewWork(record) && takingWork > 0 ? record.spec().weight() / (double) takingWork : 0;
    JsonObject condition =
        new JsonObject()
            .put("type", "lease")
            .put("healthy", record.lease().healthy())
            .put("reason", record.lease().reason())
            .put("message", record.lease().message())
            .put("sinceMillis", record.lease().sinceMillis());
    JsonObject json =
        new JsonObject()
            .put("id", record.instanceId())
            .put("host", record.spec().host())
            .put("port", record.spec().port())
            .put("ports", ports)
            .put("weight", record.spec().weight())
            .put("share", share)
            .put("zone", record.spec().zone())
            .put("version", record.spec().version())
            .put("metadata", metadata)
            .put("status", record.status().name())
            .put("healthy", record.healthy())
            .put("epoch", record.epoch())
            .put("revision", record.revision())
            .put("registeredAtMillis", record.registeredAtMillis())
            .put("conditions", new JsonArray().add(condition));
    // The lease of another epoch is not this registration's (a grant or a revoke in flight).
    if (lease != null && lease.epoch() == record.epoch()) {
      json.put(
          "lease",
          new JsonObject()
              .put("ttlMillis", lease.ttlMillis())
              .put("expiresAtMillis", lease.expiresAtMillis())
              .put("declaredExpired", lease.expired())
              .put(
                  "renewedAtMillis",
                  lease.expired() ? null : lease.expiresAtMillis() - lease.ttlMillis()));
    }
    return json;
  }

  private static CompletionStage<JsonObject> done(JsonObject answer) {
    return CompletableFuture.completedFuture(answer);
  }
}
