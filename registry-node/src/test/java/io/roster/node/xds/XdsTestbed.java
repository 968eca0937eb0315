package io.roster.node.xds;

import static org.awaitility.Awaitility.await;

import io.roster.testing.Heartbeats;
import io.roster.testing.NodeProcess;
import io.roster.testing.RosterCluster;
import io.roster.v1.DeregisterRequest;
import io.roster.v1.Instance;
import io.roster.v1.InstanceStatus;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import io.roster.v1.SetStatusRequest;
import io.roster.v1.SetStatusResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * What the xDS client tests share: three real node processes, each API on the same port of its own
 * loopback address (127.0.0.1-3), so one host name reaches them all as a DNS name for a cluster
 * would; real backends registered in them and kept alive with heartbeats; and the bootstraps
 * clients read.
 *
 * <p>Not thread-safe: one test thread drives it (the heartbeats run on their own).
 */
final class XdsTestbed implements AutoCloseable {

  /** The name every node is reached by, in the Java client's hosts file. */
  static final String CLUSTER_HOST = "roster.test";

  /** Leases short enough that an evicted backend leaves quickly, long enough for a busy CI. */
  static final long TTL_MILLIS = 3_000;

  static final Duration HEARTBEAT_PERIOD = Duration.ofMillis(500);

  final RosterCluster cluster;
  final HealthBackends backends = new HealthBackends();
  final Path logs;
  private final Heartbeats heartbeats;
  private final Map<String, RegisterResponse> leases = new ConcurrentHashMap<>();
  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private XdsTestbed(RosterCluster cluster, Path logs) {
    this.cluster = cluster;
    this.logs = logs;
    this.heartbeats =
        new Heartbeats(
            () ->
                cluster.nodes().stream()
                    .filter(NodeProcess::isAlive)
                    .map(n -> n.channel())
                    .toList(),
            HEARTBEAT_PERIOD,
            Duration.ofMinutes(15));
  }

  static XdsTestbed start(Path logs) {
    RosterCluster cluster = RosterCluster.builder().size(3).sameApiPort().start();
    try {
      return new XdsTestbed(cluster, logs);
    } catch (RuntimeException | Error e) {
      cluster.close();
      throw e;
    }
  }

  int apiPort() {
    return cluster.node(0).apiPort();
  }

  /** Starts a backend and registers it in {@code zone}, kept alive until {@link #evict}. */
  HealthBackends.Backend addBackend(String name, int weight, String zone) {
    HealthBackends.Backend backend = backends.add(name);
    register(backend, weight, zone);
    return backend;
  }

  RegisterResponse register(HealthBackends.Backend backend, int weight, String zone) {
    return register(backend.name, backend.port, weight, zone);
  }

  /** Registers an instance of orders at 127.0.0.1:{@code port}, kept alive. */
  RegisterResponse register(String name, int port, int weight, String zone) {
    RegisterResponse lease =
        registry()
            .register(
                RegisterRequest.newBuilder()
                    .setInstance(
                        Instance.newBuilder()
                            .setService("orders")
                            .setInstanceId(name)
                            .setHost("127.0.0.1")
                            .setPort(port)
                            .setWeight(weight)
                            .setZone(zone))
                    .setLeaseTtl(
                        com.google.protobuf.Duration.newBuilder()
                            .setNanos((int) TimeUnit.MILLISECONDS.toNanos(TTL_MILLIS % 1000))
                            .setSeconds(TTL_MILLIS / 1000))
                    .build());
    leases.put(name, lease);
    heartbeats.keep(lease);
    return lease;
  }

  /** Sets a backend's status; returns when a node has applied it. */
  SetStatusResponse setStatus(String name, InstanceStatus status) {
    return registry()
        .setStatus(
            SetStatusRequest.newBuilder()
                .setLeaseId(leases.get(name).getLeaseId())
                .setStatus(status)
                .build());
  }

  /** Stops a backend's heartbeats, as a backend that died would: its lease runs out. */
  void stopHeartbeats(String name) {
    heartbeats.stop(leases.get(name));
  }

  void deregister(String name) {
    RegisterResponse lease = leases.remove(name);
    heartbeats.stop(lease);
    registry().deregister(DeregisterRequest.newBuilder().setLeaseId(lease.getLeaseId()).build());
  }

  private RegistryServiceGrpc.RegistryServiceBlockingStub registry() {
    for (NodeProcess node : cluster.nodes()) {
      if (node.isAlive()) {
        return RegistryServiceGrpc.newBlockingStub(node.channel())
            .withDeadlineAfter(20, TimeUnit.SECONDS);
      }
    }
    throw new IllegalStateException("no node is alive");
  }

