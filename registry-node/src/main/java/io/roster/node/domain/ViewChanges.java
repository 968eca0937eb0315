package io.roster.node.domain;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * The visible changes between two views of a service: what a watcher is told. A change nobody can
 * see (a lease's health sequence moving while health stays) is no change.
 */
public final class ViewChanges {

  private ViewChanges() {}

  /** Changes from {@code before} to {@code after}, oldest first. */
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
