package io.roster.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roster.testing.FreePorts;
import io.roster.testing.Instances;
import io.roster.testing.RosterCluster;
import io.roster.v1.DeregisterRequest;
import io.roster.v1.HealthState;
import io.roster.v1.Instance;
import io.roster.v1.InstanceKey;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client against three real registry nodes over gRPC, one cluster for the class: leases kept
 * alive across the kill of their node, registering again after NOT_FOUND, giving up on STALE_EPOCH,
 * draining on close, the watch cache resuming on another node and serving stale endpoints when
 * every node is down.
 *
 * <p>Ordered, because the later tests kill nodes: the kill tests come last, and the last one kills
 * every node still running.
 */
@Timeout(120)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RosterClientIT {

  /** Short leases keep the failure tests quick: heartbeats every second. */
  private static final Duration LEASE_TTL = Duration.ofSeconds(3);

  private static final Duration DRAIN_DELAY = Duration.ofMillis(800);
  private static final AtomicInteger ports = new AtomicInteger(31_000);

  private static RosterCluster cluster;

  @TempDir static Path dir;

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
  void closeMarksTheInstanceDrainingWaitsTheDrainDelayThenDeregisters() {
    try (RosterClient client = RosterClient.create(options(0, 1, 2));
        RawWatch witness = RawWatch.on(cluster.node(1), "drained")) {
      Registration registration = client.register(instance("drained"));
      String id = registration.instanceId();
      witness.awaitLatest(id, RosterClientIT::healthyAndUp, "healthy and UP");

      long startNanos = System.nanoTime();
      registration.close();
      long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);

      assertTrue(tookMillis >= DRAIN_DELAY.toMillis(), "close took only " + tookMillis + " ms");
      assertEquals(RegistrationState.CLOSED, registration.state());
      witness.awaitRemoved(id);
      List<Optional<Instance>> history = witness.history(id);
      int draining =
          indexOf(
              history,
              v ->
                  v.isPresent()
                      && v.get().getStatus()
                          == io.roster.v1.InstanceStatus.INSTANCE_STATUS_DRAINING);
      int removed = indexOf(history, Optional::isEmpty);
      assertTrue(
          draining >= 0 && draining < removed, "DRAINING, then removed: " + describe(history));
    }
  }

  @Test
  @Order(2)
  void aLeaseTheRegistryLostIsRegisteredAgainWithANewEpoch() {
    try (RosterClient client = RosterClient.create(options(0, 1, 2));
        RawWatch witness = RawWatch.on(cluster.node(2), "phoenix")) {
      Registration registration = client.register(instance("phoenix"));
      List<RegistrationState> states = record(registration);
      long firstEpoch = registration.epoch();
      witness.awaitLatest(registration.instanceId(), RosterClientIT::healthyAndUp, "healthy");

      // Removed behind the client's back (as the leader's eviction would): NOT_FOUND next beat.
      RegistryServiceGrpc.newBlockingStub(cluster.node(1).channel())
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .deregister(
              DeregisterRequest.newBuilder()
                  .setKey(
                      InstanceKey.newBuilder()
                          .setService("phoenix")
                          .setInstanceId(registration.instanceId()))
                  .build());

      await("registered again")
          .atMost(Duration.ofSeconds(15))
          .until(
              () ->
                  registration.epoch() > firstEpoch
                      && registration.state() == RegistrationState.ACTIVE);
      assertTrue(states.contains(RegistrationState.RECONNECTING), "states: " + states);
      Instance back =
          witness.awaitLatest(
              registration.instanceId(),
              i -> i.getEpoch() == registration.epoch() && healthyAndUp(i),
              "back with the new epoch");
      assertTrue(back.getEpoch() > firstEpoch);
      assertTrue(
          witness.history(registration.instanceId()).contains(Optional.empty()),
          "the witness saw the removal first");
      registration.close();
    }
  }

  @Test
  @Order(3)
  void aSnapshotFileWrittenByACleanCloseLoadsWithItsTrueAge() {
    Path file = dir.resolve("clean-close.bin");
    try (RosterClient registrar = RosterClient.create(options(0, 1, 2))) {
      Registration registration = registrar.register(instance("archive"));
      List<String> expected = List.of(registration.instanceId());
      RosterClient client =
          RosterClient.create(options(1, 2, 0).toBuilder().snapshotFile(file).build());
      try {
        await("live endpoints")
            .atMost(Duration.ofSeconds(10))
            .until(
                () -> {
                  ServiceEndpoints now = client.discover("archive");
                  return now.isLive() && ids(now).equals(expected);
                });
      } finally {
        client.close(); // while its watch stream is live: the endpoints are confirmed until now
      }
      long closedNanos = System.nanoTime();

      // Nothing listens where this client looks for the registry, so it serves the file as it is.
      RosterClientOptions offline =
          RosterClientOptions.local()
              .nodes("127.0.0.1:" + FreePorts.next())
              .snapshotFile(file)
              .maxStaleness(Duration.ofSeconds(30))
              .shutdownHook(false)
              .build();
      try (RosterClient restarted = RosterClient.create(offline)) {
        ServiceEndpoints fromFile = restarted.discover("archive");
        long sinceCloseMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closedNanos);
        assertEquals(expected, ids(fromFile));
        assertFalse(fromFile.isLive());
        // The file keeps wall-clock milliseconds: allow their rounding and a little clock jitter.
        assertTrue(
            fromFile.age().toMillis() <= sinceCloseMillis + 100,
            "age " + fromFile.age() + ", closed " + sinceCloseMillis + " ms ago");
      }
      registration.close();
    }
  }

  @Test
  @Order(4)
  void aRegistrationReplacedByAnotherProcessIsLostAndLeftAlone() {
    try (RosterClient client = RosterClient.create(options(0, 1, 2));
        RawWatch witness = RawWatch.on(cluster.node(1), "twin")) {
      ServiceInstance instance = instance("twin");
      Registration registration = client.register(instance);
      List<RegistrationState> states = record(registration);

      // Another process registers the same instance: a newer epoch owns it now.
      RegisterResponse successor =
          RegistryServiceGrpc.newBlockingStub(cluster.node(2).channel())
              .withDeadlineAfter(10, TimeUnit.SECONDS)
              .register(
                  Instances.register(
                      Instances.of("twin")
                          .setInstanceId(instance.instanceId())
                          .setPort(instance.port())));

      await("LOST")
          .atMost(Duration.ofSeconds(10))
          .until(() -> states.contains(RegistrationState.LOST));
      registration.close(); // must not deregister the successor
      assertEquals(RegistrationState.LOST, registration.state());
      assertEquals(
          successor.getEpoch(),
          witness.awaitLatest(instance.instanceId(), i -> true, "listed").getEpoch(),
          "the successor is still registered");

      RegistryServiceGrpc.newBlockingStub(cluster.node(2).channel())
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .deregister(
              DeregisterRequest.newBuilder()
                  .setKey(
                      InstanceKey.newBuilder()
                          .setService("twin")
                          .setInstanceId(instance.instanceId()))
                  .build());
    }
  }

  @Test
  @Order(5)
  void registrationSurvivesTheKillOfTheNodeItsStreamIsOnWithoutBeingEvicted() {
    try (RosterClient client = RosterClient.create(options(0, 1, 2));
        RawWatch witness = RawWatch.on(cluster.node(1), "survivor")) {
      // Registered on node 1 (index 0), so its KeepAlive stream is there too.
      Registration registration = client.register(instance("survivor"));
      List<RegistrationState> states = record(registration);
      String id = registration.instanceId();
      witness.awaitLatest(id, RosterClientIT::healthyAndUp, "healthy");

      cluster.node(0).kill();

      await("moved to another node")
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  states.contains(RegistrationState.RECONNECTING)
                      && registration.state() == RegistrationState.ACTIVE);
      // Two TTLs from the kill: a lease left without renewals would be declared expired by then.
      await("healthy throughout")
          .during(LEASE_TTL.multipliedBy(2))
          .atMost(LEASE_TTL.multipliedBy(3))
          .until(
              () ->
                  witness.latest(id).map(RosterClientIT::healthyAndUp).orElse(false)
                      && registration.state() == RegistrationState.ACTIVE);
      assertTrue(
          witness.history(id).stream().allMatch(v -> v.isPresent() && healthyAndUp(v.get())),
          "never unhealthy nor removed: " + describe(witness.history(id)));
      registration.close();
    }
  }

  @Test
  @Order(6)
  void watchCacheFollowsChangesAndResumesOnAnotherNodeWhenItsNodeIsKilled() {
    restartNode(0);
    try (RosterClient registrar = RosterClient.create(options(2, 0, 1));
        RosterClient client = RosterClient.create(options(1, 2, 0))) {
      List<ServiceEndpoints> updates = new CopyOnWriteArrayList<>();
      Subscription subscription = client.watch("catalog", updates::add);
      assertTrue(client.discover("catalog").instances().isEmpty());
      Registration first = registrar.register(instance("catalog"));
      await("cache follows the registration")
          .atMost(Duration.ofSeconds(10))
          .until(() -> ids(client.discover("catalog")).equals(List.of(first.instanceId())));

      // The client's Watch stream is on node 2 (index 1): kill it, change the service meanwhile.
      cluster.node(1).kill();
      Registration second = registrar.register(instance("catalog"));
      first.close();

      await("cache resumed on another node with what it missed")
          .atMost(Duration.ofSeconds(20))
          .until(
              () -> {
                ServiceEndpoints now = client.discover("catalog");
                return now.isLive() && ids(now).equals(List.of(second.instanceId()));
              });
      long previous = 0;
      for (ServiceEndpoints update : updates) {
        assertTrue(update.revision() >= previous, "revision order: " + updates);
        previous = update.revision();
      }
      assertEquals(List.of(second.instanceId()), ids(updates.get(updates.size() - 1)));
      subscription.close();
      second.close();
    }
  }

  @Test
  @Order(7)
  void whenEveryNodeIsDownTheCacheServesTheLastEndpointsWithTheirAge() {
    Path file = dir.resolve("snapshot.bin");
    RosterClientOptions withFile = options(0, 2, 1).toBuilder().snapshotFile(file).build();
    try (RosterClient registrar = RosterClient.create(options(2, 0, 1))) {
      Registration registration = registrar.register(instance("ledger"));
      List<String> expected = List.of(registration.instanceId());
      RosterClient client = RosterClient.create(withFile);
      try {
        await("live endpoints")
            .atMost(Duration.ofSeconds(10))
            .until(
                () -> {
                  ServiceEndpoints now = client.discover("ledger");
                  return now.isLive() && ids(now).equals(expected);
                });
        await("snapshot file written")
            .atMost(Duration.ofSeconds(5))
            .until(() -> Files.exists(file));

        for (int i = 0; i < 3; i++) {
          if (cluster.node(i).isAlive()) {
            cluster.node(i).kill();
          }
        }

        ServiceEndpoints stale =
            await("stale endpoints still served")
                .atMost(Duration.ofSeconds(15))
                .until(
                    () -> client.discover("ledger"),
                    endpoints -> endpoints.age().compareTo(Duration.ofSeconds(1)) > 0);
        assertEquals(expected, ids(stale));
      } finally {
        client.close(); // saves the snapshot file
      }

      // A client started while the registry is down answers from the file at once.
      try (RosterClient restarted = RosterClient.create(withFile)) {
        ServiceEndpoints fromFile = restarted.discover("ledger");
        assertEquals(expected, ids(fromFile));
        assertTrue(fromFile.age().compareTo(Duration.ofSeconds(1)) > 0, "age " + fromFile.age());
      }
      // With a maximum staleness, endpoints that old are refused rather than served.
      try (RosterClient strict =
          RosterClient.create(withFile.toBuilder().maxStaleness(Duration.ofMillis(500)).build())) {
        RosterException refused =
            assertThrows(RosterException.class, () -> strict.discover("ledger"));
        assertEquals(RosterException.Code.UNAVAILABLE, refused.code());
        assertTrue(refused.getMessage().contains("maximum staleness"), refused.getMessage());
      }
      registration.close(); // every node is down: gives up, the lease would run out
      assertEquals(RegistrationState.CLOSED, registration.state());
    }
  }

  private static void restartNode(int index) {
    if (!cluster.node(index).isAlive()) {
      cluster.node(index).start();
      cluster.awaitFormed(3);
    }
  }

  /** Options naming the cluster's nodes in the given order: streams start on the first. */
  private static RosterClientOptions options(int... order) {
    String[] nodes = new String[order.length];
    for (int i = 0; i < order.length; i++) {
      nodes[i] = cluster.node(order[i]).apiAddress();
    }
    return RosterClientOptions.local()
        .nodes(nodes)
        .leaseTtl(LEASE_TTL)
        .drainDelay(DRAIN_DELAY)
        .shutdownHook(false)
        .build();
  }

  private static ServiceInstance instance(String service) {
    int port = ports.incrementAndGet();
    return ServiceInstance.builder(service, "127.0.0.1", port)
        .instanceId(service + "-" + port)
        .build();
  }

  private static List<RegistrationState> record(Registration registration) {
    List<RegistrationState> states = new CopyOnWriteArrayList<>();
    registration.addListener((r, state, reason) -> states.add(state));
    return states;
  }

  private static boolean healthyAndUp(Instance instance) {
    return instance.getHealth() == HealthState.HEALTH_STATE_HEALTHY
        && instance.getStatus() == io.roster.v1.InstanceStatus.INSTANCE_STATUS_UP;
  }

  private static List<String> ids(ServiceEndpoints endpoints) {
    return endpoints.healthy().stream().map(ServiceInstance::instanceId).toList();
  }

  private static <T> int indexOf(List<T> list, java.util.function.Predicate<T> condition) {
    for (int i = 0; i < list.size(); i++) {
      if (condition.test(list.get(i))) {
        return i;
      }
    }
    return -1;
  }

  private static String describe(List<Optional<Instance>> history) {
    return history.stream()
        .map(
            v ->
                v.map(i -> i.getStatus() + "/" + i.getHealth() + "@" + i.getEpoch())
                    .orElse("REMOVED"))
        .toList()
        .toString();
  }
}
