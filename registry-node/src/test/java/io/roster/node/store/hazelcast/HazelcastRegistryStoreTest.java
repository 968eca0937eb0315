package io.roster.node.store.hazelcast;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.roster.node.cluster.HazelcastConfigFactory;
import io.roster.node.config.ConfigLoader;
import io.roster.node.config.NodeConfig;
import io.roster.node.domain.ExpiredLease;
import io.roster.node.domain.InstanceKey;
import io.roster.node.domain.InstanceSpec;
import io.roster.node.domain.InstanceStatus;
import io.roster.node.domain.LeaderFence;
import io.roster.node.domain.LeaseTable;
import io.roster.node.domain.RenewResult;
import io.roster.node.domain.RenewalPace;
import io.roster.node.domain.ServiceDelta;
import io.roster.node.store.RegistryStore;
import io.roster.node.store.RegistryStoreContract;
import io.roster.testing.FreePorts;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The store contract on a real two-member Hazelcast cluster in this JVM: calls go through one
 * member while the data lives partly on the other, so every entry processor and codec crosses a
 * real member boundary. Each test uses its own service, so the members are shared by the class.
 */
@Timeout(120)
class HazelcastRegistryStoreTest extends RegistryStoreContract {

  private static final List<HazelcastInstance> members = new ArrayList<>();
  private HazelcastRegistryStore store;

