package io.roster.node.store;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roster.node.domain.ExpiredLease;
import io.roster.node.domain.InstanceKey;
import io.roster.node.domain.InstanceRecord;
import io.roster.node.domain.InstanceSpec;
import io.roster.node.domain.InstanceStatus;
import io.roster.node.domain.LeaderFence;
import io.roster.node.domain.Lease;
import io.roster.node.domain.LeaseCondition;
import io.roster.node.domain.LeaseDigest;
import io.roster.node.domain.MutationResult;
import io.roster.node.domain.Registered;
import io.roster.node.domain.RenewResult;
import io.roster.node.domain.RenewalPace;
import io.roster.node.domain.ServiceDelta;
import io.roster.node.domain.ServiceKey;
import io.roster.testing.ManualClock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What every {@link RegistryStore} must do, written once and run against each implementation. A
 * store under test uses the {@link #clock} it is given.
 */
public abstract class RegistryStoreContract {

  protected final ManualClock clock = new ManualClock();

  /** The store under test, fresh for each test or at least empty of this test's services. */
  protected abstract RegistryStore store();

  private final String service = "svc-" + UUID.randomUUID().toString().substring(0, 8);
  private final ServiceKey serviceKey = new ServiceKey("default", service);

  @Test
  void registerGrantsLeaseAndEpochEqualToRevision() {
    Registered registered = get(store().register(spec("a"), 5_000));

    assertEquals(1, registered.record().epoch());
    assertEquals(1, registered.record().revision());
    assertEquals(5_000, registered.grantedTtlMillis());
    assertEquals(RenewResult.Outcome.RENEWED, get(renew(key("a"), 1)).outcome());
  }

  @Test
  void registeringAgainRaisesEpochAndKeepsOneInstance() {
    long first = get(store().register(spec("a"), 5_000)).record().epoch();
    long second = get(store().register(spec("a"), 5_000)).record().epoch();

    assertTrue(second > first);
    ServiceDelta snapshot = get(store().changesSince(serviceKey, 0));
    assertEquals(1, snapshot.upserts().size());
    assertEquals(second, snapshot.upserts().get(0).epoch());
  }

  @Test
  void renewalWithOldEpochIsStaleAndUnknownLeaseIsNotFound() {
    long first = get(store().register(spec("a"), 5_000)).record().epoch();
    long second = get(store().register(spec("a"), 5_000)).record().epoch();

    RenewResult stale = get(renew(key("a"), first));
    assertEquals(RenewResult.Outcome.STALE_EPOCH, stale.outcome());
    assertEquals(second, stale.currentEpoch());
    assertEquals(RenewResult.Outcome.NOT_FOUND, get(renew(key("nobody"), 0)).outcome());
  }

  @Test
  void renewalExtendsTheLeaseFromNow() {
    get(store().register(spec("a"), 5_000));
    clock.advanceMillis(4_000);

    RenewResult renewed = get(renew(key("a"), 0));

    assertEquals(RenewResult.Outcome.RENEWED, renewed.outcome());
    assertEquals(5_000, renewed.ttlMillis());
  }

  @Test
  void deregisterRemovesInstanceAndLease() {
    long epoch = get(store().register(spec("a"), 5_000)).record().epoch();

    MutationResult removed = get(store().deregister(key("a"), epoch));

    assertEquals(MutationResult.Outcome.APPLIED, removed.outcome());
    assertTrue(get(store().changesSince(serviceKey, 0)).upserts().isEmpty());
    assertEquals(RenewResult.Outcome.NOT_FOUND, get(renew(key("a"), epoch)).outcome());
    assertEquals(MutationResult.Outcome.NOT_FOUND, get(store().deregister(key("a"), 0)).outcome());
  }

  @Test
  void deregisterWithStaleEpochIsRefusedAndChangesNothing() {
    long first = get(store().register(spec("a"), 5_000)).record().epoch();
    get(store().register(spec("a"), 5_000));

    MutationResult refused = get(store().deregister(key("a"), first));

    assertEquals(MutationResult.Outcome.STALE_EPOCH, refused.outcome());
    assertEquals(1, get(store().changesSince(serviceKey, 0)).upserts().size());
  }

  @Test
  void setStatusChangesStatusOnceAndMovesRevision() {
    get(store().register(spec("a"), 5_000));

    MutationResult drained = get(store().setStatus(key("a"), InstanceStatus.DRAINING, 0));
    MutationResult again = get(store().setStatus(key("a"), InstanceStatus.DRAINING, 0));

    assertEquals(MutationResult.Outcome.APPLIED, drained.outcome());
    assertEquals(MutationResult.Outcome.UNCHANGED, again.outcome());
    assertEquals(drained.revision(), again.revision());
    InstanceRecord record = get(store().changesSince(serviceKey, 0)).upserts().get(0);
    assertEquals(InstanceStatus.DRAINING, record.status());
    assertEquals(
        MutationResult.Outcome.NOT_FOUND,
        get(store().setStatus(key("nobody"), InstanceStatus.UP, 0)).outcome());
  }

  @Test
  void changesSinceReturnsOnlyWhatFollowedTheRevision() {
    get(store().register(spec("a"), 5_000));
    long afterA = get(store().register(spec("b"), 5_000)).record().revision();
    get(store().register(spec("c"), 5_000));
    get(store().deregister(key("a"), 0));

    ServiceDelta delta = get(store().changesSince(serviceKey, afterA));

    assertFalse(delta.snapshot());
    assertEquals(4, delta.revision());
    assertEquals(1, delta.upserts().size());
    assertEquals("c", delta.upserts().get(0).instanceId());
    assertEquals(1, delta.removals().size());
    assertEquals("a", delta.removals().get(0).instanceId());
  }

  @Test
  void unknownServiceReadsAsEmptySnapshot() {
    ServiceDelta delta = get(store().changesSince(new ServiceKey("default", "never-seen"), 7));

    assertTrue(delta.snapshot());
    assertEquals(0, delta.revision());
    assertTrue(delta.upserts().isEmpty());
  }

  @Test
  void revisionsListEveryService() {
    get(store().register(spec("a"), 5_000));
    get(store().register(spec("b"), 5_000));

    Map<ServiceKey, Long> revisions = get(store().revisions());

    assertEquals(2L, revisions.get(serviceKey));
  }

  @Test
  void listenersHearOfChangesButNotOfRenewals() {
    Set<ServiceKey> heard = ConcurrentHashMap.newKeySet();
    store().onServiceChanged(heard::add);

    get(store().register(spec("a"), 5_000));
    await().atMost(Duration.ofSeconds(10)).until(() -> heard.contains(serviceKey));

    heard.clear();
    get(renew(key("a"), 0));
    get(store().register(spec("marker"), 5_000));
    await().atMost(Duration.ofSeconds(10)).until(() -> heard.contains(serviceKey));
    // The renewal came first; had it produced an event, the marker's would not be the only one.
    assertEquals(Set.of(serviceKey), heard);
  }

  @Test
  void expiredLeaseIsFoundDeclaredMarkedAndEvictedAfterGrace() {
    long epoch = get(store().register(spec("a"), 1_000)).record().epoch();
    get(store().register(spec("alive"), 60_000));
    LeaderFence fence = new LeaderFence(1, Long.MAX_VALUE);
    clock.advanceMillis(1_500);

    List<ExpiredLease> expired = mine(get(store().expiredLeases(0)));
    assertEquals(1, expired.size());
    ExpiredLease lease = expired.get(0);
    assertEquals(key("a"), lease.key());
    assertFalse(lease.declared());

    long seq = get(store().declareExpired(lease, fence));
    assertTrue(seq > 0);
    assertEquals(
        MutationResult.Outcome.APPLIED,
        get(store().setLeaseCondition(key("a"), epoch, LeaseCondition.expired(clock.millis(), seq)))
            .outcome());
    InstanceRecord marked = record("a");
    assertFalse(marked.healthy());
    assertEquals(LeaseCondition.REASON_STOPPED, marked.lease().reason());

    ExpiredLease declared = mine(get(store().expiredLeases(0))).get(0);
    assertTrue(declared.declared());
    assertFalse(get(store().evict(declared, 30_000, fence)), "grace not over yet");
    clock.advanceMillis(30_000);
    assertTrue(get(store().evict(declared, 30_000, fence)));

    assertEquals(null, recordOrNull("a"));
    assertEquals(RenewResult.Outcome.NOT_FOUND, get(renew(key("a"), epoch)).outcome());
  }

  @Test
  void renewalRevivesADeclaredLeaseAndAnOldExpiryCannotOverrideTheRevival() {
    long epoch = get(store().register(spec("a"), 1_000)).record().epoch();
    LeaderFence fence = new LeaderFence(1, Long.MAX_VALUE);
    clock.advanceMillis(1_500);
    ExpiredLease lease = mine(get(store().expiredLeases(0))).get(0);
    long expiredSeq = get(store().declareExpired(lease, fence));

    RenewResult revived = get(renew(key("a"), epoch));
    assertTrue(revived.revived());
    assertTrue(revived.seq() > expiredSeq);
    get(
        store()
            .setLeaseCondition(
                key("a"), epoch, LeaseCondition.revived(clock.millis(), revived.seq())));
    // The expiry's own write arrives late: the lease sequence puts it behind the revival.
    get(
        store()
            .setLeaseCondition(
                key("a"), epoch, LeaseCondition.expired(clock.millis(), expiredSeq)));

    assertTrue(record("a").healthy());
    assertTrue(mine(get(store().expiredLeases(0))).isEmpty());
  }

  @Test
  void leaseRenewedJustBeforeDeclarationIsNotDeclared() {
    long epoch = get(store().register(spec("a"), 1_000)).record().epoch();
    clock.advanceMillis(1_500);
    ExpiredLease lease = mine(get(store().expiredLeases(0))).get(0);

    get(renew(key("a"), epoch));

    assertEquals(-1L, get(store().declareExpired(lease, new LeaderFence(1, Long.MAX_VALUE))));
  }

  @Test
  void deposedLeadersAndLapsedLeaderLeasesAreFenced() {
    get(store().register(spec("a"), 1_000));
    clock.advanceMillis(1_500);
    ExpiredLease lease = mine(get(store().expiredLeases(0))).get(0);
    assertEquals(-1L, get(store().declareExpired(lease, new LeaderFence(1, clock.millis() - 1))));

    assertTrue(get(store().declareExpired(lease, new LeaderFence(5, Long.MAX_VALUE))) > 0);
    clock.advanceMillis(60_000);
    ExpiredLease declared = mine(get(store().expiredLeases(0))).get(0);
    assertFalse(get(store().evict(declared, 0, new LeaderFence(4, Long.MAX_VALUE))));
    assertTrue(get(store().evict(declared, 0, new LeaderFence(5, Long.MAX_VALUE))));
  }

  @Test
  void extendingAllLeasesGivesEachAFullTtlFromNow() {
    get(store().register(spec("a"), 1_000));
    clock.advanceMillis(900);

    get(store().extendAllLeases());
    clock.advanceMillis(900);

    assertTrue(mine(get(store().expiredLeases(0))).isEmpty());
    clock.advanceMillis(200);
    assertEquals(1, mine(get(store().expiredLeases(0))).size());
  }

  @Test
  void slackKeepsBarelyExpiredLeasesOutOfASweep() {
    get(store().register(spec("a"), 1_000));
    clock.advanceMillis(1_200);

    assertTrue(mine(get(store().expiredLeases(500))).isEmpty());
    assertEquals(1, mine(get(store().expiredLeases(100))).size());
  }

  @Test
  void leaseDigestsAndEpochsDescribeTheLeasesHeld() {
    long a = get(store().register(spec("a"), 5_000)).record().epoch();
    long b = get(store().register(spec("b"), 5_000)).record().epoch();

    assertEquals(
        LeaseDigest.of("a", a) + LeaseDigest.of("b", b),
        get(store().leaseDigests()).get(serviceKey));
    assertEquals(
        LeaseDigest.ofInstances(get(store().changesSince(serviceKey, 0)).upserts()),
        get(store().leaseDigests()).get(serviceKey),
        "instances and leases agree");
    assertEquals(
        Map.of(serviceKey, Map.of("a", a, "b", b)), get(store().leasedEpochs(Set.of(serviceKey))));
  }

  @Test
  void leasesTellEachInstancesTtlAndExpiry() {
    long epoch = get(store().register(spec("a"), 5_000)).record().epoch();
    clock.advanceMillis(2_000);
    assertEquals(RenewResult.Outcome.RENEWED, get(renew(key("a"), epoch)).outcome());

    Map<String, Lease> leases = get(store().leases(serviceKey));
    assertEquals(Set.of("a"), leases.keySet());
    Lease lease = leases.get("a");
    assertEquals(epoch, lease.epoch());
    assertEquals(5_000, lease.ttlMillis());
    assertEquals(clock.millis() + 5_000, lease.expiresAtMillis());
    assertFalse(lease.expired());
    assertEquals(Map.of(), get(store().leases(new ServiceKey("default", "none-" + service))));
  }

  @Test
  void anAdoptedLeaseHasRunOutAndNeverReplacesOneOfItsEpochOrNewer() {
    long epoch = get(store().register(spec("a"), 5_000)).record().epoch();

    assertFalse(get(store().adoptUnleased(key("a"), epoch, 5_000, 0)), "a lease is held");
    assertTrue(get(store().adoptUnleased(key("a"), epoch + 7, 5_000, 0)), "the grant was lost");

    List<ExpiredLease> expired = mine(get(store().expiredLeases(0)));
    assertEquals(1, expired.size());
    assertEquals(epoch + 7, expired.get(0).epoch());
    assertFalse(expired.get(0).declared());
  }

  @Test
  void renewalsFromStreamsAnswerAsThoseACallerWaitsFor() {
    long first = get(store().register(spec("a"), 1_000)).record().epoch();
    long second = get(store().register(spec("a"), 1_000)).record().epoch();
    assertEquals(
        RenewResult.Outcome.RENEWED,
        get(store().renew(key("a"), second, RenewalPace.WINDOWED)).outcome());
    assertEquals(
        RenewResult.Outcome.STALE_EPOCH,
        get(store().renew(key("a"), first, RenewalPace.WINDOWED)).outcome());
    assertEquals(
        RenewResult.Outcome.NOT_FOUND,
        get(store().renew(key("nobody"), 0, RenewalPace.WINDOWED)).outcome());

    clock.advanceMillis(1_500);
    ExpiredLease lease = mine(get(store().expiredLeases(0))).get(0);
    long expiredSeq = get(store().declareExpired(lease, new LeaderFence(1, Long.MAX_VALUE)));
    RenewResult revived = get(store().renew(key("a"), second, RenewalPace.WINDOWED));
    assertEquals(RenewResult.Outcome.RENEWED, revived.outcome());
    assertTrue(revived.revived(), "a declared lease is revived by a streamed heartbeat too");
    assertTrue(revived.seq() > expiredSeq);
    assertTrue(mine(get(store().expiredLeases(0))).isEmpty());
  }

  /** A heartbeat whose caller waits on the answer. */
  protected CompletionStage<RenewResult> renew(InstanceKey key, long epoch) {
    return store().renew(key, epoch, RenewalPace.AT_ONCE);
  }

  /** The expired leases of this test's service. */
  protected List<ExpiredLease> mine(List<ExpiredLease> expired) {
    return expired.stream().filter(l -> l.key().service().equals(service)).toList();
  }

  private InstanceRecord record(String id) {
    InstanceRecord record = recordOrNull(id);
    if (record == null) {
      throw new AssertionError("no instance " + id);
    }
    return record;
  }

  private InstanceRecord recordOrNull(String id) {
    return get(store().changesSince(serviceKey, 0)).upserts().stream()
        .filter(r -> r.instanceId().equals(id))
        .findFirst()
        .orElse(null);
  }

  protected InstanceSpec spec(String id) {
    return new InstanceSpec(
        key(id), "127.0.0.1", 8080, Map.of(), 100, "", "", Map.of(), InstanceStatus.UP);
  }

  protected InstanceKey key(String id) {
    return new InstanceKey("default", service, id);
  }

  protected static <T> T get(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("store call failed", e);
    }
  }
}
