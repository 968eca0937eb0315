package io.roster.node.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ViewChangesTest {

  private static final ServiceKey SERVICE = new ServiceKey("default", "orders");

  @Test
  void classifiesEveryKindOfChangeInRevisionOrder() {
    ServiceState state = new ServiceState(SERVICE);
    state.register(spec("stays", 100), 0);
    state.register(spec("drains", 100), 0);
    state.register(spec("dies", 100), 0);
    state.register(spec("goes", 100), 0);
    state.register(spec("reweighted", 100), 0);
    ServiceView before = view(state);

    state.setStatus("drains", InstanceStatus.DRAINING, 0);
    state.setLease("dies", 0, LeaseCondition.expired(1, 1));
    state.deregister("goes", 0);
    state.register(spec("reweighted", 300), 2);
    state.register(spec("new", 100), 3);

    List<InstanceChange> changes = ViewChanges.between(before, view(state));

    assertEquals(
        List.of(
            InstanceChange.Kind.STATUS_CHANGED,
            InstanceChange.Kind.HEALTH_CHANGED,
            InstanceChange.Kind.UPDATED,
            InstanceChange.Kind.ADDED,
            InstanceChange.Kind.REMOVED),
        changes.stream().map(InstanceChange::kind).toList());
    assertEquals(
        List.of("drains", "dies", "reweighted", "new", "goes"),
        changes.stream().map(c -> c.record().instanceId()).toList());
  }

  @Test
  void aChangeNobodyCanSeeIsNoChange() {
    ServiceState state = new ServiceState(SERVICE);
    state.register(spec("a", 100), 0);
    ServiceView before = view(state);

    // Health stays, only the lease's sequence moves.
    state.setLease("a", 0, LeaseCondition.revived(5, 3));

    assertTrue(ViewChanges.between(before, view(state)).isEmpty());
  }

  @Test
  void statusAndHealthChangingTogetherIsAnUpdate() {
    ServiceState state = new ServiceState(SERVICE);
    InstanceRecord a = state.register(spec("a", 100), 0);
    InstanceRecord changed =
        new InstanceRecord(
            a.spec(),
            InstanceStatus.DRAINING,
            LeaseCondition.expired(1, 1),
            a.epoch(),
            a.revision() + 1,
            a.registeredAtMillis());

    assertEquals(InstanceChange.Kind.UPDATED, ViewChanges.kindOf(a, changed));
  }

  private static ServiceView view(ServiceState state) {
    return ServiceView.empty(SERVICE).apply(state.snapshot());
  }

  private static InstanceSpec spec(String id, int weight) {
    return new InstanceSpec(
        new InstanceKey("default", "orders", id),
        "10.0.0.1",
        8080,
        Map.of(),
        weight,
        "",
        "",
        Map.of(),
        InstanceStatus.UP);
  }
}
