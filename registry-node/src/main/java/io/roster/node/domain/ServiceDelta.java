package io.roster.node.domain;

import java.util.List;

/**
 * What changed in one service after some revision, or a full snapshot of it.
 *
 * @param key the service
 * @param revision the service's revision once the delta is applied
 * @param snapshot true when {@code upserts} holds every instance and the receiver must drop what it
 *     held (a full view, not a difference)
 * @param upserts instances added or changed (all instances when {@code snapshot}), by revision
 * @param removals instances removed, by revision; empty when {@code snapshot}
 * @param committedAtMillis when the service's newest change was committed, on the cluster clock
 *     ({@link ServiceState#committedAtMillis}); 0 when not known
 */
public record ServiceDelta(
    ServiceKey key,
    long revision,
    boolean snapshot,
    List<InstanceRecord> upserts,
    List<Removal> removals,
    long committedAtMillis) {

  public ServiceDelta {
    upserts = List.copyOf(upserts);
    removals = List.copyOf(removals);
  }

  /** A delta whose commit time is not known. */
  public ServiceDelta(
      ServiceKey key,
      long revision,
      boolean snapshot,
      List<InstanceRecord> upserts,
      List<Removal> removals) {
    this(key, revision, snapshot, upserts, removals, 0);
  }

  public boolean isEmpty() {
    return !snapshot && upserts.isEmpty() && removals.isEmpty();
  }
}
