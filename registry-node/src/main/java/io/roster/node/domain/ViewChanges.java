package io.roster.node.domain;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The visible changes between two views of a service: what a watcher is told. A change nobody can
 * see (a lease's health sequence moving while health stays) is no change.
 */
public final class ViewChanges {

  private ViewChanges() {}

  /**
   * Changes from {@code before} to {@code after}, oldest first, where {@code after} is {@code
   * before.apply(delta)}: only the instances {@code delta} names are compared, so telling the
   * changes of a difference costs O(k log n) for k changes, whatever the service's size n. The
   * answer is the one {@link #between(ServiceView, ServiceView)} gives; a snapshot (or a view not
   * made by this delta) is compared whole.
   */
  public static List<InstanceChange> between(
      ServiceView before, ServiceView after, ServiceDelta delta) {
    if (delta.snapshot()
        || after.revision() != delta.revision()
        || !after.key().equals(delta.key())) {
      return between(before, after);
    }
    // In id order, as a comparison of whole views meets them.
    TreeSet<String> named = new TreeSet<>();
    for (InstanceRecord record : delta.upserts()) {
      named.add(record.instanceId());
    }
    for (Removal removal : delta.removals()) {
      named.add(removal.instanceId());
    }
    List<InstanceChange> changes = new ArrayList<>();
    List<InstanceChange> removed = new ArrayList<>();
    for (String id : named) {
      InstanceRecord then = before.find(id);
      InstanceRecord now = after.find(id);
      if (now != null) {
        InstanceChange.Kind kind = then == null ? InstanceChange.Kind.ADDED : kindOf(then, now);
        if (kind != null) {
          changes.add(new InstanceChange(kind, now, now.revision()));
        }
      } else if (then != null) {
        removed.add(new InstanceChange(InstanceChange.Kind.REMOVED, then, after.revision()));
      }
    }
    changes.addAll(removed);
    changes.sort(Comparator.comparingLong(InstanceChange::revision));
    return changes;
  }

  /**
   * Changes from {@code before} to {@code after}, oldest first, found by comparing every instance:
   * O(n log n), for snapshots.
   */
  public static List<InstanceChange> between(ServiceView before, ServiceView after) {
    List<InstanceChange> changes = new ArrayList<>();
    for (InstanceRecord now : after.instances()) {
      InstanceRecord then = before.find(now.instanceId());
      InstanceChange.Kind kind = then == null ? InstanceChange.Kind.ADDED : kindOf(then, now);
      if (kind != null) {
        changes.add(new InstanceChange(kind, now, now.revision()));
      }
    }
    for (InstanceRecord then : before.instances()) {
      if (after.find(then.instanceId()) == null) {
        changes.add(new InstanceChange(InstanceChange.Kind.REMOVED, then, after.revision()));
      }
    }
    changes.sort(Comparator.comparingLong(InstanceChange::revision));
    return changes;
  }

  /** How {@code then} became {@code now}, or null when nothing visible changed. */
  static InstanceChange.Kind kindOf(InstanceRecord then, InstanceRecord now) {
    boolean registration = then.epoch() != now.epoch() || !then.spec().equals(now.spec());
    boolean status = then.status() != now.status();
    boolean health =
        then.lease().healthy() != now.lease().healthy()
            || !Objects.equals(then.lease().reason(), now.lease().reason());
    if (registration || (status && health)) {
      return InstanceChange.Kind.UPDATED;
    }
    if (status) {
      return InstanceChange.Kind.STATUS_CHANGED;
    }
    if (health) {
      return InstanceChange.Kind.HEALTH_CHANGED;
    }
    return null;
  }
}
