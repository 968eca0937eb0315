package io.roster.node.domain;

import static io.roster.node.domain.Specs.SERVICE;
import static io.roster.node.domain.Specs.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roster.node.domain.ServiceView.Selection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ServiceViewTest {

  private static final long NOW = 1_000_000L;

  private static InstanceRecord record(InstanceSpec spec, long revision) {
    return record(spec, InstanceStatus.UP, true, revision);
  }

  private static InstanceRecord record(
      InstanceSpec spec, InstanceStatus status, boolean healthy, long revision) {
    LeaseCondition lease = healthy ? LeaseCondition.ok(NOW) : LeaseCondition.expired(NOW, 1);
    return new InstanceRecord(spec, status, lease, revision, revision, NOW);
  }

  private static ServiceDelta snapshot(long revision, InstanceRecord... records) {
    return new ServiceDelta(SERVICE, revision, true, List.of(records), List.of());
  }

  private static ServiceDelta delta(
      long revision, List<InstanceRecord> upserts, List<Removal> removals) {
    return new ServiceDelta(SERVICE, revision, false, upserts, removals);
  }

  private static ServiceView viewOf(long revision, InstanceRecord... records) {
    return new ServiceView(SERVICE, revision, List.of(records));
  }

  private static List<String> ids(List<InstanceRecord> records) {
    List<String> ids = new ArrayList<>();
    for (InstanceRecord record : records) {
      ids.add(record.instanceId());
    }
    return ids;
  }

  private static DiscoveryQuery query(
      String zone, Map<String, String> selector, boolean includeUnhealthy, String version) {
    return new DiscoveryQuery(SERVICE, zone, selector, includeUnhealthy, version);
  }

  private static DiscoveryQuery servingIn(String zone) {
    return query(zone, Map.of(), false, "");
  }

  // ---- apply ----

  @Test
  void emptyViewHasRevisionZeroAndNoInstances() {
    ServiceView empty = ServiceView.empty(SERVICE);

    assertEquals(SERVICE, empty.key());
    assertEquals(0, empty.revision());
    assertTrue(empty.instances().isEmpty());
    assertEquals(0, empty.healthyCount());
  }

  @Test
  void snapshotReplacesEverythingHeld() {
    ServiceView view = viewOf(3, record(spec("a"), 1), record(spec("b"), 2));
    InstanceRecord c = record(spec("c"), 5);

    ServiceView next = view.apply(snapshot(6, c));

    assertEquals(6, next.revision());
    assertEquals(List.of(c), next.instances());
  }

  @Test
  void snapshotNotNewerThanTheViewIsIgnored() {
    ServiceView view = viewOf(50, record(spec("a"), 40), record(spec("z"), 50));
    InstanceRecord b = record(spec("b"), 2);

    assertSame(view, view.apply(snapshot(3, b)));
    assertSame(view, view.apply(snapshot(50, b)));
  }

  @Test
  void olderSnapshotAppliedToAnEmptyViewRebuildsAViewFromALostState() {
    InstanceRecord b = record(spec("b"), 2);

    ServiceView rebuilt = ServiceView.empty(SERVICE).apply(snapshot(3, b));

    assertEquals(3, rebuilt.revision());
    assertEquals(List.of(b), rebuilt.instances());
  }

  @Test
  void emptySnapshotDropsEveryInstance() {
    ServiceView view = viewOf(2, record(spec("a"), 1), record(spec("b"), 2));

    ServiceView next = view.apply(snapshot(3));

    assertEquals(3, next.revision());
    assertTrue(next.instances().isEmpty());
  }

  @Test
  void deltaAppliesUpsertsAndRemovals() {
    InstanceRecord a = record(spec("a"), 1);
    InstanceRecord b = record(spec("b"), 2);
    ServiceView view = viewOf(2, a, b);
    InstanceRecord drainingA = record(spec("a"), InstanceStatus.DRAINING, true, 3);
    InstanceRecord c = record(spec("c"), 5);

    ServiceView next =
        view.apply(delta(5, List.of(drainingA, c), List.of(new Removal(4, b.instanceId()))));

    assertEquals(5, next.revision());
    assertEquals(List.of(drainingA, c), next.instances());
    assertEquals(List.of(a, b), view.instances(), "the old view is left as it was");
    assertEquals(2, view.revision());
  }

  @Test
  void deltaWithRemoveThenReAddOfTheSameIdKeepsTheNewRegistration() {
    InstanceRecord old = record(spec("a"), 1);
    ServiceView view = viewOf(1, old);
    InstanceRecord reAdded = record(Specs.builder("a").port(9999).build(), 3);

    ServiceView next =
        view.apply(delta(3, List.of(reAdded), List.of(new Removal(2, old.instanceId()))));

    assertEquals(List.of(reAdded), next.instances());
    assertEquals(9999, next.instances().get(0).spec().port());
  }

  @Test
  void successiveDeltasRemoveThenReAddTheSameId() {
    InstanceRecord old = record(spec("a"), 1);
    InstanceRecord b = record(spec("b"), 2);
    ServiceView view = viewOf(2, old, b);

    ServiceView removed =
        view.apply(delta(3, List.of(), List.of(new Removal(3, old.instanceId()))));
    assertEquals(List.of(b), removed.instances());

    InstanceRecord reAdded = record(spec("a"), 4);
    ServiceView reAddedView = removed.apply(delta(4, List.of(reAdded), List.of()));
    assertEquals(List.of(reAdded, b), reAddedView.instances());
    assertEquals(4, reAddedView.revision());
  }

  @Test
  void deltaNotNewerThanTheViewIsIgnored() {
    InstanceRecord a = record(spec("a"), 5);
    ServiceView view = viewOf(5, a);
    InstanceRecord x = record(spec("x"), 5);

    assertSame(view, view.apply(delta(5, List.of(x), List.of(new Removal(5, a.instanceId())))));
    assertSame(view, view.apply(delta(4, List.of(x), List.of(new Removal(4, a.instanceId())))));
    assertEquals(List.of(a), view.instances());
  }

  @Test
  void upsertOlderThanTheHeldRecordDoesNotReplaceIt() {
    InstanceRecord held = record(spec("a"), InstanceStatus.DRAINING, true, 6);
    ServiceView view = viewOf(6, held);

    ServiceView next = view.apply(delta(7, List.of(record(spec("a"), 4)), List.of()));

    assertEquals(List.of(held), next.instances());
    assertEquals(7, next.revision());
  }

  @Test
  void removalOlderThanTheHeldRecordDoesNotRemoveIt() {
    InstanceRecord held = record(spec("a"), 6);
    ServiceView view = viewOf(6, held);

    ServiceView next = view.apply(delta(7, List.of(), List.of(new Removal(5, held.instanceId()))));

    assertEquals(List.of(held), next.instances());
  }

  @Test
  void resultIsOrderedByInstanceIdWhateverTheDeltaOrder() {
    ServiceView view = viewOf(1, record(spec("m"), 1));
    InstanceRecord z = record(spec("z"), 2);
    InstanceRecord a = record(spec("a"), 3);
    InstanceRecord b = record(spec("b"), 4);

    ServiceView next = view.apply(delta(4, List.of(z, a, b), List.of()));
    assertEquals(List.of("a", "b", "m", "z"), ids(next.instances()));

    ServiceView fromSnapshot = ServiceView.empty(SERVICE).apply(snapshot(4, z, b, a));
    assertEquals(List.of("a", "b", "z"), ids(fromSnapshot.instances()));
  }

  @Test
  void findLooksAnInstanceUpById() {
    InstanceRecord a = record(spec("a"), 1);
    InstanceRecord b = record(spec("b"), 2);
    ServiceView view = viewOf(2, a, b);

    assertSame(a, view.find("a"));
    assertSame(b, view.find("b"));
    assertNull(view.find("c"));
    assertNull(ServiceView.empty(SERVICE).find("a"));
  }

  @Test
  void findAfterADeltaSeesTheAppliedChanges() {
    InstanceRecord a = record(spec("a"), 1);
    InstanceRecord b = record(spec("b"), 2);
    ServiceView view = viewOf(2, a, b);
    InstanceRecord drainingA = record(spec("a"), InstanceStatus.DRAINING, true, 3);
    InstanceRecord c = record(spec("c"), 5);

    ServiceView next =
        view.apply(delta(5, List.of(drainingA, c), List.of(new Removal(4, b.instanceId()))));

    assertSame(drainingA, next.find("a"));
    assertNull(next.find("b"));
    assertSame(c, next.find("c"));
    assertSame(b, view.find("b"), "the old view still finds what it held");
    assertNull(next.apply(snapshot(6)).find("a"), "a snapshot drops what it does not list");
  }

  @Test
  void viewsWithTheSameKeyRevisionAndInstancesAreEqual() {
    InstanceRecord a = record(spec("a"), 1);
    ServiceView view = viewOf(1, a);

    assertEquals(viewOf(1, a), view);
    assertEquals(viewOf(1, a).hashCode(), view.hashCode());
    assertNotEquals(viewOf(2, a), view);
    assertNotEquals(viewOf(1, record(spec("b"), 1)), view);
    assertNotEquals(new ServiceView(new ServiceKey("default", "billing"), 1, List.of(a)), view);
    assertEquals("ServiceView[default/orders@1, 1 instances]", view.toString());
  }

  @Test
  void viewIsImmutable() {
    List<InstanceRecord> source = new ArrayList<>(List.of(record(spec("a"), 1)));
    ServiceView view = new ServiceView(SERVICE, 1, source);
    source.clear();

    assertEquals(1, view.instances().size());
  }

  /**
   * Property: a follower that applies every delta the state hands out, however far behind it is,
   * ends with the same view as one built from a snapshot.
   */
  @Test
  void viewFollowingEveryDeltaEqualsTheViewBuiltFromASnapshot() {
    Random random = new Random(20_240_601L);
    ServiceState state = new ServiceState(SERVICE);
    ServiceView follower = ServiceView.empty(SERVICE);
    List<ServiceView> history = new ArrayList<>();
    String[] ids = {"a", "b", "c", "d", "e", "f", "g", "h"};
    InstanceStatus[] statuses = InstanceStatus.values();
    int deltasApplied = 0;
    long leaseSeq = 0;

    for (int step = 0; step < 400; step++) {
      String id = ids[random.nextInt(ids.length)];
      InstanceRecord current = state.get(id);
      long epoch =
          current == null || random.nextBoolean()
              ? 0
              : current.epoch() - random.nextInt(2); // sometimes stale
      switch (random.nextInt(5)) {
        case 0, 1 ->
            state.register(
                Specs.builder(id)
                    .port(1 + random.nextInt(65_535))
                    .zone("zone-" + random.nextInt(3))
                    .initialStatus(statuses[random.nextInt(statuses.length)])
                    .build(),
                NOW + step);
        case 2 -> state.deregister(id, epoch);
        case 3 -> state.setStatus(id, statuses[random.nextInt(statuses.length)], epoch);
        default -> {
          // Health changes carry a growing lease sequence, as the lease table hands them out.
          leaseSeq++;
          state.setLease(
              id,
              epoch,
              random.nextBoolean()
                  ? LeaseCondition.revived(NOW + step, leaseSeq)
                  : LeaseCondition.expired(NOW + step, leaseSeq));
        }
      }

      if (random.nextInt(3) == 0) {
        ServiceDelta delta = state.changesSince(follower.revision());
        if (!delta.snapshot()) {
          deltasApplied++;
        }
        follower = follower.apply(delta);
        assertEquals(state.revision(), follower.revision());
        assertEquals(ServiceView.empty(SERVICE).apply(state.snapshot()), follower, "step " + step);
        if (!delta.snapshot()) {
          // The same delta arriving again, late, changes nothing.
          assertSame(follower, follower.apply(delta));
        }
        history.add(follower);
      }
    }

    ServiceView expected = ServiceView.empty(SERVICE).apply(state.snapshot());
    assertFalse(expected.instances().isEmpty(), "the run should leave some instances");
    assertTrue(state.removals().size() > 10, "the run should remove instances");
    assertTrue(deltasApplied > 50, "most catch-ups should be deltas, got " + deltasApplied);
    for (ServiceView past : history) {
      ServiceView caughtUp = past.apply(state.changesSince(past.revision()));
      assertEquals(expected, caughtUp, "catching up from revision " + past.revision());
    }
  }

  // ---- select ----

  @Test
  void unhealthyAndOutOfServiceAreExcludedByDefaultButDrainingIsIncluded() {
    InstanceRecord up = record(spec("a-up"), InstanceStatus.UP, true, 1);
    InstanceRecord draining = record(spec("b-draining"), InstanceStatus.DRAINING, true, 2);
    InstanceRecord outOfService = record(spec("c-oos"), InstanceStatus.OUT_OF_SERVICE, true, 3);
    InstanceRecord unhealthy = record(spec("d-sick"), InstanceStatus.UP, false, 4);
    InstanceRecord unhealthyDraining =
        record(spec("e-sick-draining"), InstanceStatus.DRAINING, false, 5);
    ServiceView view = viewOf(5, up, draining, outOfService, unhealthy, unhealthyDraining);

    Selection selection = view.select(servingIn(""));

    assertEquals(List.of(up, draining), selection.instances());
    assertFalse(selection.zoneFallback());
    assertEquals(2, view.healthyCount());
  }

  @Test
  void includeUnhealthyReturnsEveryInstance() {
    InstanceRecord up = record(spec("a"), InstanceStatus.UP, true, 1);
    InstanceRecord outOfService = record(spec("b"), InstanceStatus.OUT_OF_SERVICE, true, 2);
    InstanceRecord unhealthy = record(spec("c"), InstanceStatus.UP, false, 3);
    ServiceView view = viewOf(3, up, outOfService, unhealthy);

    assertEquals(
        List.of(up, outOfService, unhealthy),
        view.select(query("", Map.of(), true, "")).instances());
    assertEquals(view.instances(), view.select(DiscoveryQuery.all(SERVICE)).instances());
  }

  @Test
  void metadataSelectorRequiresEveryPairToMatch() {
    InstanceRecord prodX =
        record(Specs.builder("a").metadata(Map.of("env", "prod", "team", "x")).build(), 1);
    InstanceRecord prodY =
        record(Specs.builder("b").metadata(Map.of("env", "prod", "team", "y")).build(), 2);
    InstanceRecord dev = record(Specs.builder("c").metadata(Map.of("env", "dev")).build(), 3);
    InstanceRecord none = record(spec("d"), 4);
    ServiceView view = viewOf(4, prodX, prodY, dev, none);

    assertEquals(
        List.of(prodX),
        view.select(query("", Map.of("env", "prod", "team", "x"), false, "")).instances());
    assertEquals(
        List.of(prodX, prodY),
        view.select(query("", Map.of("env", "prod"), false, "")).instances());
    assertEquals(
        List.of(),
        view.select(query("", Map.of("env", "dev", "team", "x"), false, "")).instances());
    assertEquals(List.of(), view.select(query("", Map.of("region", "eu"), false, "")).instances());
    assertEquals(
        List.of(prodX, prodY, dev, none), view.select(query("", Map.of(), false, "")).instances());
  }

  @Test
  void versionFilterKeepsOnlyTheExactVersion() {
    InstanceRecord v1 = record(Specs.builder("a").version("1.0").build(), 1);
    InstanceRecord v101 = record(Specs.builder("b").version("1.0.1").build(), 2);
    InstanceRecord v2 = record(Specs.builder("c").version("2.0").build(), 3);
    InstanceRecord unversioned = record(Specs.builder("d").version("").build(), 4);
    ServiceView view = viewOf(4, v1, v101, v2, unversioned);

    assertEquals(List.of(v1), view.select(query("", Map.of(), false, "1.0")).instances());
    assertEquals(List.of(v2), view.select(query("", Map.of(), false, "2.0")).instances());
    assertEquals(List.of(), view.select(query("", Map.of(), false, "3.0")).instances());
    assertEquals(4, view.select(query("", Map.of(), false, "")).instances().size());
  }

  @Test
  void preferredZoneWithAServingInstanceReturnsOnlyThatZone() {
    InstanceRecord a1 = record(Specs.builder("a1").zone("zone-a").build(), 1);
    InstanceRecord a2 =
        record(Specs.builder("a2").zone("zone-a").build(), InstanceStatus.UP, false, 2);
    InstanceRecord b1 = record(Specs.builder("b1").zone("zone-b").build(), 3);
    ServiceView view = viewOf(3, a1, a2, b1);

    Selection serving = view.select(servingIn("zone-a"));
    assertEquals(List.of(a1), serving.instances());
    assertFalse(serving.zoneFallback());

    Selection withUnhealthy = view.select(query("zone-a", Map.of(), true, ""));
    assertEquals(List.of(a1, a2), withUnhealthy.instances());
    assertFalse(withUnhealthy.zoneFallback());

    Selection otherZone = view.select(servingIn("zone-b"));
    assertEquals(List.of(b1), otherZone.instances());
    assertFalse(otherZone.zoneFallback());
  }

  @Test
  void preferredZoneWithOnlyUnhealthyInstancesFallsBackToAllZones() {
    InstanceRecord a1 = record(Specs.builder("a1").zone("zone-a").build(), 1);
    InstanceRecord b1 =
        record(Specs.builder("b1").zone("zone-b").build(), InstanceStatus.UP, false, 2);
    InstanceRecord b2 =
        record(Specs.builder("b2").zone("zone-b").build(), InstanceStatus.OUT_OF_SERVICE, true, 3);
    InstanceRecord c1 = record(Specs.builder("c1").zone("zone-c").build(), 4);
    ServiceView view = viewOf(4, a1, b1, b2, c1);

    Selection serving = view.select(servingIn("zone-b"));
    assertEquals(List.of(a1, c1), serving.instances());
    assertTrue(serving.zoneFallback());

    Selection withUnhealthy = view.select(query("zone-b", Map.of(), true, ""));
    assertEquals(List.of(a1, b1, b2, c1), withUnhealthy.instances());
    assertTrue(withUnhealthy.zoneFallback());
  }

  @Test
  void preferredZoneWithNoInstancesFallsBackToAllZones() {
    InstanceRecord a1 = record(Specs.builder("a1").zone("zone-a").build(), 1);
    ServiceView view = viewOf(1, a1);

    Selection selection = view.select(servingIn("zone-x"));

    assertEquals(List.of(a1), selection.instances());
    assertTrue(selection.zoneFallback());
  }

  @Test
  void preferredZoneIsJudgedAfterTheOtherFilters() {
    InstanceRecord inZoneOldVersion =
        record(Specs.builder("a1").zone("zone-a").version("1.0").build(), 1);
    InstanceRecord elsewhereNewVersion =
        record(Specs.builder("b1").zone("zone-b").version("2.0").build(), 2);
    ServiceView view = viewOf(2, inZoneOldVersion, elsewhereNewVersion);

    Selection selection = view.select(query("zone-a", Map.of(), false, "2.0"));

    assertEquals(List.of(elsewhereNewVersion), selection.instances());
    assertTrue(selection.zoneFallback());
  }

  @Test
  void emptyViewSelectsNothing() {
    Selection selection = ServiceView.empty(SERVICE).select(servingIn("zone-a"));

    assertTrue(selection.instances().isEmpty());
  }
}
