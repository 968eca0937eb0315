package io.roster.node.domain;

import static io.roster.node.domain.Specs.SERVICE;
import static io.roster.node.domain.Specs.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roster.node.domain.MutationResult.Outcome;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServiceStateTest {

  private static final long NOW = 1_000_000L;

  private final ServiceState state = new ServiceState(SERVICE);

  private static List<String> ids(List<InstanceRecord> records) {
    List<String> ids = new ArrayList<>();
    for (InstanceRecord record : records) {
      ids.add(record.instanceId());
    }
    return ids;
  }

  private static List<Long> revisions(List<InstanceRecord> records) {
    List<Long> revisions = new ArrayList<>();
    for (InstanceRecord record : records) {
      revisions.add(record.revision());
    }
    return revisions;
  }

  private static List<String> removedIds(List<Removal> removals) {
    List<String> ids = new ArrayList<>();
    for (Removal removal : removals) {
      ids.add(removal.instanceId());
    }
    return ids;
  }

  private static List<Long> removalRevisions(List<Removal> removals) {
    List<Long> revisions = new ArrayList<>();
    for (Removal removal : removals) {
      revisions.add(removal.revision());
    }
    return revisions;
  }

  @Test
  void newStateIsEmptyAtRevisionZero() {
    assertEquals(SERVICE, state.key());
    assertEquals(0, state.revision());
    assertTrue(state.isEmpty());
    assertTrue(state.removals().isEmpty());
    assertEquals(0, state.compactedRevision());
  }

  @Test
  void registerGivesEpochEqualToTheNewRevision() {
    InstanceRecord first = state.register(spec("a"), NOW);
    assertEquals(1, state.revision());
    assertEquals(1, first.epoch());
    assertEquals(1, first.revision());

    InstanceRecord second = state.register(spec("b"), NOW + 5);
    assertEquals(2, state.revision());
    assertEquals(2, second.epoch());
    assertEquals(2, second.revision());
    assertFalse(state.isEmpty());
  }

  @Test
  void registerStoresSpecInitialStatusHealthyLeaseAndTime() {
    InstanceSpec spec = Specs.builder("a").initialStatus(InstanceStatus.DRAINING).build();

    InstanceRecord record = state.register(spec, NOW);

    assertEquals(spec, record.spec());
    assertEquals(InstanceStatus.DRAINING, record.status());
    assertEquals(LeaseCondition.ok(NOW), record.lease());
    assertEquals(NOW, record.registeredAtMillis());
    assertEquals(record, state.get("a"));
  }

  @Test
  void everyChangeMovesTheRevisionByExactlyOne() {
    state.register(spec("a"), NOW);
    assertEquals(1, state.revision());
    state.register(spec("b"), NOW);
    assertEquals(2, state.revision());

    MutationResult status = state.setStatus("a", InstanceStatus.DRAINING, 0);
    assertEquals(new MutationResult(Outcome.APPLIED, 3, 1), status);
    assertEquals(3, state.revision());

    MutationResult lease = state.setLease("b", 0, LeaseCondition.expired(NOW, 1));
    assertEquals(new MutationResult(Outcome.APPLIED, 4, 2), lease);
    assertEquals(4, state.revision());

    MutationResult removed = state.deregister("a", 0);
    assertEquals(new MutationResult(Outcome.APPLIED, 5, 1), removed);
    assertEquals(5, state.revision());

    state.register(spec("a"), NOW);
    assertEquals(6, state.revision());
  }

  @Test
  void reRegisterRaisesEpochAndKeepsOneInstance() {
    InstanceRecord first = state.register(spec("a"), NOW);
    InstanceSpec moved = Specs.builder("a").host("10.0.0.2").port(9090).build();

    InstanceRecord second = state.register(moved, NOW + 100);

    assertTrue(second.epoch() > first.epoch());
    assertEquals(2, second.epoch());
    assertEquals(1, state.instances().size());
    assertEquals(second, state.get("a"));
    assertEquals("10.0.0.2", state.get("a").spec().host());
    assertEquals(NOW + 100, state.get("a").registeredAtMillis());
    assertTrue(state.removals().isEmpty(), "a re-registration is not a removal");
  }

  @Test
  void reRegisterRestoresInitialStatusAndHealthyLease() {
    state.register(spec("a"), NOW);
    state.setStatus("a", InstanceStatus.OUT_OF_SERVICE, 0);
    state.setLease("a", 0, LeaseCondition.expired(NOW + 1, 1));

    InstanceRecord again = state.register(spec("a"), NOW + 2);

    assertEquals(InstanceStatus.UP, again.status());
    assertTrue(again.healthy());
  }

  @Test
  void deregisterWithEpochZeroRemovesWhateverEpochIsCurrent() {
    state.register(spec("a"), NOW);
    InstanceRecord current = state.register(spec("a"), NOW);

    MutationResult result = state.deregister("a", 0);

    assertEquals(
        new MutationResult(Outcome.APPLIED, 3, current.epoch()),
        result,
        "a removal reports the epoch it removed");
    assertNull(state.get("a"));
    assertTrue(state.isEmpty());
    assertEquals(List.of(new Removal(3, "a")), List.copyOf(state.removals()));
  }

  @Test
  void deregisterWithTheCurrentEpochRemoves() {
    InstanceRecord record = state.register(spec("a"), NOW);
    state.register(spec("b"), NOW);

    MutationResult result = state.deregister("a", record.epoch());

    assertEquals(new MutationResult(Outcome.APPLIED, 3, record.epoch()), result);
    assertNull(state.get("a"));
    assertNotNull(state.get("b"));
    assertEquals(List.of(new Removal(3, "a")), List.copyOf(state.removals()));
  }

  @Test
  void deregisterWithStaleEpochIsRefusedAndChangesNothing() {
    InstanceRecord old = state.register(spec("a"), NOW);
    InstanceRecord current = state.register(spec("a"), NOW);

    MutationResult result = state.deregister("a", old.epoch());

    assertEquals(new MutationResult(Outcome.STALE_EPOCH, 2, current.epoch()), result);
    assertEquals(2, state.revision());
    assertEquals(current, state.get("a"));
    assertTrue(state.removals().isEmpty());
  }

  @Test
  void deregisterWithAnEpochNewerThanTheCurrentIsRefused() {
    InstanceRecord current = state.register(spec("a"), NOW);

    MutationResult result = state.deregister("a", current.epoch() + 10);

    assertEquals(Outcome.STALE_EPOCH, result.outcome());
    assertEquals(current, state.get("a"));
  }

  @Test
  void deregisterOfUnknownInstanceIsNotFound() {
    state.register(spec("a"), NOW);

    MutationResult result = state.deregister("nope", 0);

    assertEquals(new MutationResult(Outcome.NOT_FOUND, 1, 0), result);
    assertEquals(1, state.revision());
    assertTrue(state.removals().isEmpty());
  }

  @Test
  void secondDeregisterOfTheSameInstanceIsNotFound() {
    state.register(spec("a"), NOW);
    state.deregister("a", 0);

    MutationResult again = state.deregister("a", 0);

    assertEquals(new MutationResult(Outcome.NOT_FOUND, 2, 0), again);
    assertEquals(1, state.removals().size());
  }

  @Test
  void setStatusToANewStatusIsApplied() {
    InstanceRecord before = state.register(spec("a"), NOW);

    MutationResult result = state.setStatus("a", InstanceStatus.OUT_OF_SERVICE, before.epoch());

    assertEquals(new MutationResult(Outcome.APPLIED, 2, before.epoch()), result);
    InstanceRecord after = state.get("a");
    assertEquals(InstanceStatus.OUT_OF_SERVICE, after.status());
    assertEquals(2, after.revision());
    assertEquals(before.epoch(), after.epoch(), "a status change keeps the epoch");
    assertEquals(before.lease(), after.lease());
    assertEquals(before.spec(), after.spec());
  }

  @Test
  void setStatusToTheCurrentStatusIsUnchangedAndKeepsTheRevision() {
    InstanceRecord before = state.register(spec("a"), NOW);

    MutationResult result = state.setStatus("a", InstanceStatus.UP, 0);

    assertEquals(new MutationResult(Outcome.UNCHANGED, 1, before.epoch()), result);
    assertEquals(1, state.revision());
    assertSame(before, state.get("a"));
  }

  @Test
  void setStatusWithStaleEpochIsRefused() {
    InstanceRecord old = state.register(spec("a"), NOW);
    InstanceRecord current = state.register(spec("a"), NOW);

    MutationResult result = state.setStatus("a", InstanceStatus.DRAINING, old.epoch());

    assertEquals(new MutationResult(Outcome.STALE_EPOCH, 2, current.epoch()), result);
    assertEquals(InstanceStatus.UP, state.get("a").status());
  }

  @Test
  void setStatusOfUnknownInstanceIsNotFound() {
    assertEquals(
        new MutationResult(Outcome.NOT_FOUND, 0, 0),
        state.setStatus("nope", InstanceStatus.DRAINING, 0));
    assertEquals(0, state.revision());
  }

  @Test
  void setLeaseToADifferentHealthIsApplied() {
    InstanceRecord before = state.register(spec("a"), NOW);
    LeaseCondition expired = LeaseCondition.expired(NOW + 10, 1);

    MutationResult result = state.setLease("a", before.epoch(), expired);

    assertEquals(new MutationResult(Outcome.APPLIED, 2, before.epoch()), result);
    InstanceRecord after = state.get("a");
    assertEquals(expired, after.lease());
    assertFalse(after.healthy());
    assertFalse(after.serving());
    assertEquals(2, after.revision());
    assertEquals(before.epoch(), after.epoch());

    LeaseCondition revived = LeaseCondition.revived(NOW + 20, 2);
    MutationResult back = state.setLease("a", 0, revived);
    assertEquals(new MutationResult(Outcome.APPLIED, 3, before.epoch()), back);
    assertTrue(state.get("a").healthy());
    assertEquals(revived, state.get("a").lease());
  }

  @Test
  void setLeaseWithTheSameHealthIsUnchangedEvenWhenTheDetailDiffers() {
    InstanceRecord before = state.register(spec("a"), NOW);

    MutationResult result = state.setLease("a", 0, LeaseCondition.ok(NOW + 500));

    assertEquals(new MutationResult(Outcome.UNCHANGED, 1, before.epoch()), result);
    assertEquals(1, state.revision());
    assertSame(before, state.get("a"));
  }

  @Test
  void setLeaseWithTheSameHealthRecordsTheNewerSequenceSoAnOlderExpiryCannotApply() {
    InstanceRecord before = state.register(spec("a"), NOW);

    MutationResult revived = state.setLease("a", 0, LeaseCondition.revived(NOW + 500, 2));
    MutationResult lateExpiry = state.setLease("a", 0, LeaseCondition.expired(NOW + 600, 1));

    assertEquals(new MutationResult(Outcome.APPLIED, 2, before.epoch()), revived);
    assertEquals(Outcome.UNCHANGED, lateExpiry.outcome());
    assertTrue(state.get("a").healthy());
    assertEquals(2, state.get("a").lease().seq());
    assertEquals(NOW, state.get("a").lease().sinceMillis(), "health did not change");
  }

  @Test
  void setLeaseWithStaleEpochOrUnknownInstanceIsRefused() {
    InstanceRecord old = state.register(spec("a"), NOW);
    state.register(spec("a"), NOW);
    LeaseCondition expired = LeaseCondition.expired(NOW, 1);

    assertEquals(
        new MutationResult(Outcome.STALE_EPOCH, 2, 2), state.setLease("a", old.epoch(), expired));
    assertEquals(new MutationResult(Outcome.NOT_FOUND, 2, 0), state.setLease("b", 0, expired));
    assertTrue(state.get("a").healthy());
    assertEquals(2, state.revision());
  }

  @Test
  void instancesAreOrderedByInstanceId() {
    state.register(spec("c"), NOW);
    state.register(spec("a"), NOW);
    state.register(spec("b"), NOW);

    assertEquals(List.of("a", "b", "c"), ids(List.copyOf(state.instances())));
  }

  @Test
  void changesSinceZeroIsASnapshot() {
    state.register(spec("b"), NOW);
    state.register(spec("a"), NOW);
    state.register(spec("c"), NOW);
    state.deregister("c", 0);

    ServiceDelta delta = state.changesSince(0);

    assertTrue(delta.snapshot());
    assertEquals(SERVICE, delta.key());
    assertEquals(4, delta.revision());
    assertEquals(List.of("a", "b"), ids(delta.upserts()));
    assertTrue(delta.removals().isEmpty());
    assertEquals(state.snapshot(), delta);
  }

  @Test
  void snapshotOfAnEmptyStateIsNotEmptyDelta() {
    ServiceDelta snapshot = state.snapshot();

    assertTrue(snapshot.snapshot());
    assertFalse(snapshot.isEmpty(), "an empty snapshot still tells the receiver to drop all");
    assertTrue(snapshot.upserts().isEmpty());
  }

  @Test
  void changesSinceMidRevisionGivesExactlyTheLaterUpsertsAndRemovalsByRevision() {
    state.register(spec("a"), NOW); // 1
    state.register(spec("b"), NOW); // 2
    state.register(spec("c"), NOW); // 3
    state.register(spec("d"), NOW); // 4
    long mid = state.revision();
    state.setStatus("b", InstanceStatus.DRAINING, 0); // 5
    state.deregister("c", 0); // 6
    state.register(spec("e"), NOW); // 7
    state.setLease("a", 0, LeaseCondition.expired(NOW, 1)); // 8
    state.deregister("d", 0); // 9

    ServiceDelta delta = state.changesSince(mid);

    assertFalse(delta.snapshot());
    assertEquals(9, delta.revision());
    assertEquals(List.of("b", "e", "a"), ids(delta.upserts()));
    assertEquals(List.of(5L, 7L, 8L), revisions(delta.upserts()));
    assertEquals(List.of("c", "d"), removedIds(delta.removals()));
    assertEquals(List.of(6L, 9L), removalRevisions(delta.removals()));
    assertEquals(InstanceStatus.DRAINING, delta.upserts().get(0).status());
    assertFalse(delta.upserts().get(2).healthy());
  }

  @Test
  void changesSinceExcludesChangesAtOrBeforeTheRevision() {
    state.register(spec("a"), NOW); // 1
    state.register(spec("b"), NOW); // 2
    state.deregister("a", 0); // 3
    state.register(spec("c"), NOW); // 4

    ServiceDelta delta = state.changesSince(3);

    assertEquals(List.of("c"), ids(delta.upserts()));
    assertTrue(delta.removals().isEmpty());
  }

  @Test
  void changesSinceReportsRemovalAndReAddOfTheSameInstance() {
    state.register(spec("a"), NOW); // 1
    state.register(spec("b"), NOW); // 2
    state.deregister("a", 0); // 3
    state.register(spec("a"), NOW); // 4

    ServiceDelta delta = state.changesSince(2);

    assertEquals(List.of("a"), ids(delta.upserts()));
    assertEquals(4, delta.upserts().get(0).epoch());
    assertEquals(List.of(new Removal(3, "a")), delta.removals());
  }

  @Test
  void changesSinceTheCurrentRevisionIsEmpty() {
    state.register(spec("a"), NOW);
    state.deregister("a", 0);

    ServiceDelta delta = state.changesSince(state.revision());

    assertTrue(delta.isEmpty());
    assertEquals(state.revision(), delta.revision());
  }

  @Test
  void changesSinceARevisionAboveTheCurrentIsASnapshot() {
    state.register(spec("a"), NOW);
    state.register(spec("b"), NOW);

    ServiceDelta delta = state.changesSince(state.revision() + 1);

    assertTrue(delta.snapshot());
    assertEquals(2, delta.revision());
    assertEquals(List.of("a", "b"), ids(delta.upserts()));
  }

  @Test
  void removalsBeyondTheRetainedLimitAreCompactedAndOlderDeltasBecomeSnapshots() {
    int removalCount = ServiceState.MAX_REMOVALS_RETAINED + 1;
    for (int i = 0; i < removalCount; i++) {
      state.register(spec("i-" + i), NOW); // 2i + 1
      state.deregister("i-" + i, 0); // 2i + 2
    }
    state.register(spec("kept"), NOW);

    assertEquals(ServiceState.MAX_REMOVALS_RETAINED, state.removals().size());
    assertEquals(2, state.compactedRevision(), "the first removal, at revision 2, is forgotten");
    assertEquals(4, state.removals().iterator().next().revision());

    ServiceDelta fromBeforeCompaction = state.changesSince(1);
    assertTrue(fromBeforeCompaction.snapshot());
    assertEquals(List.of("kept"), ids(fromBeforeCompaction.upserts()));
    assertTrue(fromBeforeCompaction.removals().isEmpty());

    ServiceDelta fromCompaction = state.changesSince(state.compactedRevision());
    assertFalse(fromCompaction.snapshot());
    assertEquals(ServiceState.MAX_REMOVALS_RETAINED, fromCompaction.removals().size());
    assertEquals(List.of("kept"), ids(fromCompaction.upserts()));
  }

  @Test
  void copyCarriesEverything() {
    state.register(spec("a"), NOW);
    state.register(spec("b"), NOW);
    state.deregister("a", 0);

    ServiceState copy = state.copy();

    assertEquals(state.key(), copy.key());
    assertEquals(state.revision(), copy.revision());
    assertEquals(List.copyOf(state.instances()), List.copyOf(copy.instances()));
    assertEquals(List.copyOf(state.removals()), List.copyOf(copy.removals()));
    assertEquals(state.compactedRevision(), copy.compactedRevision());
    assertEquals(state.snapshot(), copy.snapshot());
    assertEquals(state.changesSince(1), copy.changesSince(1));
  }

  @Test
  void copyIsIndependentOfTheOriginal() {
    state.register(spec("a"), NOW);
    state.register(spec("b"), NOW);
    state.deregister("a", 0);
    ServiceDelta originalBefore = state.snapshot();
    List<Removal> originalRemovals = List.copyOf(state.removals());

    ServiceState copy = state.copy();
    copy.register(spec("c"), NOW);
    copy.setStatus("b", InstanceStatus.DRAINING, 0);
    copy.deregister("b", 0);

    assertEquals(originalBefore, state.snapshot());
    assertEquals(originalRemovals, List.copyOf(state.removals()));
    assertEquals(3, state.revision());
    assertEquals(6, copy.revision());

    ServiceDelta copyBefore = copy.snapshot();
    state.register(spec("d"), NOW);
    state.deregister("b", 0);

    assertEquals(copyBefore, copy.snapshot());
    assertNull(copy.get("d"));
    assertEquals(2, copy.removals().size());
  }

  @Test
  void epochsStayMonotonicAcrossDeregisterAndRegisterOfTheSameId() {
    long previousEpoch = 0;
    for (int round = 0; round < 5; round++) {
      InstanceRecord record = state.register(spec("a"), NOW + round);
      assertTrue(
          record.epoch() > previousEpoch, "epoch " + record.epoch() + " after " + previousEpoch);
      if (previousEpoch != 0) {
        assertEquals(
            Outcome.STALE_EPOCH,
            state.deregister("a", previousEpoch).outcome(),
            "an earlier registration must not remove its successor");
      }
      assertEquals(Outcome.APPLIED, state.deregister("a", record.epoch()).outcome());
      previousEpoch = record.epoch();
    }
  }

  @Test
  void rebuiltStateContinuesFromItsRevision() {
    InstanceRecord record =
        new InstanceRecord(spec("a"), InstanceStatus.UP, LeaseCondition.ok(NOW), 7, 9, NOW);
    Removal removal = new Removal(8, "b");
    ServiceState rebuilt = new ServiceState(SERVICE, 10, List.of(record), List.of(removal), 5);

    assertEquals(record, rebuilt.get("a"));
    assertEquals(5, rebuilt.compactedRevision());
    assertTrue(rebuilt.changesSince(4).snapshot());
    assertEquals(List.of(removal), rebuilt.changesSince(5).removals());

    InstanceRecord again = rebuilt.register(spec("a"), NOW);
    assertEquals(11, again.epoch());
    assertEquals(11, rebuilt.revision());
  }

  // ---- lease health ordering ----

  @Test
  void expiryArrivingAfterTheRevivalThatFollowedItIsIgnored() {
    InstanceRecord before = state.register(spec("a"), NOW);
    state.setLease("a", before.epoch(), LeaseCondition.expired(NOW + 10, 1)); // 2
    state.setLease("a", before.epoch(), LeaseCondition.revived(NOW + 20, 2)); // 3

    MutationResult late = state.setLease("a", before.epoch(), LeaseCondition.expired(NOW + 30, 1));

    assertEquals(new MutationResult(Outcome.UNCHANGED, 3, before.epoch()), late);
    assertTrue(state.get("a").healthy());
    assertEquals(LeaseCondition.revived(NOW + 20, 2), state.get("a").lease());
    assertEquals(3, state.revision());
  }

  @Test
  void revivalOlderThanTheExpiryHeldIsIgnored() {
    state.register(spec("a"), NOW);
    state.setLease("a", 0, LeaseCondition.expired(NOW + 10, 3)); // 2

    MutationResult late = state.setLease("a", 0, LeaseCondition.revived(NOW + 20, 2));

    assertEquals(Outcome.UNCHANGED, late.outcome());
    assertFalse(state.get("a").healthy());
    assertEquals(2, state.revision());
  }

  @Test
  void healthyConditionWithoutASequenceDoesNotUndoAnExpiry() {
    state.register(spec("a"), NOW);
    state.setLease("a", 0, LeaseCondition.expired(NOW + 10, 1));

    MutationResult result = state.setLease("a", 0, LeaseCondition.ok(NOW + 20));

    assertEquals(Outcome.UNCHANGED, result.outcome());
    assertFalse(state.get("a").healthy(), "only a revival with a newer sequence revives");
  }

  @Test
  void expiryAfterARevivalWithTheNextSequenceApplies() {
    state.register(spec("a"), NOW);
    state.setLease("a", 0, LeaseCondition.expired(NOW + 10, 1));
    state.setLease("a", 0, LeaseCondition.revived(NOW + 20, 2));

    MutationResult again = state.setLease("a", 0, LeaseCondition.expired(NOW + 30, 3));

    assertEquals(new MutationResult(Outcome.APPLIED, 4, 1), again);
    assertEquals(LeaseCondition.expired(NOW + 30, 3), state.get("a").lease());
  }

  @Test
  void reRegistrationStartsTheHealthSequenceAfresh() {
    state.register(spec("a"), NOW);
    state.setLease("a", 0, LeaseCondition.expired(NOW + 10, 1));
    state.setLease("a", 0, LeaseCondition.revived(NOW + 20, 2));
    InstanceRecord again = state.register(spec("a"), NOW + 30);

    MutationResult expired =
        state.setLease("a", again.epoch(), LeaseCondition.expired(NOW + 40, 1));

    assertEquals(Outcome.APPLIED, expired.outcome());
    assertFalse(state.get("a").healthy());
  }

  // ---- merge after a partition ----

  @Test
  void mergeFromKeepsEveryInstanceEitherSideHolds() {
    state.register(spec("a"), NOW); // 1
    state.register(spec("b"), NOW); // 2
    ServiceState theirs = state.copy();
    theirs.register(spec("c"), NOW); // 3 on their side
    state.register(spec("d"), NOW); // 3 on ours
    state.deregister("b", 0); // 4 on ours

    state.mergeFrom(theirs);

    assertEquals(List.of("a", "b", "c", "d"), ids(List.copyOf(state.instances())));
    assertEquals(
        theirs.get("b").spec(),
        state.get("b").spec(),
        "an instance the other side still holds survives a removal on this side");
  }

  @Test
  void mergeFromTakesTheNewerRegistrationOfAnInstanceBothSidesHold() {
    state.register(spec("a"), NOW); // 1
    state.register(spec("b"), NOW); // 2
    ServiceState theirs = state.copy();
    theirs.register(Specs.builder("a").port(9090).build(), NOW + 1); // epoch 3 on their side
    state.setStatus("a", InstanceStatus.DRAINING, 0); // 3 on ours, epoch 1 kept
    state.register(Specs.builder("b").port(7070).build(), NOW + 2); // epoch 4 on ours

    state.mergeFrom(theirs);

    assertEquals(3, state.get("a").epoch());
    assertEquals(9090, state.get("a").spec().port());
    assertEquals(InstanceStatus.UP, state.get("a").status(), "their newer registration wins");
    assertEquals(4, state.get("b").epoch());
    assertEquals(7070, state.get("b").spec().port(), "our newer registration stays");
  }

  @Test
  void mergeFromOfTheSameRegistrationTakesTheLaterChange() {
    state.register(spec("a"), NOW); // 1
    state.register(spec("b"), NOW); // 2
    ServiceState theirs = state.copy();
    state.setStatus("a", InstanceStatus.DRAINING, 0); // 3 on ours
    theirs.setStatus("a", InstanceStatus.DRAINING, 0); // 3 on theirs
    theirs.setStatus("a", InstanceStatus.OUT_OF_SERVICE, 0); // 4 on theirs
    state.setStatus("b", InstanceStatus.DRAINING, 0); // 4 on ours

    state.mergeFrom(theirs);

    assertEquals(InstanceStatus.OUT_OF_SERVICE, state.get("a").status());
    assertEquals(InstanceStatus.DRAINING, state.get("b").status());
    assertEquals(1, state.get("a").epoch());
    assertEquals(2, state.get("b").epoch());
  }

  @Test
  void mergeFromMovesTheRevisionAboveBothSidesAndStampsEveryInstanceWithIt() {
    state.register(spec("a"), NOW); // 1
    ServiceState theirs = state.copy();
    state.register(spec("b"), NOW); // 2
    state.deregister("b", 0); // 3
    for (int i = 0; i < 4; i++) {
      theirs.register(spec("t" + i), NOW); // 2..5 on their side
    }

    state.mergeFrom(theirs);

    assertEquals(6, state.revision());
    for (InstanceRecord record : state.instances()) {
      assertEquals(6, record.revision(), record.instanceId());
    }
    assertTrue(state.removals().isEmpty());
    assertEquals(6, state.compactedRevision());

    ServiceState lower = new ServiceState(SERVICE);
    lower.register(spec("x"), NOW);
    state.mergeFrom(lower);
    assertEquals(7, state.revision(), "above our own revision when theirs is lower");
  }

  @Test
  void changesSinceARevisionFromBeforeTheMergeIsASnapshot() {
    state.register(spec("a"), NOW); // 1
    state.register(spec("b"), NOW); // 2
    ServiceState theirs = state.copy();
    state.deregister("a", 0); // 3 on ours
    theirs.register(spec("c"), NOW); // 3 on theirs
    theirs.setStatus("c", InstanceStatus.DRAINING, 0); // 4 on theirs
    ServiceView followerOfTheirs = ServiceView.empty(SERVICE).apply(theirs.snapshot());
    ServiceView followerOfOurs = ServiceView.empty(SERVICE).apply(state.snapshot());

    state.mergeFrom(theirs);

    for (long old = 0; old < state.revision(); old++) {
      ServiceDelta delta = state.changesSince(old);
      assertTrue(delta.snapshot(), "from revision " + old);
      assertEquals(List.of("a", "b", "c"), ids(delta.upserts()));
    }
    assertTrue(state.changesSince(state.revision()).isEmpty());
    ServiceView expected = ServiceView.empty(SERVICE).apply(state.snapshot());
    assertEquals(expected, followerOfTheirs.apply(state.changesSince(theirs.revision())));
    assertEquals(expected, followerOfOurs.apply(state.changesSince(3)));
  }

  @Test
  void changesAfterAMergeAreOrdinaryDeltas() {
    state.register(spec("a"), NOW);
    ServiceState theirs = state.copy();
    theirs.register(spec("b"), NOW);
    state.mergeFrom(theirs);
    long merged = state.revision();

    state.setStatus("b", InstanceStatus.DRAINING, 0);
    InstanceRecord registered = state.register(spec("c"), NOW);

    ServiceDelta delta = state.changesSince(merged);
    assertFalse(delta.snapshot());
    assertEquals(List.of("b", "c"), ids(delta.upserts()));
    assertEquals(merged + 2, registered.epoch(), "new epochs exceed every epoch of both sides");
  }

  @Test
  void mergeFromLeavesTheOtherStateAlone() {
    state.register(spec("a"), NOW);
    ServiceState theirs = state.copy();
    theirs.register(spec("b"), NOW);
    theirs.deregister("a", 0);
    ServiceDelta theirsBefore = theirs.snapshot();
    List<Removal> theirRemovals = List.copyOf(theirs.removals());

    state.mergeFrom(theirs);

    assertEquals(theirsBefore, theirs.snapshot());
    assertEquals(theirRemovals, List.copyOf(theirs.removals()));
    assertEquals(3, theirs.revision());
  }
}
