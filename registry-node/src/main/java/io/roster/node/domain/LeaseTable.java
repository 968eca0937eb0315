package io.roster.node.domain;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * The leases of one service's instances, kept apart from the instances themselves so that a
 * heartbeat, which changes nothing a caller can see, writes only here and wakes no follower.
 *
 * <p>Not thread-safe: the store serializes calls per service. Time comes in as arguments.
 */
public final class LeaseTable {

  private final Map<String, Lease> leases;

  public LeaseTable() {
    this(Map.of());
  }

  public LeaseTable(Map<String, Lease> leases) {
    this.leases = new HashMap<>(leases);
  }

  public Map<String, Lease> leases() {
    return leases;
  }

  public Lease get(String instanceId) {
    return leases.get(instanceId);
  }

  public boolean isEmpty() {
    return leases.isEmpty();
  }

  /**
   * Grants the lease of a registration. A grant for an older epoch than the one held is ignored:
   * two registrations racing must leave the newer one's lease.
   */
  public void grant(String instanceId, long epoch, long ttlMillis, long nowMillis) {
    Lease held = leases.get(instanceId);
    if (held == null || held.epoch() <= epoch) {
      leases.put(instanceId, new Lease(epoch, ttlMillis, nowMillis + ttlMillis));
    }
  }

  /** Extends a lease by its TTL from now; {@code epoch} 0 skips the epoch check. */
  public RenewResult renew(String instanceId, long epoch, long nowMillis) {
    Lease held = leases.get(instanceId);
    if (held == null) {
      return RenewResult.notFound();
    }
    if (epoch > held.epoch()) {
      // A registration newer than the lease held: its grant never landed (the node that took the
      // registration died between the two writes). Registering again repairs it.
      return RenewResult.notFound();
    }
    if (epoch != 0 && epoch < held.epoch()) {
      return new RenewResult(RenewResult.Outcome.STALE_EPOCH, 0, held.epoch());
    }
    leases.put(instanceId, new Lease(held.epoch(), held.ttlMillis(), nowMillis + held.ttlMillis()));
    return new RenewResult(RenewResult.Outcome.RENEWED, held.ttlMillis(), held.epoch());
  }

  /** Ends a lease; a revoke for an older epoch than the one held is ignored. */
  public void revoke(String instanceId, long epoch) {
    Lease held = leases.get(instanceId);
    if (held != null && (epoch == 0 || held.epoch() <= epoch)) {
      leases.remove(instanceId);
    }
  }

  public Collection<Map.Entry<String, Lease>> entries() {
    return leases.entrySet();
  }
}
