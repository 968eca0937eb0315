package io.roster.node.domain;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One change of one instance as an operator reads it: what happened, to which instance, when. A
 * watcher's {@link InstanceChange} says which fields moved; this says why it matters (drained,
 * declared expired, revived...).
 *
 * @param kind what happened
 * @param instanceId the instance
 * @param revision the service's revision at which it happened
 * @param atMillis when, in cluster-clock milliseconds: the registry's own time where the record
 *     carries one (registration, health transition), else when this node saw the change
 * @param detail a short human-readable addition ("UP → OUT_OF_SERVICE", the lease's message)
 */
public record InstanceEvent(
    Kind kind, String instanceId, long revision, long atMillis, String detail) {

  /** What happened to the instance. */
  public enum Kind {
    /** Registered, for the first time or again (a new epoch). */
    REGISTERED,
    /** Set to DRAINING: listed, but callers send it no new work. */
    DRAINED,
    /** Set to UP or OUT_OF_SERVICE. */
    STATUS_CHANGED,
    /** The leader declared its lease expired: heartbeats stopped; it is listed as unhealthy. */
    DECLARED_EXPIRED,
    /** Heartbeats resumed within the grace: healthy again. */
    REVIVED,
    /** Deregistered, or evicted after the grace. */
    REMOVED
  }

  /**
   * The events from {@code before} to {@code after} ({@code before.apply(delta)}), oldest first.
   * One visible change may be two events (its status and its health both moved); a new registration
   * is one, whatever else it changed.
   *
   * @param nowMillis when this node sees the change: the time of events the records carry none for
   */
  public static List<InstanceEvent> between(
      ServiceView before, ServiceView after, ServiceDelta delta, long nowMillis) {
    // A comparison of views knows only that an instance is gone; the delta knows when.
    Map<String, Long> removedAt = new HashMap<>();
    if (!delta.snapshot()) {
      for (Removal removal : delta.removals()) {
        removedAt.put(removal.instanceId(), removal.revision());
      }
    }
    List<InstanceEvent> events = new ArrayList<>();
    for (InstanceChange change : ViewChanges.between(before, after, delta)) {
      InstanceRecord now = change.record();
      String id = now.instanceId();
      long revision = change.revision();
      if (change.kind() == InstanceChange.Kind.REMOVED) {
        revision = removedAt.getOrDefault(id, revision);
        events.add(
            new InstanceEvent(
                Kind.REMOVED,
                id,
                revision,
                nowMillis,
                now.healthy() ? "deregistered" : "removed after its lease expired"));
        continue;
      }
      InstanceRecord then = before.find(id);
      if (then == null || then.epoch() != now.epoch()) {
        events.add(
            new InstanceEvent(
                Kind.REGISTERED,
                id,
                revision,
                now.registeredAtMillis(),
                (then == null ? "" : "again, ")
                    + "epoch "
                    + now.epoch()
                    + ", "
                    + now.spec().host()
                    + ":"
                    + now.spec().port()));
        continue;
      }
      if (then.status() != now.status()) {
        events.add(
            new InstanceEvent(
                now.status() == InstanceStatus.DRAINING ? Kind.DRAINED : Kind.STATUS_CHANGED,
                id,
                revision,
                nowMillis,
                then.status() + " → " + now.status()));
      }
      if (then.healthy() != now.healthy()) {
        events.add(
            new InstanceEvent(
                now.healthy() ? Kind.REVIVED : Kind.DECLARED_EXPIRED,
                id,
                revision,
                now.lease().sinceMillis(),
                now.lease().message()));
      }
    }
    events.sort(Comparator.comparingLong(InstanceEvent::revision)); // stable: in-change order stays
    return events;
  }
}
