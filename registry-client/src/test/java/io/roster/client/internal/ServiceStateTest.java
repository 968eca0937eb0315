package io.roster.client.internal;

import static io.roster.client.internal.ServiceState.Applied.CHANGED;
import static io.roster.client.internal.ServiceState.Applied.OTHER_INCARNATION;
import static io.roster.client.internal.ServiceState.Applied.PARTIAL;
import static io.roster.client.internal.ServiceState.Applied.UNCHANGED;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.roster.client.HealthState;
import io.roster.client.InstanceStatus;
import io.roster.client.ServiceEndpoints;
import io.roster.client.ServiceInstance;
import io.roster.v1.ChangeType;
import io.roster.v1.Instance;
import io.roster.v1.InstanceChange;
import io.roster.v1.ServiceChanges;
import io.roster.v1.ServiceSnapshot;
import io.roster.v1.WatchResponse;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ServiceStateTest {

  @Test
  void snapshotThenChangesGiveTheCurrentInstances() {
    ServiceState state = new ServiceState("default", "orders");
    assertEquals(CHANGED, state.apply(snapshot(5, false, instance("a", 5), instance("b", 5))));
    assertEquals(
        CHANGED,
        state.apply(
            changes(
                7,
                change(ChangeType.CHANGE_TYPE_REMOVED, instance("a", 6)),
                change(ChangeType.CHANGE_TYPE_ADDED, instance("c", 7)))));

    ServiceEndpoints endpoints = state.endpoints();
    assertEquals(7, endpoints.revision());
    assertEquals(List.of("b", "c"), ids(endpoints.instances()));
  }

  @Test
  void aRepeatedOrOlderChangeIsIgnored() {
    ServiceState state = new ServiceState("default", "orders");
    state.apply(snapshot(5, false, instance("a", 5)));
    assertEquals(
        UNCHANGED,
        state.apply(changes(5, change(ChangeType.CHANGE_TYPE_REMOVED, instance("a", 5)))));
    assertEquals(List.of("a"), ids(state.endpoints().instances()));
  }

  @Test
  void aResetSnapshotReplacesEverythingEvenAtALowerRevision() {
    ServiceState state = new ServiceState("default", "orders");
    state.apply(snapshot(50, false, instance("a", 40), instance("b", 50)));
    // The registry lost the service's state (every node restarted) and rebuilt it from 0.
    assertEquals(CHANGED, state.apply(snapshot(3, true, instance("c", 3))));
    assertEquals(3, state.revision());
    assertEquals(List.of("c"), ids(state.endpoints().instances()));
  }

  @Test
  void changesOfAnotherIncarnationAreNotApplied() {
    ServiceState state = new ServiceState("default", "orders");
    state.apply(inIncarnation(1, snapshot(5, false, instance("a", 5))));
    // Every node restarted: revision 6 of the new incarnation says nothing about revision 5 held.
    assertEquals(
        OTHER_INCARNATION,
        state.apply(
            inIncarnation(2, changes(6, change(ChangeType.CHANGE_TYPE_ADDED, instance("z", 6))))));
    assertEquals(List.of("a"), ids(state.endpoints().instances()));
    assertEquals(1, state.incarnation());

    assertEquals(CHANGED, state.apply(inIncarnation(2, snapshot(6, true, instance("z", 6)))));
    assertEquals(2, state.incarnation());
    assertEquals(List.of("z"), ids(state.endpoints().instances()));
  }

  @Test
  void aSnapshotInPartsReplacesWhatIsHeldOnlyWithItsLastPart() {
    ServiceState state = new ServiceState("default", "orders");
    state.apply(snapshot(5, false, instance("old", 5)));

    assertEquals(PARTIAL, state.apply(part(9, 0, true, instance("a", 7), instance("b", 8))));
    assertEquals(PARTIAL, state.apply(part(9, 1, true, instance("c", 9))));
    assertEquals(List.of("old"), ids(state.endpoints().instances()), "nothing seen half done");
    assertEquals(5, state.revision(), "resume from what is whole");

    assertEquals(CHANGED, state.apply(part(9, 2, false, instance("d", 6))));
    assertEquals(9, state.revision());
    assertEquals(List.of("a", "b", "c", "d"), ids(state.endpoints().instances()));
  }

  @Test
  void aSnapshotCutOffBetweenPartsIsDroppedAndTheNextOneStartsAfresh() {
    ServiceState state = new ServiceState("default", "orders");
    state.apply(snapshot(5, false, instance("old", 5)));
    state.apply(part(9, 0, true, instance("a", 7)));

    // The stream ended; the next one resumes from 5 and gets the changes since.
    assertEquals(
        CHANGED, state.apply(changes(6, change(ChangeType.CHANGE_TYPE_ADDED, instance("e", 6)))));
    // A stray later part of the dropped snapshot is not taken for a whole service.
    assertEquals(PARTIAL, state.apply(part(9, 1, false, instance("c", 9))));
    assertEquals(List.of("e", "old"), ids(state.endpoints().instances()));
    assertEquals(6, state.revision());

    state.apply(part(12, 0, true, instance("x", 12)));
    assertEquals(CHANGED, state.apply(part(12, 1, false, instance("y", 11))));
    assertEquals(List.of("x", "y"), ids(state.endpoints().instances()));
  }

  @Test
  void healthyListsHealthyUpAndDrainingInstances() {
    ServiceState state = new ServiceState("default", "orders");
    state.apply(
        snapshot(
            9,
            false,
            instance("up", 1),
            instance("draining", 2).toBuilder()
                .setStatus(io.roster.v1.InstanceStatus.INSTANCE_STATUS_DRAINING)
                .build(),
            instance("out", 3).toBuilder()
                .setStatus(io.roster.v1.InstanceStatus.INSTANCE_STATUS_OUT_OF_SERVICE)
                .build(),
            instance("sick", 4).toBuilder()
                .setHealth(io.roster.v1.HealthState.HEALTH_STATE_UNHEALTHY)
                .build()));
    ServiceEndpoints endpoints = state.endpoints();
    assertEquals(List.of("draining", "up"), ids(endpoints.healthy()));
    assertEquals(4, endpoints.instances().size());
    ServiceInstance draining = endpoints.healthy().get(0);
    assertEquals(InstanceStatus.DRAINING, draining.status());
    assertEquals(HealthState.HEALTHY, draining.health());
  }

  static Instance instance(String id, long revision) {
    return Instance.newBuilder()
        .setNamespace("default")
        .setService("orders")
        .setInstanceId(id)
        .setHost("10.0.0.1")
        .setPort(8080)
        .setWeight(100)
        .setStatus(io.roster.v1.InstanceStatus.INSTANCE_STATUS_UP)
        .setHealth(io.roster.v1.HealthState.HEALTH_STATE_HEALTHY)
        .setEpoch(revision)
        .setRevision(revision)
        .build();
  }

  static WatchResponse snapshot(long revision, boolean reset, Instance... instances) {
    return WatchResponse.newBuilder()
        .setService("orders")
        .setRevision(revision)
        .setSnapshot(
            ServiceSnapshot.newBuilder().setReset(reset).addAllInstances(List.of(instances)))
        .build();
  }

  static WatchResponse part(long revision, int part, boolean more, Instance... instances) {
    return WatchResponse.newBuilder()
        .setService("orders")
        .setRevision(revision)
        .setSnapshot(
            ServiceSnapshot.newBuilder()
                .setPart(part)
                .setMore(more)
                .addAllInstances(List.of(instances)))
        .build();
  }

  static WatchResponse inIncarnation(long incarnation, WatchResponse message) {
    return message.toBuilder().setIncarnation(incarnation).build();
  }

  static WatchResponse changes(long revision, InstanceChange... changes) {
    return WatchResponse.newBuilder()
        .setService("orders")
        .setRevision(revision)
        .setChanges(ServiceChanges.newBuilder().addAllChanges(List.of(changes)))
        .build();
  }

  static InstanceChange change(ChangeType type, Instance instance) {
    return InstanceChange.newBuilder()
        .setType(type)
        .setInstance(instance)
        .setRevision(instance.getRevision())
        .build();
  }

  static List<String> ids(List<ServiceInstance> instances) {
    return instances.stream().map(ServiceInstance::instanceId).toList();
  }
}
