package io.roster.node.domain;

import static io.roster.node.domain.Specs.SERVICE;
import static io.roster.node.domain.Specs.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Random changes of a service, checked against plain models at every step: {@link
 * ServiceState#changesSince} against a scan of every instance and removal (what it did before it
 * had an index by revision), and {@link ServiceView#apply} with the changes {@link ViewChanges}
 * reports against a {@link TreeMap} of the instances and a diff of whole views. Copies, rebuilt
 * replicas, merges and the forgetting of old removals happen along the way.
 */
@Timeout(60)
class ServiceChangesPropertyTest {

  private static final long NOW = 1_000_000L;

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6})
  void changesSinceAnyRevisionAreWhatAScanOfEveryInstanceFinds(long seed) {
    Random random = new Random(seed);
    int ids = seed % 2 == 0 ? 30 : 200;
    ServiceState state = new ServiceState(SERVICE);
    boolean forgot = false;
    for (int step = 0; step < 12_000; step++) {
      state = randomChange(state, random, ids, step);
      forgot |= state.removals().size() == ServiceState.MAX_REMOVALS_RETAINED;
      long revision = state.revision();
      long[] sinces =
          step % 50 == 0
              // Snapshots, now and then: they cost O(n) to make and to compare.
              ? new long[] {0, revision + 1, state.compactedRevision() - 1}
              : new long[] {
                revision,
                revision - 1,
                revision - 2,
                state.compactedRevision(),
                state.compactedRevision()
                    + random.nextLong(revision - state.compactedRevision() + 1)
              };
      for (long since : sinces) {
        if (since >= 0) {
          assertEquals(scanned(state, since), state.changesSince(since), "step " + step);
        }
      }
    }
    assertTrue(forgot, "no removal was ever forgotten: more steps are needed");
  }

  @ParameterizedTest
  @ValueSource(longs = {1, 2, 3, 4, 5, 6})
  void viewsFollowingTheStateHoldItsInstancesAndTellTheirChanges(long seed) {
    Random random = new Random(seed);
    int ids = seed % 2 == 0 ? 30 : 200;
    ServiceState state = new ServiceState(SERVICE);
    // A follower that reads every change, and one that reads every few.
    ServiceView close = ServiceView.empty(SERVICE);
    ServiceView far = ServiceView.empty(SERVICE);
    for (int step = 0; step < 12_000; step++) {
      state = randomChange(state, random, ids, step);
      close = follow(close, state);
      if (random.nextInt(7) == 0) {
        far = follow(far, state);
      }
      TreeMap<String, InstanceRecord> model = new TreeMap<>();
      for (InstanceRecord record : state.instances()) {
        model.put(record.instanceId(), record);
      }
      assertEquals(new ArrayList<>(model.values()), close.instances(), "step " + step);
      assertEquals(model.size(), close.size());
      assertEquals(healthy(model.values()), close.healthyCount(), "step " + step);
      for (ServiceView.Health health : ServiceView.Health.values()) {
        long counted =
            model.values().stream()
                .filter(record -> ServiceView.Health.of(record) == health)
                .count();
        assertEquals(counted, close.count(health), health + " at step " + step);
      }
      for (String id : List.of("i-0", "i-7", "i-29", "nobody")) {
        assertEquals(model.get(id), close.find(id));
      }
    }
    far = follow(far, state);
    assertEquals(close, far);
  }

  /** The follower's next view, checked: the changes told are those of a diff of whole views. */
  private static ServiceView follow(ServiceView view, ServiceState state) {
    ServiceDelta delta = state.changesSince(view.revision());
    ServiceView next =
        delta.revision() < view.revision()
            ? ServiceView.empty(SERVICE).apply(delta)
            : view.apply(delta);
    if (next == view) {
      assertEquals(view.revision(), state.revision());
      return view;
    }
    assertEquals(ViewChanges.between(view, next), ViewChanges.between(view, next, delta));
    assertEquals(state.revision(), next.revision());
    return next;
  }

  private static ServiceState randomChange(ServiceState state, Random random, int ids, int step) {
    if (step % 8_000 == 7_999) {
      // Rare, as it forgets every removal: in between, removals pile up past what is kept.
      ServiceState other = state.copy();
      other.register(spec("other-" + random.nextInt(5)), NOW + step);
      state.mergeFrom(other);
      return state;
    }
    String id = "i-" + random.nextInt(ids);
    int dice = random.nextInt(100);
    if (dice < 35) {
      state.register(spec(id), NOW + step);
    } else if (dice < 65) {
      state.deregister(id, random.nextInt(10) != 0 ? 0 : random.nextInt(step + 2));
    } else if (dice < 82) {
      InstanceStatus[] statuses = InstanceStatus.values();
      state.setStatus(id, statuses[random.nextInt(statuses.length)], 0);
    } else if (dice < 98) {
      InstanceRecord held = state.get(id);
      long seq = held == null ? 1 : held.lease().seq() + random.nextInt(3);
      LeaseCondition lease =
          random.nextBoolean()
              ? LeaseCondition.expired(NOW, seq)
              : LeaseCondition.revived(NOW, seq);
      state.setLease(id, 0, lease);
    } else if (dice < 99) {
      ServiceState copy = state.copy();
      assertEquals(state.changesSince(0), copy.changesSince(0));
      state = copy;
    } else {
      // A replica rebuilt from the parts a codec writes: the index is rebuilt, not carried.
      state =
          new ServiceState(
              state.key(),
              state.revision(),
              new ArrayList<>(state.instances()),
              new ArrayList<>(state.removals()),
              state.compactedRevision());
    }
    return state;
  }

  /** The difference as a scan of every instance and removal finds it. */
  private static ServiceDelta scanned(ServiceState state, long since) {
    if (since == 0 || since < state.compactedRevision() || since > state.revision()) {
      return new ServiceDelta(
          state.key(), state.revision(), true, new ArrayList<>(state.instances()), List.of());
    }
    List<InstanceRecord> upserts = new ArrayList<>();
    for (InstanceRecord record : state.instances()) {
      if (record.revision() > since) {
        upserts.add(record);
      }
    }
    upserts.sort(Comparator.comparingLong(InstanceRecord::revision));
    List<Removal> removals = new ArrayList<>();
    for (Removal removal : state.removals()) {
      if (removal.revision() > since) {
        removals.add(removal);
      }
    }
    return new ServiceDelta(state.key(), state.revision(), false, upserts, removals);
  }

  private static int healthy(Iterable<InstanceRecord> records) {
    int healthy = 0;
    for (InstanceRecord record : records) {
      if (record.serving()) {
        healthy++;
      }
    }
    return healthy;
  }

  @Test
  void aDeltaNotNewerThanTheViewChangesNothing() {
    ServiceState state = new ServiceState(SERVICE);
    state.register(spec("a"), NOW);
    ServiceView view = ServiceView.empty(SERVICE).apply(state.changesSince(0));
    assertSame(view, view.apply(state.changesSince(0)));
  }
}
