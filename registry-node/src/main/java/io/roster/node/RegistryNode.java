package io.roster.node;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.grpc.BindableService;
import io.grpc.Status;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.roster.node.access.Access;
import io.roster.node.access.AccessFile;
import io.roster.node.api.AdsGrpcService;
import io.roster.node.api.ApiConnections;
import io.roster.node.api.ApiServer;
import io.roster.node.api.CallGuard;
import io.roster.node.api.CallRecorder;
import io.roster.node.api.ClusterGrpcService;
import io.roster.node.api.DiscoveryGrpcService;
import io.roster.node.api.DroppedTrailersFilter;
import io.roster.node.api.HttpEndpoints;
import io.roster.node.api.LeaseIds;
import io.roster.node.api.OpenStreams;
import io.roster.node.api.OperationCounts;
import io.roster.node.api.RegistryGrpcService;
import io.roster.node.api.RequestLog;
import io.roster.node.api.ServedCall;
import io.roster.node.api.ServerReflection;
import io.roster.node.api.ServiceBinding;
import io.roster.node.api.WatchHub;
import io.roster.node.api.http.HttpApi;
import io.roster.node.cluster.ClusterClock;
import io.roster.node.cluster.ClusterMembership;
import io.roster.node.cluster.EvictionSweeper;
import io.roster.node.cluster.HazelcastConfigFactory;
import io.roster.node.cluster.Leadership;
import io.roster.node.cluster.MemberIdentity;
import io.roster.node.cluster.NodeStatsBoard;
import io.roster.node.cluster.RegistryIncarnation;
import io.roster.node.config.NodeConfig;
import io.roster.node.dashboard.Dashboard;
import io.roster.node.dns.DnsServer;
import io.roster.node.health.NodeHealth;
import io.roster.node.lease.LeaseKeeper;
import io.roster.node.limits.Admission;
import io.roster.node.limits.CallKind;
import io.roster.node.limits.InstanceQuota;
import io.roster.node.logging.LogLevels;
import io.roster.node.metrics.NodeMeters;
import io.roster.node.store.hazelcast.HazelcastRegistryStore;
import io.roster.node.tls.TlsMaterial;
import io.roster.node.tls.TlsReloader;
import io.roster.node.view.LocalView;
import io.roster.node.view.RecentChanges;
import io.roster.node.xds.XdsCatalog;
import io.roster.node.xds.XdsCounters;
import io.roster.node.xds.XdsHub;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.server.GrpcServerOptions;
import io.vertx.grpc.server.Service;
import io.vertx.grpcio.server.GrpcIoServer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One registry node: an embedded Hazelcast member holding the registry, a local view of it, and the
 * gRPC API served on Vert.x. {@link #start} returns once the node has joined, read the registry and
 * listens; {@link #stop} leaves gracefully.
 *
 * <p>Threading: start and stop are called from one thread (main, or a test), never an event loop.
 */
public final class RegistryNode implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RegistryNode.class);

  private final NodeConfig config;
  private final OpenStreams openStreams = new OpenStreams();
  private NodeHealth health;
  private HazelcastInstance hazelcast;
  private final PrometheusMeterRegistry meters =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private HazelcastRegistryStore store;
  private EvictionSweeper sweeper;
  private AccessFile accessFile;
  private LocalView view;
  private Vertx vertx;
  private ApiServer server;
  private ApiServer dashboardServer;
  private DnsServer dnsServer;
  private ApiServer xdsServer;
  private ApiServer healthServer;
  private NodeStatsBoard nodeStats;
  private TlsMaterial tls;
  private TlsReloader tlsReloader;
  private NodeMeters nodeMeters;
  private volatile boolean stopped;

  public RegistryNode(NodeConfig config) {
    this.config = config;
  }

  public static RegistryNode start(NodeConfig config) {
    RegistryNode node = new RegistryNode(config);
    try {
      node.doStart();
    } catch (RuntimeException e) {
      node.stop();
      throw e;
    }
    return node;
  }

  private void doStart() {
    long started = System.nanoTime();
    if (!config.securityGaps().isEmpty()) {
      log.warn(
          "this node runs without {}: fine on one machine, not on a network others share"
              + " (docs/security.md)",
          String.join("; without ", config.securityGaps()));
    }
    // Read first: a bad access file stops the start before the node joins anything.
    accessFile = config.accessFile() == null ? null : AccessFile.follow(config.accessFile());
    Access access = accessFile == null ? Access.off() : accessFile.access();
    // Vert.x's default pool (twice the cores) may be smaller than the API's event loops asked for.
    vertx =
        Vertx.vertx(
            new VertxOptions()
                .setEventLoopPoolSize(
                    Math.max(
                        VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE, config.api().eventLoops())));
    if (config.api().tls().enabled()) {
      // Before joining: a wrong TLS file stops the node at once, naming its key, rather than after
      // it has joined the cluster.
      tls = TlsMaterial.read(config.api().tls(), vertx);
    }
    hazelcast = Hazelcast.newHazelcastInstance(HazelcastConfigFactory.create(config));
    ClusterClock clock = new ClusterClock(hazelcast.getCluster());
    MemberIdentity identity =
        new MemberIdentity(config.cluster().name(), config.cluster().secret());
    ClusterMembership membership =
        new ClusterMembership(hazelcast, config.cluster().expectedSize(), identity);
    membership.keepStrangersOut();
    health =
        new NodeHealth(
            config.nodeName(),
            config.cluster().expectedSize(),
            config.cluster().quorumSize(),
            () -> membership.members().size(),
            () ->
                openStreams.closeAll(
                    Status.UNAVAILABLE.withDescription(
                        "node " + config.nodeName() + " is draining: reconnect to another node")));
    RegistryIncarnation incarnation = RegistryIncarnation.join(hazelcast, clock);
    store = new HazelcastRegistryStore(hazelcast, clock, config.renewalWindowMillis());
    view = new LocalView(store);
    // Before the first read, so the hub mirrors every view from its first state on.
    WatchHub watchHub = new WatchHub(view, incarnation);
    RecentChanges recentChanges = new RecentChanges(view, clock);
    incarnation.onChange(adopted -> watchHub.incarnationChanged());
    XdsHub xdsHub = new XdsHub(view);
    incarnation.onChange(adopted -> xdsHub.incarnationChanged());
    InstanceQuota quota =
        InstanceQuota.over(
            view, config.limits().enabled() ? config.limits().instancesPerNamespace() : 0);
    await(view.start().toCompletableFuture(), "reading the registry");
    Leadership leadership = new Leadership(hazelcast, identity, clock, meters);
    sweeper =
        new EvictionSweeper(
            hazelcast,
            leadership,
            membership,
            store,
            view,
            clock,
            config.eviction(),
            config.leases().defaultTtlMillis(),
            meters);
    // Events can be lost when a member dies mid-change: compare revisions whenever membership
    // moves, and periodically in case anything else slipped.
    membership.onChange(
        () -> {
          leadership.membershipChanged();
          health.refresh();
          resyncQuietly();
          incarnation.refresh();
        });
    sweeper.start();
    nodeMeters =
        NodeMeters.bind(meters, vertx, hazelcast, membership, leadership, view, watchHub, clock);

    vertx.setPeriodic(
        config.viewResyncIntervalMillis(),
        id -> {
          resyncQuietly();
          leadership.refresh();
          incarnation.refresh();
          watchHub.forgetOldRemovals();
          recentChanges.forgetGone(view);
        });

    GrpcIoServer grpc =
        GrpcIoServer.server(
            vertx, new GrpcServerOptions().setMaxMessageSize(HttpEndpoints.MAX_MESSAGE_BYTES));
    OperationCounts operations = new OperationCounts();
    operations.register(meters);
    // Held by name: the HTTP/JSON API calls the very same service objects.
    RegistryGrpcService registry =
        new RegistryGrpcService(
            store,
            incarnation,
            new LeaseKeeper(store, view, clock),
            config.leases(),
            openStreams,
            LeaseIds.of(config.cluster().name(), config.cluster().secret()),
            quota,
            operations);
    DiscoveryGrpcService discovery =
        new DiscoveryGrpcService(
            view, incarnation, watchHub, openStreams, config.watchQueueLimit(), operations);
    ClusterGrpcService clusterStatus =
        new ClusterGrpcService(
            config.cluster().name(),
            membership,
            leadership,
            sweeper,
            config.eviction().budgetPercentPerMinute(),
            view,
            incarnation,
            config.securityGaps());
    List<Service> served = new ArrayList<>();
    for (BindableService service : List.of(registry, discovery, clusterStatus, health.service())) {
      // Guarded: every call is answered whatever throws. Unary methods are served directly,
      // streaming ones through the bridge (ServiceBinding).
      served.add(ServiceBinding.of(CallGuard.guard(service.bindService())));
    }
    served.addAll(ServerReflection.bothVersions());
    served.forEach(grpc::addService);
    Gauge.builder("roster.streams.open", openStreams, OpenStreams::size)
        .description("Watch, KeepAlive and xDS streams open on this node")
        .register(meters);
    Gauge.builder("roster.watch.subscriptions", watchHub, WatchHub::subscriptions)
        .description("Services followed by Watch streams on this node, one per stream and service")
        .register(meters);
    ApiConnections connections = new ApiConnections(vertx, config.api().connections());
    FunctionCounter.builder(
            "roster.http2.stream.errors.dropped", connections, ApiConnections::streamErrorsDropped)
        .description(
            "HTTP/2 stream errors kept from closing their connection (a Vert.x workaround)")
        .register(meters);
    FunctionCounter.builder(
            "roster.http2.trailers.dropped",
            DroppedTrailersFilter.class,
            c -> DroppedTrailersFilter.dropped())
        .description(
            "Answers' trailers Vert.x dropped with a NullPointerException when their client reset"
                + " the stream (a known Vert.x defect, counted instead of logged)")
        .register(meters);
    GrpcIoServer xdsGrpc = null;
    if (config.xds().enabled()) {
      XdsCounters xdsCounters = new XdsCounters();
      xdsCounters.register(meters);
      Gauge.builder("roster.xds.streams", xdsHub, XdsHub::streams)
          .description("xDS (ADS) streams open on this node")
          .register(meters);
      AdsGrpcService ads =
          new AdsGrpcService(
              new XdsCatalog(xdsHub.views(), incarnation), xdsHub, openStreams, xdsCounters);
      xdsGrpc =
          config.xds().ownPort()
              ? GrpcIoServer.server(
                  vertx, new GrpcServerOptions().setMaxMessageSize(HttpEndpoints.MAX_MESSAGE_BYTES))
              : grpc;
      Service adsService = ServiceBinding.of(CallGuard.guard(ads.bindService()));
      xdsGrpc.addService(adsService);
      served.add(adsService); // counted per method wherever it is served
    }
    Admission admission =
        new Admission(config.limits(), why -> RequestLog.connectionClosed(false, why));
    registerLimitMeters(admission);
    // Every node publishes its figures, dashboard or not: the others' dashboards show them.
    nodeStats =
        new NodeStatsBoard(
            hazelcast,
            clock,
            () -> {
              long[] totals = new long[OperationCounts.Operation.values().length];
              for (OperationCounts.Operation operation : OperationCounts.Operation.values()) {
                totals[operation.ordinal()] = operations.total(operation);
              }
              return totals;
            },
            openStreams::size);
    nodeStats.start();
    HttpApi httpApi =
        new HttpApi(access, admission, registry, discovery, clusterStatus, LogLevels.ofProcess());
    List<String> routes = new ArrayList<>(httpApi.paths());
    routes.add(HttpEndpoints.METRICS_PATH);
    if (config.health().enabled()) {
      routes.addAll(NodeHealth.PATHS);
    }
    Dashboard dashboard =
        !config.dashboard().enabled()
            ? null
            : new Dashboard(
                httpApi,
                access,
                clusterStatus,
                membership,
                leadership,
                nodeStats,
                view,
                store,
                recentChanges,
                incarnation,
                clock);
    if (dashboard != null) {
      routes.addAll(dashboard.apiPaths());
    }
    CallRecorder calls = new CallRecorder(meters, served, routes, config.logs().access());
    HttpEndpoints http =
        new HttpEndpoints(
            vertx,
            grpc,
            access,
            admission,
            meters,
            calls,
            httpApi,
            dashboard == null || config.dashboard().ownPort() ? null : dashboard::handle);
    server =
        await(
            ApiServer.start(
                    vertx,
                    config.api().eventLoops(),
                    config.api().host(),
                    config.api().port(),
                    this::httpOptions,
                    connections,
                    http)
                .toCompletionStage()
                .toCompletableFuture(),
            "opening the API port " + config.api().host() + ":" + config.api().port());
    if (config.dashboard().ownPort()) {
      // Its pages call the HTTP/JSON API at their own origin (Watch, SetStatus): it is served
      // here too, with the same checks; gRPC and /metrics stay on the API port.
      dashboardServer =
          await(
              ApiServer.start(
                      vertx,
                      1,
                      config.api().host(),
                      config.dashboard().port(),
                      this::httpOptions,
                      connections,
                      request -> {
                        ServedCall call = calls.http(request);
                        if (HttpEndpoints.isDashboardPath(request.path())) {
                          dashboard.handle(request, call);
                        } else {
                          httpApi.handle(request, call);
                        }
                      })
                  .toCompletionStage()
                  .toCompletableFuture(),
              "opening the dashboard port "
                  + config.api().host()
                  + ":"
                  + config.dashboard().port());
    }
    if (config.dns().enabled()) {
      dnsServer =
          await(
              DnsServer.start(vertx, config.dns(), view, meters)
                  .toCompletionStage()
                  .toCompletableFuture(),
              "opening the DNS port " + config.dns().host() + ":" + config.dns().port());
      log.info(
          "DNS for {} on {}:{} (UDP and TCP)",
          config.dns().domain(),
          config.dns().host(),
          dnsServer.port());
      if (config.accessFile() != null) {
        log.warn(
            "DNS has no access checks: whoever reaches {}:{} reads every namespace's names and"
                + " addresses, past the access file (docs/dns.md)",
            config.dns().host(),
            dnsServer.port());
      }
    }
    if (config.xds().ownPort()) {
      xdsServer =
          await(
              ApiServer.start(
                      vertx,
                      1,
                      config.api().host(),
                      config.xds().port(),
                      this::httpOptions,
                      connections,
                      HttpEndpoints.grpcOnly(vertx, xdsGrpc, access, admission, calls))
                  .toCompletionStage()
                  .toCompletableFuture(),
              "opening the xDS port " + config.api().host() + ":" + config.xds().port());
      log.info("xDS (ADS) on its own port {}", xdsServer.port());
    }
    if (tls != null) {
      tlsReloader =
          new TlsReloader(
              config.api().tls(),
              vertx,
              tls,
              options -> {
                var applied = server.updateSslOptions(options);
                for (ApiServer other : new ApiServer[] {dashboardServer, xdsServer}) {
                  if (other != null) {
                    applied = applied.compose(done -> other.updateSslOptions(options));
                  }
                }
                return applied;
              },
              meters);
      tlsReloader.start();
      log.info(
          "API TLS: {}; files checked for changes every {} ms",
          tls.describe(),
          config.api().tls().reloadIntervalMillis());
    }
    if (config.health().enabled()) {
      healthServer = await(startHealthPort(calls, connections), "opening the health port");
      log.info(
          "health on its own port {}: gRPC health, /livez, /readyz, /drain (plaintext)",
          healthServer.port());
    }
    health.serving();
    if (dashboard != null) {
      log.info(
          "dashboard at {}://{}:{}/ui/",
          tls == null ? "http" : "https",
          config.api().advertisedHost(),
          config.dashboard().ownPort() ? dashboardServer.port() : server.port());
    }
    log.info(
        "node {} serving on {} ({}; cluster \"{}\", member {}:{}, {} members) after {} ms",
        config.nodeName(),
        config.api().advertisedAddress(),
        tls == null ? "plaintext" : "TLS",
        config.cluster().name(),
        config.cluster().host(),
        config.cluster().port(),
        hazelcast.getCluster().getMembers().size(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
  }

  /**
   * The health port: plaintext on {@code api.host}, one event loop, the API port's connection
   * handling and HTTP/2 limits (idle timeout, keepalive pings, reset floods), serving only health.
   */
  private java.util.concurrent.CompletableFuture<ApiServer> startHealthPort(
      CallRecorder calls, ApiConnections connections) {
    GrpcIoServer healthGrpc = GrpcIoServer.server(vertx, new GrpcServerOptions());
    healthGrpc.addService(ServiceBinding.of(CallGuard.guard(health.service().bindService())));
    return ApiServer.start(
            vertx,
            1,
            config.api().host(),
            config.health().port(),
            this::plaintextOptions,
            connections,
            HttpEndpoints.healthOnly(vertx, healthGrpc, calls, health::handle))
        .toCompletionStage()
        .toCompletableFuture();
  }

  /** The health port's address, or -1 when it has none. */
  public int healthPort() {
    return healthServer == null ? -1 : healthServer.port();
  }

  /**
   * Stream resets a client may send per 30 s before Vert.x closes its connection. Every gRPC call a
   * client cancels, or whose deadline passes, is a reset: Vert.x's default (200) closed a busy
   * client's connection, KeepAlive streams and all (ENHANCE_YOUR_CALM), under ordinary load. This
   * still stops a rapid-reset flood, which sends tens of thousands a second.
   */
  static final int MAX_RESETS_PER_30_SECONDS = 10_000;

  /**
   * Calls one client connection may have open at once (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS).
   * Vert.x offers 100; grpc-java's own server sets no limit. With 100, calls waiting on a member
   * that hangs (heartbeats whose partition it owns, held until it is declared dead) filled a
   * client's connection, and its reads, answered from memory, queued behind them in the client
   * until their deadlines passed. A client keeps one connection per node, so the limit must leave
   * room for everything it has in flight; it still bounds what one connection can hold.
   */
  static final long MAX_CONCURRENT_STREAMS = 10_000;

  private HttpServerOptions httpOptions() {
    HttpServerOptions options = plaintextOptions();
    if (tls != null) {
      // The contents checked at start, not the paths: the files may change under a running node.
      tls.applyTo(options);
    }
    return options;
  }

  /** Every port's HTTP options but TLS: the health port takes these as they are. */
  private HttpServerOptions plaintextOptions() {
    NodeConfig.Connections connections = config.api().connections();
    return new HttpServerOptions()
        .setHttp2RstFloodMaxRstFramePerWindow(MAX_RESETS_PER_30_SECONDS)
        .setInitialSettings(new Http2Settings().setMaxConcurrentStreams(MAX_CONCURRENT_STREAMS))
        // Closes what never becomes a live connection (a bare TCP connection, a half-sent
        // preface or request) and what went silent; streams keep theirs busy with pings.
        .setIdleTimeout(connections.idleTimeoutSeconds())
        .setIdleTimeoutUnit(TimeUnit.SECONDS);
  }

  /** The port the API listens on (useful when configured as 0 in tests). */
  public int apiPort() {
    return server.port();
  }

  /** The port xDS is served on: its own, or the API's. */
  public int xdsPort() {
    return xdsServer != null ? xdsServer.port() : server.port();
  }

  /** The port the dashboard is served on: its own, or the API's. */
  public int dashboardPort() {
    return dashboardServer != null ? dashboardServer.port() : server.port();
  }

  /** The port DNS is answered on; 0 when DNS is off. */
  public int dnsPort() {
    return dnsServer != null ? dnsServer.port() : 0;
  }

  public HazelcastInstance hazelcast() {
    return hazelcast;
  }

  public LocalView view() {
    return view;
  }

  public NodeConfig config() {
    return config;
  }

  /**
   * Leaves the cluster gracefully: stops saying SERVING, ends every open stream with UNAVAILABLE so
   * clients move to another node, closes the API port, then hands this member's partitions to the
   * others (Hazelcast graceful shutdown) so nothing is lost.
   */
  public synchronized void stop() {
    if (stopped) {
      return;
    }
    stopped = true;
    log.info("node {} leaving the cluster", config.nodeName());
    if (health != null) {
      health.leaving();
    }
    if (tlsReloader != null) {
      tlsReloader.close();
    }
    openStreams.closeAll(
        Status.UNAVAILABLE.withDescription(
            "node " + config.nodeName() + " is shutting down: reconnect to another node"));
    if (dnsServer != null) {
      awaitQuietly(dnsServer.close().toCompletionStage().toCompletableFuture(), "closing DNS");
    }
    if (dashboardServer != null) {
      awaitQuietly(
          dashboardServer.close().toCompletionStage().toCompletableFuture(),
          "closing the dashboard port");
    }
    if (xdsServer != null) {
      awaitQuietly(
          xdsServer.close().toCompletionStage().toCompletableFuture(), "closing the xDS port");
    }
    if (server != null) {
      awaitQuietly(server.close().toCompletionStage().toCompletableFuture(), "closing the API");
    }
    if (healthServer != null) {
      awaitQuietly(
          healthServer.close().toCompletionStage().toCompletableFuture(),
          "closing the health port");
    }
    if (nodeStats != null) {
      nodeStats.close();
    }
    if (sweeper != null) {
      sweeper.close();
    }
    if (accessFile != null) {
      accessFile.close();
    }
    if (store != null) {
      store.close();
    }
    if (hazelcast != null) {
      hazelcast.shutdown();
    }
    if (nodeMeters != null) {
      nodeMeters.close();
    }
    if (vertx != null) {
      awaitQuietly(vertx.close().toCompletionStage().toCompletableFuture(), "stopping Vert.x");
    }
    log.info("node {} stopped", config.nodeName());
  }

  @Override
  public void close() {
    stop();
  }

  private void registerLimitMeters(Admission admission) {
    for (CallKind kind : List.of(CallKind.WRITE, CallKind.RENEWAL, CallKind.READ)) {
      FunctionCounter.builder("roster.limits.refused", admission, a -> a.refusedCalls(kind))
          .tag("kind", kind.name().toLowerCase(java.util.Locale.ROOT))
          .description("Calls refused because their caller or connection was over a rate")
          .register(meters);
    }
    FunctionCounter.builder("roster.limits.streams.refused", admission, Admission::refusedStreams)
        .description("Streams refused because their caller or connection had all its streams open")
        .register(meters);
    FunctionCounter.builder(
            "roster.limits.connections.closed", admission, Admission::closedConnections)
        .description("Connections closed because their client went on after many refusals")
        .register(meters);
    Gauge.builder("roster.limits.callers", admission, Admission::trackedCallers)
        .description("Callers this node keeps rate budgets for")
        .register(meters);
  }

  private void resyncQuietly() {
    if (stopped) {
      return;
    }
    view.resync()
        .exceptionally(
            failure -> {
              log.debug("view resync failed, next one retries: {}", failure.toString());
              return null;
            });
  }

  private <T> T await(java.util.concurrent.CompletableFuture<T> future, String what) {
    try {
      return future.get(config.shutdownGraceMillis() + 60_000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while " + what, e);
    } catch (Exception e) {
      throw new IllegalStateException(
          "node " + config.nodeName() + " failed " + what + ": " + e.getMessage(), e);
    }
  }

  private void awaitQuietly(java.util.concurrent.CompletableFuture<?> future, String what) {
    try {
      future.get(config.shutdownGraceMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      log.warn("{} did not finish cleanly: {}", what, e.toString());
    }
  }
}