  /** A gauge of a node's /metrics. */
  double gauge(NodeProcess node, String name) {
    try {
      String text =
          http.send(
                  HttpRequest.newBuilder(URI.create("http://" + node.apiAddress() + "/metrics"))
                      .timeout(Duration.ofSeconds(10))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      return text.lines()
          .filter(line -> line.startsWith(name + " "))
          .mapToDouble(line -> Double.parseDouble(line.substring(name.length() + 1)))
          .findFirst()
          .orElseThrow(() -> new AssertionError("no " + name + " on " + node.name()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** The live node holding the one xDS stream open, once there is exactly one. */
  NodeProcess nodeServingTheStream() {
    return await("exactly one node holds an xDS stream")
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                cluster.nodes().stream()
                    .filter(NodeProcess::isAlive)
                    .filter(node -> gauge(node, "roster_xds_streams") > 0)
                    .toList(),
            serving -> serving.size() == 1)
        .get(0);
  }

  /** A grpc-java bootstrap: one xDS server, the cluster's name, for a client in {@code zone}. */
  String javaBootstrap(String nodeId, String zone) {
    return bootstrap("dns:///" + CLUSTER_HOST + ":" + apiPort(), nodeId, zone);
  }

  /** The hosts file the Java client resolves {@value #CLUSTER_HOST} with: every node. */
  Path hostsFile() {
    try {
      Files.createDirectories(logs);
      Path hosts = logs.resolve("hosts");
      String lines =
          cluster.nodes().stream()
                  .map(node -> node.host() + " " + CLUSTER_HOST)
                  .collect(Collectors.joining("\n"))
              + "\n127.0.0.1 localhost\n";
      Files.writeString(hosts, lines);
      return hosts;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A bootstrap whose one xDS server is reached at {@code serverUri}. */
  static String bootstrap(String serverUri, String nodeId, String zone) {
    return "{\"xds_servers\": [{\"server_uri\": \""
        + serverUri
        + "\", \"channel_creds\": [{\"type\": \"insecure\"}], \"server_features\": [\"xds_v3\"]}],"
        + " \"node\": {\"id\": \""
        + nodeId
        + "\", \"locality\": {\"zone\": \""
        + zone
        + "\"}}}";
  }

  /** Node's addresses as one grpc-js/C-core target of all of them: ipv4:a:p,b:p,c:p. */
  String ipv4Target() {
    return "ipv4:"
        + cluster.nodes().stream().map(NodeProcess::apiAddress).collect(Collectors.joining(","));
  }

  /** Calls per backend name, from a client's summary ({@code byPeer}: peer address to calls). */
  java.util.Map<String, Long> callsByBackend(String summary) {
    io.vertx.core.json.JsonObject byPeer =
        new io.vertx.core.json.JsonObject(summary).getJsonObject("byPeer");
    java.util.Map<String, Long> counts = new java.util.TreeMap<>();
    for (String peer : byPeer.fieldNames()) {
      HealthBackends.Backend backend = backends.at(peer);
      counts.put(backend == null ? peer : backend.name, byPeer.getLong(peer));
    }
    return counts;
  }

  /**
   * How long an xDS client waits for a resource it asked for on a new stream before it treats the
   * resource as gone (15 s in grpc-java and grpc-js): a node taking over a stream that failed to
   * send one would show in the calls only this long after.
   */
  static final Duration RESOURCE_TIMEOUT = Duration.ofSeconds(15);

  /**
   * Waits until {@code client} has called for {@link #RESOURCE_TIMEOUT} and a second after {@code
   * sinceNanos} (a node's death), failing at once if it ends first.
   */
  static void keepsCallingPastTheResourceTimeout(ChildProcess client, long sinceNanos) {
    Duration left = RESOURCE_TIMEOUT.plusSeconds(1).minusNanos(System.nanoTime() - sinceNanos);
    if (left.isNegative()) {
      return;
    }
    await("the client calls on past the resource timeout after the death")
        .during(left)
        .atMost(left.plusSeconds(10))
        .until(client::isAlive);
  }

  static long millis(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }

  List<HealthBackends.Backend> all(String... names) {
    return List.of(names).stream().map(backends::get).toList();
  }

  @Override
  public void close() {
    heartbeats.close();
    backends.close();
    cluster.close();
  }
}
