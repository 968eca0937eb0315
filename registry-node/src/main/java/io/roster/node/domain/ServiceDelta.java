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
 */
public record ServiceDelta(
    ServiceKey key,
    long revision,
    boolean snapshot,
    List<InstanceRecord> upserts,
    List<Removal> removals) {

  public ServiceDelta {
    upserts = List.copyOf(upserts);
    removals = List.copyOf(removals);
  }

  public boolean isEmpty() {
    return !snapshot && upserts.isEmpty() && removals.isEmpty();
  }
}
