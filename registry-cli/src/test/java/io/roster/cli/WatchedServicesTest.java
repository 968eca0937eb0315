package io.roster.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.roster.v1.ChangeType;
import io.roster.v1.HealthState;
import io.roster.v1.Instance;
import io.roster.v1.InstanceChange;
import io.roster.v1.InstanceStatus;
import io.roster.v1.ServiceChanges;
import io.roster.v1.ServiceSnapshot;
import io.roster.v1.WatchResponse;
import io.roster.v1.WatchTarget;
import java.util.List;
import org.junit.jupiter.api.Test;

class WatchedServicesTest {
  private static final Instance A = instance("a", 1);
  private static final Instance B = instance("b", 2);
  private static final Instance C = instance("c", 3);

  private final WatchedServices watched = new WatchedServices("ns", List.of("orders"));

  @Test
  void theFirstSnapshotIsEveryInstanceAdded() {
    assertEquals(
        List.of(
            change(ChangeType.CHANGE_TYPE_ADDED, A, 1), change(ChangeType.CHANGE_TYPE_ADDED, B, 2)),
        watched.apply(snapshot(2, false, 0, false, A, B)));
  }

  @Test
  void changesArePrintedAsTheNodeSentThemAndResumeFromTheirRevision() {
    watched.apply(snapshot(2, false, 0, false, A, B));
    InstanceChange removed = change(ChangeType.CHANGE_TYPE_REMOVED, A, 3);

    assertEquals(List.of(removed), watched.apply(changes(3, removed)));
    WatchTarget resume = watched.request().getTargets(0);
    assertEquals(3, resume.getFromRevision());
    assertEquals(42, resume.getIncarnation());
    assertEquals("ns", watched.request().getNamespace());
  }

  @Test
  void changesAfterAResumeAreTypedByWhatTheWatcherHeld() {
    watched.apply(snapshot(2, false, 0, false, A, B));
    Instance drainedB =
        B.toBuilder().setStatus(InstanceStatus.INSTANCE_STATUS_DRAINING).setRevision(4).build();

    // A node resuming from revision 2 sends every changed instance as UPDATED.
    List<InstanceChange> printed =
        watched.apply(
            changes(
                5,
                change(ChangeType.CHANGE_TYPE_REMOVED, instance("gone", 3), 3),
                change(ChangeType.CHANGE_TYPE_UPDATED, drainedB, 4),
                change(ChangeType.CHANGE_TYPE_UPDATED, C, 5)));

    assertEquals(
        List.of(
            change(ChangeType.CHANGE_TYPE_STATUS_CHANGED, drainedB, 4),
            change(ChangeType.CHANGE_TYPE_ADDED, C, 5)),
        printed);
  }

  @Test
  void aResetSnapshotPrintsOnlyWhatDiffersFromWhatWasHeld() {
    watched.apply(snapshot(2, false, 0, false, A, B));
    Instance drainedB =
        B.toBuilder().setStatus(InstanceStatus.INSTANCE_STATUS_DRAINING).setRevision(5).build();
    Instance unhealthyA =
        A.toBuilder().setHealth(HealthState.HEALTH_STATE_UNHEALTHY).setRevision(6).build();

    List<InstanceChange> printed =
        watched.apply(snapshot(7, true, 0, false, unhealthyA, drainedB, C));

    assertEquals(
        List.of(
            change(ChangeType.CHANGE_TYPE_HEALTH_CHANGED, unhealthyA, 6),
            change(ChangeType.CHANGE_TYPE_STATUS_CHANGED, drainedB, 5),
            change(ChangeType.CHANGE_TYPE_ADDED, C, 3)),
        printed);
    assertEquals(
        List.of(change(ChangeType.CHANGE_TYPE_REMOVED, drainedB, 8)),
        watched.apply(snapshot(8, true, 0, false, unhealthyA, C)));
    Instance moved = C.toBuilder().setPort(9).setRevision(9).build();
    assertEquals(
        List.of(change(ChangeType.CHANGE_TYPE_UPDATED, moved, 9)),
        watched.apply(snapshot(9, true, 0, false, unhealthyA, moved)));
  }

  @Test
  void aSnapshotInPartsIsActedOnOnceWhole() {
    assertEquals(List.of(), watched.apply(snapshot(3, false, 0, true, A)));
    assertEquals(0, watched.request().getTargets(0).getFromRevision());
    assertEquals(
        List.of(
            change(ChangeType.CHANGE_TYPE_ADDED, A, 1), change(ChangeType.CHANGE_TYPE_ADDED, B, 2)),
        watched.apply(snapshot(3, false, 1, false, B)));
    assertEquals(3, watched.request().getTargets(0).getFromRevision());
  }

  @Test
  void partsOfASnapshotABrokenStreamLeftAreDropped() {
    watched.apply(snapshot(3, false, 0, true, A));
    watched.streamEnded();

    assertEquals(List.of(), watched.apply(snapshot(3, false, 1, false, B)));
    assertEquals(0, watched.request().getTargets(0).getFromRevision());
  }

  private static Instance instance(String id, long revision) {
    return Instance.newBuilder()
        .setNamespace("ns")
        .setService("orders")
        .setInstanceId(id)
        .setHost("10.0.0.1")
        .setPort(8080)
        .setStatus(InstanceStatus.INSTANCE_STATUS_UP)
        .setHealth(HealthState.HEALTH_STATE_HEALTHY)
        .setEpoch(revision)
        .setRevision(revision)
        .build();
  }

  private static WatchResponse snapshot(
      long revision, boolean reset, int part, boolean more, Instance... instances) {
    return WatchResponse.newBuilder()
        .setService("orders")
        .setRevision(revision)
        .setIncarnation(42)
        .setSnapshot(
            ServiceSnapshot.newBuilder()
                .addAllInstances(List.of(instances))
                .setReset(reset)
                .setPart(part)
                .setMore(more))
        .build();
  }

  private static WatchResponse changes(long revision, InstanceChange... changes) {
    return WatchResponse.newBuilder()
        .setService("orders")
        .setRevision(revision)
        .setIncarnation(42)
        .setChanges(ServiceChanges.newBuilder().addAllChanges(List.of(changes)))
        .build();
  }

  private static InstanceChange change(ChangeType type, Instance instance, long revision) {
    return InstanceChange.newBuilder()
        .setType(type)
        .setInstance(instance)
        .setRevision(revision)
        .build();
  }
}
