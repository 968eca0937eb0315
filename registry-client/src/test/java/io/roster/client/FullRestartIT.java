package io.roster.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.roster.client.grpc.CountingServer;
import io.roster.client.grpc.RosterNameResolverProvider;
import io.roster.testing.NodeProcess;
import io.roster.testing.RosterCluster;
import io.roster.testing.TcpRelay;
import io.roster.v1.ClusterServiceGrpc;
import io.roster.v1.ClusterStatusRequest;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.Instance;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegistryServiceGrpc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every node of a real cluster stopped for longer than grpc-java's connect backoff needs to grow (1
 * s, ×1.6 per failed attempt: about 10 s between attempts after a 25 s outage), then started again
 * on the same ports with an empty registry. The client's registrations must be back within a third
 * of their TTL of the registry answering again, as they are after a short outage.
 *
 * <p>"Answering" is the first moment a node answers ClusterStatus with a quorum, that is when a
 * registration can be accepted; the test polls for it every 50 ms, resetting its own channels'
 * backoff, so the measure is not itself delayed by grpc-java.
 */
@Timeout(180)
class FullRestartIT {

  /** A heartbeat every 3 s: the registrations must be back within 3 s. */
  private static final Duration LEASE_TTL = Duration.ofSeconds(9);

  private static final Duration OUTAGE = Duration.ofSeconds(25);
  private static final String SERVICE = "phoenix";