  @BeforeAll
  static void startMembers() {
    String cluster = "store-test-" + UUID.randomUUID().toString().substring(0, 8);
    int first = FreePorts.next();
    int second = FreePorts.next();
    for (int port : List.of(first, second)) {
      NodeConfig config =
          ConfigLoader.load(
              new String[] {
                "--profile=local",
                "--cluster.name=" + cluster,
                "--cluster.port=" + port,
                "--cluster.members=127.0.0.1:" + first + ",127.0.0.1:" + second,
                "--cluster.join-wait-s=0",
                "--node.name=member-" + port
              },
              Map.of());
      members.add(Hazelcast.newHazelcastInstance(HazelcastConfigFactory.create(config)));
    }
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> members.get(0).getCluster().getMembers().size() == 2);
  }

  @AfterAll
  static void stopMembers() {
    members.forEach(HazelcastInstance::shutdown);
  }

  @Override
  protected RegistryStore store() {
    if (store == null) {
      store = new HazelcastRegistryStore(members.get(0), clock, 5);
    }
    return store;
  }

  @Test
  void stateSurvivesTheDeathOfTheMemberThatOwnedIt() {
    // A third member joins and then dies without a word: its partitions' backups take over.
    HazelcastInstance doomed = joinMember("doomed");
    for (int i = 0; i < 50; i++) {
      get(store().register(spec("i" + i), 5_000));
    }

    leave(doomed);

    ServiceDelta snapshot = get(store().changesSince(key("x").serviceKey(), 0));
    assertEquals(50, snapshot.upserts().size());
    assertEquals(50, snapshot.revision());
  }

  /**
   * A sweep decided while a member was still in the cluster must not land after it left: the
   * promoted backups may hold expiries the lost renewals would have moved, and the leader has not
   * given them their full TTL yet. The owner refuses, whichever member it is; under the new
   * membership the leader decides again.
   */
  @Test
  void evictionsDecidedUnderAMembershipThatChangedSinceAreRefused() {
    HazelcastInstance doomed = joinMember("leaves-mid-sweep");
    List<String> services = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      // Services spread over partitions, so both local and remote owners are asked.
      String service = "fenced-" + UUID.randomUUID().toString().substring(0, 8);
      services.add(service);
      InstanceSpec spec =
          new InstanceSpec(
              new InstanceKey("default", service, "a"),
              "127.0.0.1",
              8080,
              Map.of(),
              100,
              "",
              "",
              Map.of(),
              InstanceStatus.UP);
      get(store().register(spec, 1_000));
    }
    clock.advanceMillis(1_500);
    List<ExpiredLease> expired = fencedOnly(get(store().expiredLeases(0)), services);
    assertEquals(12, expired.size());
    LeaderFence before =
        new LeaderFence(
            1, Long.MAX_VALUE, MembersDigest.of(members.get(0).getCluster().getMembers()));

    leave(doomed);

    for (ExpiredLease lease : expired) {
      assertEquals(-1, get(store().declareExpired(lease, before)), lease.key() + " was declared");
    }
    assertTrue(
        fencedOnly(get(store().expiredLeases(0)), services).stream()
            .noneMatch(ExpiredLease::declared),
        "nothing declared under the old membership");
    LeaderFence now =
        new LeaderFence(
            1, Long.MAX_VALUE, MembersDigest.of(members.get(0).getCluster().getMembers()));
    for (ExpiredLease lease : expired) {
      assertTrue(get(store().declareExpired(lease, now)) > 0, lease.key() + " was refused");
    }
  }

  /**
   * Renewal batches land late and out of order (one waited on a member that hung and was retried on
   * the member that took over): through the real processors, a lease keeps the expiry of the latest
   * renewal.
   */
  @Test
  void renewalBatchesThatLandLateAndOutOfOrderNeverShortenALease() {
    long epoch = get(store().register(spec("late"), 10_000)).record().epoch();
    long start = clock.millis();
    IMap<String, LeaseTable> leases = members.get(1).getMap(HazelcastRegistryStore.LEASES_MAP);
    String serviceKey = key("late").serviceKey().asString();
    for (long stamp : List.of(5_000L, 2_000L, 4_000L, 1_000L, 2_000L)) {
      Map<String, List<RenewLeases.Renewal>> batch =
          Map.of(serviceKey, List.of(new RenewLeases.Renewal("late", epoch)));
      get(leases.submitToKey(serviceKey, RenewLeases.extending(batch, start + stamp)));
    }

    clock.advanceMillis(14_999);
    assertTrue(mine(get(store().expiredLeases(0))).isEmpty(), "the lease runs to 15,000");
    clock.advanceMillis(1);
    assertEquals(1, mine(get(store().expiredLeases(0))).size());
  }

  /**
   * Group commit: a heartbeat whose caller waits goes out at once when nothing is in flight to its
   * member, however long the window; one from a stream waits for the window. With a window of a
   * minute, the first is answered within seconds only if it does not wait for the window.
   */
  @Test
  void aWaitingCallersHeartbeatDoesNotWaitForTheWindowAndAStreamedOneDoes() throws Exception {
    long epoch = get(store().register(spec("eager"), 10_000)).record().epoch();
    try (HazelcastRegistryStore slow = new HazelcastRegistryStore(members.get(0), clock, 60_000)) {
      var streamed = slow.renew(key("eager"), epoch, RenewalPace.WINDOWED).toCompletableFuture();
      var waited = slow.renew(key("eager"), epoch, RenewalPace.AT_ONCE).toCompletableFuture();

      assertEquals(RenewResult.Outcome.RENEWED, waited.get(10, TimeUnit.SECONDS).outcome());
      assertEquals(
          RenewResult.Outcome.RENEWED,
          streamed.get(1, TimeUnit.SECONDS).outcome(),
          "what waited for the same member rode along");
    }
  }

  /**
   * Under load the window must not cap the rate: a full call's worth of streamed heartbeats goes
   * without waiting for the window (a minute here).
   */
  @Test
  void streamedHeartbeatsEnoughForACallDoNotWaitForTheWindow() throws Exception {
    long epoch = get(store().register(spec("busy"), 10_000)).record().epoch();
    try (HazelcastRegistryStore slow = new HazelcastRegistryStore(members.get(0), clock, 60_000)) {
      List<java.util.concurrent.CompletableFuture<RenewResult>> answers = new ArrayList<>();
      for (int i = 0; i < GroupCommit.FULL; i++) {
        answers.add(slow.renew(key("busy"), epoch, RenewalPace.WINDOWED).toCompletableFuture());
      }
      for (var answer : answers) {
        assertEquals(RenewResult.Outcome.RENEWED, answer.get(10, TimeUnit.SECONDS).outcome());
      }
    }
  }

  @Test
  void aStreamedHeartbeatAloneIsWrittenWithinAboutAWindow() throws Exception {
    long epoch = get(store().register(spec("lone"), 10_000)).record().epoch();
    try (HazelcastRegistryStore windowed = new HazelcastRegistryStore(members.get(0), clock, 300)) {
      var streamed = windowed.renew(key("lone"), epoch, RenewalPace.WINDOWED).toCompletableFuture();
      assertFalse(streamed.isDone(), "a lone streamed heartbeat waits for company");
      assertEquals(RenewResult.Outcome.RENEWED, streamed.get(10, TimeUnit.SECONDS).outcome());
    }
  }

  /**
   * Plain renewals skip the backup (a promoted backup gets a full TTL from the leader anyway); a
   * revival moves the health sequence, so it is left to a backed-up write.
   */
  @Test
  void plainRenewalsHaveNoBackupAndLeaveRevivalsToABackedUpWrite() {
    LeaseTable table = new LeaseTable();
    table.grant("a", 3, 1_000, 0);
    table.grant("b", 4, 1_000, 0);
    table.declareExpired("b", 4, 2_000, new LeaderFence(1, Long.MAX_VALUE));
    Map<String, List<RenewLeases.Renewal>> batch =
        Map.of(
            "default/svc",
            List.of(new RenewLeases.Renewal("a", 3), new RenewLeases.Renewal("b", 4)));
    var entry = new java.util.AbstractMap.SimpleEntry<>("default/svc", table);

    RenewLeases extending = RenewLeases.extending(batch, 2_500);
    long[] answered = extending.process(entry);
    assertEquals(null, extending.getBackupProcessor());
    assertEquals(RenewResult.Outcome.RENEWED.ordinal(), answered[0]);
    assertEquals(3_500, table.get("a").expiresAtMillis());
    assertEquals(RenewLeases.REVIVAL_NEEDED, answered[RenewLeases.FIELDS]);
    assertTrue(table.get("b").expired(), "left for the backed-up write");

    RenewLeases reviving =
        RenewLeases.reviving(
            Map.of("default/svc", List.of(new RenewLeases.Renewal("b", 4))), 2_500);
    long[] revived = reviving.process(entry);
    assertEquals(reviving, reviving.getBackupProcessor());
    assertEquals(1, revived[3], "revived");
    assertFalse(table.get("b").expired());
  }

  private static List<ExpiredLease> fencedOnly(List<ExpiredLease> all, List<String> services) {
    return all.stream().filter(lease -> services.contains(lease.key().service())).toList();
  }

  /** Starts one more member of the shared cluster and waits until everyone sees it. */
  private static HazelcastInstance joinMember(String name) {
    HazelcastInstance first = members.get(0);
    NodeConfig config =
        ConfigLoader.load(
            new String[] {
              "--profile=local",
              "--cluster.name=" + first.getConfig().getClusterName(),
              "--cluster.port=" + FreePorts.next(),
              "--cluster.members="
                  + first.getCluster().getLocalMember().getAddress().getHost()
                  + ":"
                  + first.getCluster().getLocalMember().getAddress().getPort(),
              "--cluster.join-wait-s=0",
              "--node.name=" + name
            },
            Map.of());
    HazelcastInstance joined =
        Hazelcast.newHazelcastInstance(HazelcastConfigFactory.create(config));
    int size = members.size() + 1;
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                joined.getCluster().getMembers().size() == size
                    && first.getCluster().getMembers().size() == size);
    return joined;
  }

  /** Kills a member without a word and waits until the others have dropped it. */
  private static void leave(HazelcastInstance member) {
    member.getLifecycleService().terminate();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                members.stream()
                    .allMatch(m -> m.getCluster().getMembers().size() == members.size()));
  }
}
