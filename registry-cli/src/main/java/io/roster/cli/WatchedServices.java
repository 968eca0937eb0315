package io.roster.cli;

import io.roster.v1.ChangeType;
import io.roster.v1.Instance;
import io.roster.v1.InstanceChange;
import io.roster.v1.ServiceSnapshot;
import io.roster.v1.WatchRequest;
import io.roster.v1.WatchResponse;
import io.roster.v1.WatchTarget;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a {@code watch} holds of each service it follows, and the changes each Watch message means,
 * one {@link InstanceChange} per instance: the first snapshot of a service as every instance ADDED,
 * the changes a node sends, and a snapshot flagged reset (a node that could not resume from the
 * revision held) as the difference from what was held, so that no change is missed or printed twice
 * when the watch moves to another node.
 *
 * <p>A change's type is what it is to the watcher: a node resuming a stream folds what changed
 * since the revision held (an instance changed twice is one UPDATED), so an instance not held yet
 * is printed ADDED, one held gets the type its difference says (STATUS_CHANGED, HEALTH_CHANGED,
 * UPDATED), and the removal of one never held (it came and went while the watch moved) is not
 * printed.
 *
 * <p>Threading: used by the command's thread only.
 */
final class WatchedServices {

  /** One service: its instances by id, the revision and incarnation they are at. */
  private static final class Followed {
    final Map<String, Instance> instances = new TreeMap<>();
    long revision;
    long incarnation;
    List<Instance> snapshotParts; // the parts of a snapshot so far; null when none is arriving
  }

  private final String namespace;
  private final Map<String, Followed> services = new LinkedHashMap<>();

  WatchedServices(String namespace, List<String> services) {
    this.namespace = namespace;
    services.forEach(service -> this.services.put(service, new Followed()));
  }

  /** The request that resumes every service from what is held (a snapshot for what is not). */
  WatchRequest request() {
    WatchRequest.Builder request = WatchRequest.newBuilder().setNamespace(namespace);
    services.forEach(
        (service, followed) ->
            request.addTargets(
                WatchTarget.newBuilder()
                    .setService(service)
                    .setFromRevision(followed.revision)
                    .setIncarnation(followed.incarnation)));
    return request.build();
  }

  /** Forgets snapshot parts a broken stream left half-sent: the next stream sends them again. */
  void streamEnded() {
    services.values().forEach(followed -> followed.snapshotParts = null);
  }

  /** Applies one message; returns the changes it makes, oldest first. */
  List<InstanceChange> apply(WatchResponse message) {
    Followed followed = services.get(message.getService());
    if (followed == null) {
      return List.of(); // not asked for: nothing to follow
    }
    List<InstanceChange> changes = new ArrayList<>();
    switch (message.getEventCase()) {
      case SNAPSHOT -> {
        ServiceSnapshot snapshot = message.getSnapshot();
        if (snapshot.getPart() == 0) {
          followed.snapshotParts = new ArrayList<>();
        }
        if (followed.snapshotParts == null) {
          return List.of(); // a later part of a snapshot whose start this stream did not send
        }
        followed.snapshotParts.addAll(snapshot.getInstancesList());
        if (snapshot.getMore()) {
          return List.of(); // act on the service only once it is whole
        }
        Map<String, Instance> now = new TreeMap<>();
        followed.snapshotParts.forEach(instance -> now.put(instance.getInstanceId(), instance));
        followed.snapshotParts = null;
        changes.addAll(difference(followed.instances, now, message.getRevision()));
        followed.instances.clear();
        followed.instances.putAll(now);
      }
      case CHANGES -> {
        for (InstanceChange change : message.getChanges().getChangesList()) {
          String id = change.getInstance().getInstanceId();
          Instance held = followed.instances.get(id);
          ChangeType type = change.getType();
          if (type == ChangeType.CHANGE_TYPE_REMOVED) {
            if (held == null) {
              continue;
            }
            followed.instances.remove(id);
          } else {
            if (held == null) {
              type = ChangeType.CHANGE_TYPE_ADDED;
            } else if (type == ChangeType.CHANGE_TYPE_UPDATED
                || type == ChangeType.CHANGE_TYPE_ADDED) {
              type = kindOf(held, change.getInstance());
            }
            followed.instances.put(id, change.getInstance());
          }
          changes.add(type == change.getType() ? change : change.toBuilder().setType(type).build());
        }
      }
      default -> {
        return List.of(); // an event this CLI does not know yet
      }
    }
    followed.revision = message.getRevision();
    followed.incarnation = message.getIncarnation();
    return changes;
  }

  /** The changes that turn {@code before} into {@code after}, at {@code revision}. */
  static List<InstanceChange> difference(
      Map<String, Instance> before, Map<String, Instance> after, long revision) {
    List<InstanceChange> changes = new ArrayList<>();
    before.forEach(
        (id, instance) -> {
          if (!after.containsKey(id)) {
            changes.add(change(ChangeType.CHANGE_TYPE_REMOVED, instance, revision));
          }
        });
    after.forEach(
        (id, instance) -> {
          Instance old = before.get(id);
          if (old == null) {
            changes.add(change(ChangeType.CHANGE_TYPE_ADDED, instance, instance.getRevision()));
          } else if (!old.equals(instance)) {
            changes.add(change(kindOf(old, instance), instance, instance.getRevision()));
          }
        });
    return changes;
  }

  /** STATUS_CHANGED or HEALTH_CHANGED when only that differs, as a node would say; else UPDATED. */
  private static ChangeType kindOf(Instance before, Instance after) {
    Instance withoutRevision = after.toBuilder().clearRevision().build();
    if (before.toBuilder().clearRevision().build().equals(withoutRevision)) {
      return ChangeType.CHANGE_TYPE_UPDATED; // nothing to tell apart but the revision
    }
    if (before.toBuilder()
        .clearRevision()
        .setStatus(after.getStatus())
        .build()
        .equals(withoutRevision)) {
      return ChangeType.CHANGE_TYPE_STATUS_CHANGED;
    }
    Instance healthOnly =
        before.toBuilder()
            .clearRevision()
            .setHealth(after.getHealth())
            .clearConditions()
            .addAllConditions(after.getConditionsList())
            .build();
    return healthOnly.equals(withoutRevision)
        ? ChangeType.CHANGE_TYPE_HEALTH_CHANGED
        : ChangeType.CHANGE_TYPE_UPDATED;
  }

  private static InstanceChange change(ChangeType type, Instance instance, long revision) {
    return InstanceChange.newBuilder()
        .setType(type)
        .setInstance(instance)
        .setRevision(revision)
        .build();
  }
}