  @Test
  void registrationsAreBackWithinATtlThirdOfANodeAnsweringAfterALongOutage() {
    try (RosterCluster cluster = RosterCluster.start(3)) {
      RosterClientOptions options =
          RosterClientOptions.defaults()
              .nodes(cluster.nodes().stream().map(NodeProcess::apiAddress).toList())
              .leaseTtl(LEASE_TTL)
              .shutdownHook(false)
              .build();
      try (RosterClient client = RosterClient.create(options)) {
        Map<String, Long> activeAgainNanos = new ConcurrentHashMap<>();
        Set<String> ids = new TreeSet<>();
        List<Registration> registrations = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
          Registration registration =
              client.register(
                  ServiceInstance.builder(SERVICE, "127.0.0.1", 32_000 + i)
                      .instanceId(SERVICE + "-" + i)
                      .build());
          registrations.add(registration);
          ids.add(registration.instanceId());
          registration.addListener(
              (r, state, reason) -> {
                if (state == RegistrationState.ACTIVE && reason.startsWith("registered again")) {
                  activeAgainNanos.putIfAbsent(r.instanceId(), System.nanoTime());
                }
              });
        }

        for (NodeProcess node : cluster.nodes()) {
          node.kill();
        }
        await("every registration reconnecting throughout the outage")
            .during(OUTAGE)
            .atMost(OUTAGE.plusSeconds(10))
            .until(
                () ->
                    registrations.stream()
                        .allMatch(r -> r.state() == RegistrationState.RECONNECTING));

        long restartNanos = System.nanoTime();
        for (NodeProcess node : cluster.nodes()) {
          node.start();
        }
        long[] firstAnswerNanos = {0};
        NodeProcess answering =
            await("a node answers with a quorum")
                .atMost(RosterCluster.FORMATION_TIMEOUT)
                .pollInterval(Duration.ofMillis(50))
                .until(() -> nodeWithQuorum(cluster, firstAnswerNanos), node -> node != null);
        long quorumNanos = System.nanoTime();

        await("every registration back")
            .atMost(Duration.ofSeconds(60))
            .until(() -> activeAgainNanos.keySet().equals(ids));

        Map<String, Long> lagMillis = new TreeMap<>();
        activeAgainNanos.forEach(
            (id, nanos) -> lagMillis.put(id, TimeUnit.NANOSECONDS.toMillis(nanos - quorumNanos)));
        long worstMillis = lagMillis.values().stream().mapToLong(Long::longValue).max().orElse(0);
        System.out.printf(
            "FullRestartIT: outage %d s; first node answer %d ms and quorum %d ms after the"
                + " restart; registered again %s ms after the quorum (worst %d ms, budget %d"
                + " ms)%n",
            OUTAGE.toSeconds(),
            TimeUnit.NANOSECONDS.toMillis(firstAnswerNanos[0] - restartNanos),
            TimeUnit.NANOSECONDS.toMillis(quorumNanos - restartNanos),
            lagMillis,
            worstMillis,
            LEASE_TTL.dividedBy(3).toMillis());
        assertTrue(
            worstMillis <= LEASE_TTL.dividedBy(3).toMillis(),
            "registered again " + lagMillis + " ms after a node answered with a quorum");

        // The registry holds them again.
        await("the registry holds them again")
            .atMost(Duration.ofSeconds(10))
            .untilAsserted(
                () ->
                    assertEquals(
                        ids,
                        DiscoveryServiceGrpc.newBlockingStub(answering.channel())
                            .withDeadlineAfter(2, TimeUnit.SECONDS)
                            .discover(
                                DiscoverRequest.newBuilder()
                                    .setNamespace("default")
                                    .setService(SERVICE)
                                    .build())
                            .getInstancesList()
                            .stream()
                            .map(Instance::getInstanceId)
                            .collect(Collectors.toCollection(TreeSet::new))));
        registrations.forEach(Registration::close);
      }
    }
  }

  /**
   * Ghost endpoints: a client follows a service whose instances all die while every node is down;
   * the new registry gets other instances of that service and has reached the very revision the
   * client holds when the client resumes (its path to node 0 comes back only then). The client, and
   * a {@code roster:///} channel on it, must hold exactly the new instances. Before incarnations
   * the node answered the resume with nothing, and the client served the dead instances as live for
   * good; the channel called them and never the new ones.
   */
  @Test
  void aFollowedServiceHoldsExactlyTheNewRegistrysInstancesAfterAFullRestart() {
    try (RosterCluster cluster = RosterCluster.start(3);
        TcpRelay path = TcpRelay.to(cluster.node(0).host(), cluster.node(0).apiPort());
        CountingServer old = new CountingServer();
        CountingServer replacement = new CountingServer()) {
      RosterClientOptions options =
          RosterClientOptions.defaults()
              .nodes(path.address())
              .leaseTtl(LEASE_TTL)
              .shutdownHook(false)
              .build();
      try (RosterClient client = RosterClient.create(options)) {
        long held = 0;
        for (int i = 0; i < 3; i++) {
          held = registerForAnHour(cluster.node(1), "old-" + i, old.port);
        }
        long heldRevision = held;
        await("the client holds the old instances, at the revision of the last registration")
            .atMost(Duration.ofSeconds(20))
            .until(
                () ->
                    ids(client.discover(REPLACED)).equals(List.of("old-0", "old-1", "old-2"))
                        && client.discover(REPLACED).revision() == heldRevision);
        ManagedChannel channel =
            ManagedChannelBuilder.forTarget("roster:///" + REPLACED)
                .setNameResolverArg(RosterNameResolverProvider.CLIENT, client)
                .usePlaintext()
                .build();
        try {
          await("the channel calls the old instances")
              .atMost(Duration.ofSeconds(20))
              .ignoreExceptions()
              .until(() -> check(channel) && old.calls.get() > 0);

          path.cut();
          for (NodeProcess node : cluster.nodes()) {
            node.kill();
          }
          old.stop(); // their process died during the outage
          cluster.nodes().forEach(NodeProcess::start);
          cluster.awaitFormed(3);
          long revision = 0;
          for (int i = 0; i < 3; i++) {
            revision = registerForAnHour(cluster.node(1), "new-" + i, replacement.port);
          }
          assertEquals(held, revision, "the new registry reached the revision the client holds");
          long reached = revision;
          await("node 0's view holds the new instances")
              .atMost(Duration.ofSeconds(10))
              .until(
                  () ->
                      DiscoveryServiceGrpc.newBlockingStub(cluster.node(0).channel())
                              .withDeadlineAfter(2, TimeUnit.SECONDS)
                              .discover(DiscoverRequest.newBuilder().setService(REPLACED).build())
                              .getRevision()
                          == reached);
          path.restore();

          await("the client holds exactly the new instances")
              .atMost(Duration.ofSeconds(30))
              .until(
                  () -> ids(client.discover(REPLACED)).equals(List.of("new-0", "new-1", "new-2")));
          await("the channel calls the new instances")
              .atMost(Duration.ofSeconds(30))
              .ignoreExceptions()
              .until(
                  () -> {
                    check(channel);
                    return replacement.calls.get() > 0;
                  });
        } finally {
          channel.shutdownNow();
        }
      }
    }
  }

  private static final String REPLACED = "replaced";

  /** Registers an instance of {@link #REPLACED} with a 1 h lease; returns the new revision. */
  private static long registerForAnHour(NodeProcess node, String id, int port) {
    return RegistryServiceGrpc.newBlockingStub(node.channel())
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .register(
            RegisterRequest.newBuilder()
                .setInstance(
                    Instance.newBuilder()
                        .setService(REPLACED)
                        .setInstanceId(id)
                        .setHost("127.0.0.1")
                        .setPort(port))
                .setLeaseTtl(com.google.protobuf.Duration.newBuilder().setSeconds(3600))
                .build())
        .getRevision();
  }

  private static List<String> ids(ServiceEndpoints endpoints) {
    return endpoints.healthy().stream().map(ServiceInstance::instanceId).sorted().toList();
  }

  private static boolean check(ManagedChannel channel) {
    HealthGrpc.newBlockingStub(channel)
        .withDeadlineAfter(2, TimeUnit.SECONDS)
        .check(HealthCheckRequest.getDefaultInstance());
    return true;
  }

  /**
   * A node that answers ClusterStatus with a quorum, or null; notes when a node first answered at
   * all. Each poll resets the test's own channels' connect backoff, so that they connect within a
   * poll of a node listening again.
   */
  private static NodeProcess nodeWithQuorum(RosterCluster cluster, long[] firstAnswerNanos) {
    for (NodeProcess node : cluster.nodes()) {
      ManagedChannel channel = node.channel();
      channel.resetConnectBackoff();
      try {
        boolean quorum =
            ClusterServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(1, TimeUnit.SECONDS)
                .clusterStatus(ClusterStatusRequest.getDefaultInstance())
                .getQuorum()
                .getHasQuorum();
        if (firstAnswerNanos[0] == 0) {
          firstAnswerNanos[0] = System.nanoTime();
        }
        if (quorum) {
          return node;
        }
      } catch (RuntimeException notYet) {
        // Not listening yet, or not serving: the next poll asks again.
      }
    }
    return null;
  }
}
