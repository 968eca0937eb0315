package io.roster.node.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InstanceEventTest {

  private static final ServiceKey SERVICE = new ServiceKey("default", "orders");
  private static final long SEEN_AT = 99_000;

  @Test
  void tellsEachChangeAsAnOperatorReadsIt() {
    ServiceState state = new ServiceState(SERVICE);
    state.register(spec("drains"), 1_000);
    state.register(spec("retires"), 1_000);
    state.register(spec("dies"), 1_000);
    state.register(spec("comes-back"), 1_000);
    state.setLease("comes-back", 0, LeaseCondition.expired(2_000, 1));
    state.register(spec("leaves"), 1_000);
    state.register(spec("is-evicted"), 1_000);
    state.setLease("is-evicted", 0, LeaseCondition.expired(2_500, 1));
    state.register(spec("restarts"), 1_000);
    ServiceView before = view(state);
    long revision = before.revision();

    state.setStatus("drains", InstanceStatus.DRAINING, 0);
    state.setStatus("retires", InstanceStatus.OUT_OF_SERVICE, 0);
    state.setLease("dies", 0, LeaseCondition.expired(5_000, 1));
    state.setLease("comes-back", 0, LeaseCondition.revived(6_000, 2));
    state.deregister("leaves", 0);
    state.deregister("is-evicted", 0);
    state.register(spec("restarts"), 7_000);
    state.register(spec("new"), 8_000);
    ServiceView after = before.apply(state.changesSince(revision));

    List<InstanceEvent> events =
        InstanceEvent.between(before, after, state.changesSince(revision), SEEN_AT);

    assertEquals(
        List.of(
            new InstanceEvent(
                InstanceEvent.Kind.DRAINED, "drains", revision + 1, SEEN_AT, "UP → DRAINING"),
            new InstanceEvent(
                InstanceEvent.Kind.STATUS_CHANGED,
                "retires",
                revision + 2,
                SEEN_AT,
                "UP → OUT_OF_SERVICE"),
            new InstanceEvent(
                InstanceEvent.Kind.DECLARED_EXPIRED,
                "dies",
                revision + 3,
                5_000,
                "no heartbeat within the lease TTL"),
            new InstanceEvent(
                InstanceEvent.Kind.REVIVED,
                "comes-back",
                revision + 4,
                6_000,
                "heartbeats resumed"),
            new InstanceEvent(
                InstanceEvent.Kind.REMOVED, "leaves", revision + 5, SEEN_AT, "deregistered"),
            new InstanceEvent(
                InstanceEvent.Kind.REMOVED,
                "is-evicted",
                revision + 6,
                SEEN_AT,
                "removed after its lease expired"),
            new InstanceEvent(
                InstanceEvent.Kind.REGISTERED,
                "restarts",
                revision + 7,
                7_000,
                "again, epoch " + (revision + 7) + ", 10.0.0.1:8080"),
            new InstanceEvent(
                InstanceEvent.Kind.REGISTERED,
                "new",
                revision + 8,
                8_000,
                "epoch " + (revision + 8) + ", 10.0.0.1:8080")),
        events);
  }

  @Test
  void aStatusAndAHealthChangeTogetherAreTwoEvents() {
    ServiceState state = new ServiceState(SERVICE);
    InstanceRecord a = state.register(spec("a"), 1_000);
    ServiceView before = view(state);
    InstanceRecord changed =
        new InstanceRecord(
            a.spec(),
            InstanceStatus.DRAINING,
            LeaseCondition.expired(3_000, 1),
            a.epoch(),
            a.revision() + 1,
            a.registeredAtMillis());
    ServiceDelta delta =
        new ServiceDelta(SERVICE, a.revision() + 1, false, List.of(changed), List.of());

    List<InstanceEvent> events = InstanceEvent.between(before, before.apply(delta), delta, SEEN_AT);

    assertEquals(
        List.of(InstanceEvent.Kind.DRAINED, InstanceEvent.Kind.DECLARED_EXPIRED),
        events.stream().map(InstanceEvent::kind).toList());
  }

  @Test
  void aChangeNobodyCanSeeTellsNothing() {
    ServiceState state = new ServiceState(SERVICE);
    state.register(spec("a"), 1_000);
    ServiceView before = view(state);
    state.setLease("a", 0, LeaseCondition.revived(5_000, 3));
    ServiceDelta delta = state.changesSince(before.revision());

    assertEquals(List.of(), InstanceEvent.between(before, before.apply(delta), delta, SEEN_AT));
  }

  private static ServiceView view(ServiceState state) {
    return ServiceView.empty(SERVICE).apply(state.snapshot());
  }

  private static InstanceSpec spec(String id) {
    return new InstanceSpec(
        new InstanceKey("default", "orders", id),
        "10.0.0.1",
        8080,
        Map.of(),
        100,
        "",
        "",
        Map.of(),
        InstanceStatus.UP);
  }
}
