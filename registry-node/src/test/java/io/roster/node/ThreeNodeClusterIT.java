package io.roster.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.roster.testing.Heartbeats;
import io.roster.testing.Instances;
import io.roster.testing.NodeProcess;
import io.roster.testing.RosterCluster;
import io.roster.v1.ClusterServiceGrpc;
import io.roster.v1.ClusterStatusRequest;
import io.roster.v1.ClusterStatusResponse;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.DiscoverResponse;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.HealthState;
import io.roster.v1.Instance;
import io.roster.v1.InstanceKey;
import io.roster.v1.InstanceStatus;
import io.roster.v1.KeepAliveRequest;
import io.roster.v1.KeepAliveResponse;
import io.roster.v1.LeaseState;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import io.roster.v1.SetStatusRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Three real node processes on loopback, driven over gRPC as users drive them. The tests run in
 * order because the later ones kill and stop nodes.
 */
@Timeout(300)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ThreeNodeClusterIT {

  private static final Duration PROPAGATION = Duration.ofSeconds(10);
  private static RosterCluster cluster;

  @BeforeAll
  static void startCluster() {
    cluster = RosterCluster.start(3);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Order(1)
  void instanceRegisteredOnOneNodeIsFoundOnTheOthersAsRegistered() {
    long started = System.nanoTime();
    registry(0)
        .register(
            Instances.register(
                Instances.of("orders").setInstanceId("orders-1").setWeight(300).setZone("z1")));
    registry(0)
        .register(
            Instances.register(
                Instances.of("orders").setInstanceId("orders-2").setWeight(0).setZone("z2")));

    for (int node = 1; node < 3; node++) {
      List<Instance> found = awaitCount(node, "orders", 2);
      assertEquals(
          List.of(300, 0), found.stream().map(Instance::getWeight).collect(Collectors.toList()));
      assertEquals(List.of("z1", "z2"), found.stream().map(Instance::getZone).toList());
      assertTrue(found.stream().allMatch(i -> i.getStatus() == InstanceStatus.INSTANCE_STATUS_UP));
    }
    System.out.printf(
        "registered on node1, visible on node2 and node3 within %d ms%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
  }

  @Test
  @Order(2)
  void statusSetOnOneNodeIsSeenOnTheOthers() {
    registry(2)
        .setStatus(
            SetStatusRequest.newBuilder()
                .setKey(InstanceKey.newBuilder().setService("orders").setInstanceId("orders-1"))
                .setStatus(InstanceStatus.INSTANCE_STATUS_DRAINING)
                .build());

    await()
        .atMost(PROPAGATION)
        .until(
            () ->
                discover(0, "orders").getInstancesList().stream()
                    .anyMatch(i -> i.getStatus() == InstanceStatus.INSTANCE_STATUS_DRAINING));
  }

  @Test
  @Order(3)
  void killingANodeWhileClientsRegisterAndHeartbeatLosesNothingAndEvictsNobody() throws Exception {
    Set<String> registered = ConcurrentHashMap.newKeySet();
    List<Heartbeats> heartbeats = new ArrayList<>();
    // One "client" per node: each registers and heartbeats through its node, and moves to the
    // next live node when its own dies, as clients do.
    for (int node = 0; node < 3; node++) {
      int home = node;
      heartbeats.add(
          new Heartbeats(
              () ->
                  List.of(
                      cluster.node(home).channel(),
                      cluster.node((home + 1) % 3).channel(),
                      cluster.node((home + 2) % 3).channel()),
              Duration.ofMillis(1_000),
              Duration.ofMinutes(3)));
    }
    AtomicBoolean unhealthySeen = new AtomicBoolean();
    ScheduledExecutorService watcher = Executors.newSingleThreadScheduledExecutor();
    try {
      for (int i = 0; i < 150; i++) {
        registerThrough(i % 3, "payments-" + (i % 10), registered, heartbeats);
      }
      watcher.scheduleAtFixedRate(
          () -> {
            try {
              for (int s = 0; s < 10; s++) {
                if (discover(0, "payments-" + s).getInstancesList().stream()
                    .anyMatch(i -> i.getHealth() == HealthState.HEALTH_STATE_UNHEALTHY)) {
                  unhealthySeen.set(true);
                }
              }
            } catch (RuntimeException ignored) {
              // Busy with the failover; the next poll looks again.
            }
          },
          0,
          250,
          TimeUnit.MILLISECONDS);

      cluster.node(1).kill();
      long killed = System.nanoTime();
      // Registrations go on through every node, the dead one's client moving to a live node.
      for (int i = 150; i < 300; i++) {
        registerThrough(i % 3, "payments-" + (i % 10), registered, heartbeats);
      }

      for (int node : List.of(0, 2)) {
        await()
            .atMost(Duration.ofSeconds(30))
            .ignoreExceptions()
            .until(() -> clusterStatus(node).getMembersCount() == 2);
        Set<String> found = new HashSet<>();
        for (int s = 0; s < 10; s++) {
          for (Instance instance : awaitCount(node, "payments-" + s, 30)) {
            found.add(
                instance.getNamespace()
                    + "/"
                    + instance.getService()
                    + "/"
                    + instance.getInstanceId());
          }
        }
        assertEquals(registered, found, "every registration survives on node" + (node + 1));
      }
      assertTrue(clusterStatus(0).getQuorum().getHasQuorum(), "two of three is a majority");
      // Until longer than a lease TTL after the kill (the watcher has polled since before it):
      // every heartbeating instance is still healthy.
      Duration toTtlAfterKill = Duration.ofSeconds(11).minusNanos(System.nanoTime() - killed);
      if (toTtlAfterKill.compareTo(Duration.ofMillis(100)) > 0) {
        await()
            .during(toTtlAfterKill)
            .atMost(toTtlAfterKill.plusSeconds(4))
            .until(() -> !unhealthySeen.get());
      }

      cluster.node(1).start();
      cluster.awaitFormed(3);
      awaitCount(1, "payments-0", 30);
    } finally {
      watcher.shutdownNow();
      heartbeats.forEach(Heartbeats::close);
    }
    assertFalse(unhealthySeen.get(), "no heartbeating instance was marked unhealthy");
  }

  private static void registerThrough(
      int node, String service, Set<String> registered, List<Heartbeats> heartbeats) {
    RegisterResponse response =
        await()
            .atMost(Duration.ofSeconds(30))
            // At once: Awaitility's default first poll comes 100 ms late, 30 s over 300 calls.
            .pollDelay(Duration.ZERO)
            .ignoreExceptionsInstanceOf(StatusRuntimeException.class)
            .until(
                () ->
                    RegistryServiceGrpc.newBlockingStub(liveNodeFrom(node).channel())
                        .withDeadlineAfter(10, TimeUnit.SECONDS)
                        .register(
                            RegisterRequest.newBuilder()
                                .setInstance(Instances.of(service))
                                .setLeaseTtl(
                                    com.google.protobuf.Duration.newBuilder().setSeconds(10))
                                .build()),
                r -> true);
    registered.add("default/" + service + "/" + response.getInstanceId());
    heartbeats.get(node).keep(response);
  }

  /** The node itself while it runs, else the next live one: what a client fails over to. */
  private static NodeProcess liveNodeFrom(int node) {
    for (int i = 0; i < 3; i++) {
      NodeProcess candidate = cluster.node((node + i) % 3);
      if (candidate.isAlive()) {
        return candidate;
      }
    }
    throw new IllegalStateException("no live node");
  }

  @Test
  @Order(4)
  void nodeThatLeavesEndsItsStreamsWithUnavailableAndLosesNothing() throws Exception {
    NodeProcess leaving = cluster.node(2);
    RegisterResponse lease =
        registry(2).register(Instances.register(Instances.of("streamed").setInstanceId("s1")));
    List<KeepAliveResponse> answers = new CopyOnWriteArrayList<>();
    CompletableFuture<Throwable> ended = new CompletableFuture<>();
    StreamObserver<KeepAliveRequest> requests =
        RegistryServiceGrpc.newStub(leaving.channel())
            .keepAlive(
                new StreamObserver<>() {
                  @Override
                  public void onNext(KeepAliveResponse value) {
                    answers.add(value);
                  }

                  @Override
                  public void onError(Throwable t) {
                    ended.complete(t);
                  }

                  @Override
                  public void onCompleted() {
                    ended.complete(null);
                  }
                });
    requests.onNext(
        KeepAliveRequest.newBuilder()
            .setLeaseId(lease.getLeaseId())
            .setEpoch(lease.getEpoch())
            .build());
    await().atMost(PROPAGATION).until(() -> !answers.isEmpty());
    assertEquals(LeaseState.LEASE_STATE_ACTIVE, answers.get(0).getState());

    leaving.stop();

    Throwable end = ended.get(30, TimeUnit.SECONDS);
    assertEquals(Status.Code.UNAVAILABLE, Status.fromThrowable(end).getCode(), String.valueOf(end));
    awaitCount(0, "streamed", 1);
    awaitCount(1, "payments-9", 30);
  }

  private static RegistryServiceGrpc.RegistryServiceBlockingStub registry(int node) {
    return RegistryServiceGrpc.newBlockingStub(cluster.node(node).channel())
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static DiscoverResponse discover(int node, String service) {
    return DiscoveryServiceGrpc.newBlockingStub(cluster.node(node).channel())
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .discover(
            DiscoverRequest.newBuilder().setService(service).setIncludeUnhealthy(true).build());
  }

  private static ClusterStatusResponse clusterStatus(int node) {
    return ClusterServiceGrpc.newBlockingStub(cluster.node(node).channel())
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .clusterStatus(ClusterStatusRequest.getDefaultInstance());
  }

  private static List<Instance> awaitCount(int node, String service, int count) {
    return await("node" + (node + 1) + " lists " + count + " instances of " + service)
        .atMost(PROPAGATION)
        .pollDelay(Duration.ZERO)
        .ignoreExceptionsInstanceOf(StatusRuntimeException.class)
        .until(() -> discover(node, service).getInstancesList(), list -> list.size() == count);
  }
}
