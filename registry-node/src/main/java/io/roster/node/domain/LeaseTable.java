package io.roster.node.domain;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The leases of one service's instances, kept apart from the instances themselves so that a
 * heartbeat, which changes nothing a caller can see, writes only here and wakes no follower.
 *
 * <p>The table is also where an eviction starts: the leader declares a lease expired here first,
 * and only if it still is expired at that moment (a renewal may have just arrived), so a lease is
 * never declared expired while its heartbeats arrive. It remembers the highest leader epoch that
 * touched it and refuses evictions from lower ones (a deposed leader's).
 *
 * <p>Not thread-safe: the store serializes calls per service. Time comes in as arguments.
 */
public final class LeaseTable {

  private final Map<String, Lease> leases;
  private long highestLeaderEpoch;

  public LeaseTable() {
    this(Map.of(), 0);
  }

  public LeaseTable(Map<String, Lease> leases, long highestLeaderEpoch) {
    this.leases = new HashMap<>(leases);
    this.highestLeaderEpoch = highestLeaderEpoch;
  }

  public Map<String, Lease> leases() {
    return Collections.unmodifiableMap(leases);
  }

  public Lease get(String instanceId) {
    return leases.get(instanceId);
  }

  public boolean isEmpty() {
    return leases.isEmpty();
  }

  public long highestLeaderEpoch() {
    return highestLeaderEpoch;
  }

  /**
   * Grants the lease of a registration. A grant for an older epoch than the one held is ignored:
   * two registrations racing must leave the newer one's lease. A grant of the epoch held (a retried
   * or late write) never moves its expiry backwards.
   */
  public void grant(String instanceId, long epoch, long ttlMillis, long nowMillis) {
    Lease held = leases.get(instanceId);
    if (held == null || held.epoch() < epoch) {
      leases.put(instanceId, new Lease(epoch, ttlMillis, nowMillis + ttlMillis, false, 0));
    } else if (held.epoch() == epoch && !held.expired()) {
      leases.put(
          instanceId,
          new Lease(
              epoch,
              ttlMillis,
              Math.max(held.expiresAtMillis(), nowMillis + ttlMillis),
              false,
              held.seq()));
    }
  }

  /**
   * Extends a lease to its TTL past {@code nowMillis}, the moment the heartbeat was taken in;
   * {@code epoch} 0 skips the epoch check. Renewing a lease the leader declared expired revives it:
   * the caller must then mark the instance healthy.
   *
   * <p>The expiry never moves backwards. Heartbeats are stamped when their batch is built and the
   * batch can land much later: it waits on a member that hangs, then is retried on the member that
   * took over its partitions, after fresher renewals and after the leader gave every lease a full
   * TTL. Taking such a stamp as "now" would pull the expiry back into the past and have the leader
   * declare an instance expired whose heartbeats all arrived. So a renewal only ever extends: one
   * whose stamp plus TTL is not later than the held expiry changes nothing, and for a declared
   * lease (whose expiry is the declaration time) it does not revive what it cannot keep alive.
   */
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
      return RenewResult.stale(held.epoch());
    }
    long expiresAt = nowMillis + held.ttlMillis();
    if (expiresAt <= held.expiresAtMillis()) {
      return new RenewResult(
          RenewResult.Outcome.RENEWED, held.ttlMillis(), held.epoch(), false, held.seq());
    }
    long seq = held.expired() ? held.seq() + 1 : held.seq();
    leases.put(instanceId, new Lease(held.epoch(), held.ttlMillis(), expiresAt, false, seq));
    return new RenewResult(
        RenewResult.Outcome.RENEWED, held.ttlMillis(), held.epoch(), held.expired(), seq);
  }

  /**
   * Gives an instance that is listed without a lease one that has already run out, so that the
   * leader's sweep treats it like any instance whose heartbeats stopped. That happens when the node
   * that took a registration died between writing the instance and its lease (or a lease was lost
   * otherwise): without it, the instance would be listed as healthy for good. Answers whether it
   * did; a lease of this epoch or a newer one held already wins.
   *
   * @param seq the health sequence the instance record holds, so later health changes order after
   *     it
   */
  public boolean adopt(String instanceId, long epoch, long ttlMillis, long nowMillis, long seq) {
    Lease held = leases.get(instanceId);
    if (held != null && held.epoch() >= epoch) {
      return false;
    }
    leases.put(instanceId, new Lease(epoch, ttlMillis, nowMillis, false, seq));
    return true;
  }

  /** The epoch of each lease held, by instance. */
  public Map<String, Long> epochs() {
    Map<String, Long> epochs = new HashMap<>();
    leases.forEach((id, lease) -> epochs.put(id, lease.epoch()));
    return epochs;
  }

  /** {@link LeaseDigest} of the leases held: each instance with its lease's epoch. */
  public long digest() {
    long sum = 0;
    for (Map.Entry<String, Lease> entry : leases.entrySet()) {
      sum += LeaseDigest.of(entry.getKey(), entry.getValue().epoch());
    }
    return sum;
  }

  /** Ends a lease; a revoke for an older epoch than the one held is ignored. */
  public void revoke(String instanceId, long epoch) {
    Lease held = leases.get(instanceId);
    if (held != null && (epoch == 0 || held.epoch() <= epoch)) {
      leases.remove(instanceId);
    }
  }

  /** Leases past their expiry by more than {@code slackMillis}, declared or not. */
  public List<ExpiredLease> findExpired(ServiceKey service, long nowMillis, long slackMillis) {
    List<ExpiredLease> expired = new ArrayList<>();
    for (Map.Entry<String, Lease> entry : leases.entrySet()) {
      Lease lease = entry.getValue();
      if (lease.expired() || lease.expiresAtMillis() + slackMillis <= nowMillis) {
        expired.add(
            new ExpiredLease(
                new InstanceKey(service.namespace(), service.service(), entry.getKey()),
                lease.epoch(),
                lease.expiresAtMillis(),
                lease.expired(),
                lease.seq()));
      }
    }
    return expired;
  }

  /**
   * Declares a lease expired, if it still is at {@code nowMillis}; answers the new health sequence,
   * or -1 when nothing was declared (renewed meanwhile, gone, another epoch, fenced).
   */
  public long declareExpired(String instanceId, long epoch, long nowMillis, LeaderFence fence) {
    if (!admit(fence, nowMillis)) {
      return -1;
    }
    Lease held = leases.get(instanceId);
    if (held == null || held.epoch() != epoch || !held.expiredAt(nowMillis)) {
      return -1;
    }
    if (held.expired()) {
      return held.seq();
    }
    long seq = held.seq() + 1;
    // From now on the expiry time is the declaration time: the grace before removal counts from
    // when the instance was marked unhealthy, however long the budget held the declaration back.
    leases.put(instanceId, new Lease(held.epoch(), held.ttlMillis(), nowMillis, true, seq));
    return seq;
  }

  /**
   * Removes a lease declared expired at least {@code graceMillis} ago; answers whether it did. The
   * instance itself is removed next, by epoch, so a re-registration in between survives.
   */
  public boolean revokeExpired(
      String instanceId, long epoch, long nowMillis, long graceMillis, LeaderFence fence) {
    if (!admit(fence, nowMillis)) {
      return false;
    }
    Lease held = leases.get(instanceId);
    if (held == null
        || held.epoch() != epoch
        || !held.expired()
        || held.expiresAtMillis() + graceMillis > nowMillis) {
      return false;
    }
    leases.remove(instanceId);
    return true;
  }

  /**
   * Gives every live lease at least a full TTL from now, as a new leader does before its first
   * sweep (and the leader does when a member left): renewals that were lost while the cluster
   * changed must not evict anyone. Leases already declared expired stay so.
   */
  public void extendAll(long nowMillis) {
    leases.replaceAll(
        (id, lease) ->
            lease.expired()
                ? lease
                : new Lease(
                    lease.epoch(),
                    lease.ttlMillis(),
                    Math.max(lease.expiresAtMillis(), nowMillis + lease.ttlMillis()),
                    false,
                    lease.seq()));
  }

  /**
   * Folds in the leases the other side of a healed network partition kept: the newer epoch wins,
   * then the later expiry, so no lease renewed on either side is lost. For the same epoch the
   * health sequence moves past both sides', so a lease one side declared expired and the other kept
   * renewing gets a sequence above the declaration: the next heartbeat then heals the instance
   * record that the declaration marked unhealthy.
   */
  public void mergeFrom(LeaseTable other) {
    for (Map.Entry<String, Lease> entry : other.leases.entrySet()) {
      Lease theirs = entry.getValue();
      Lease ours = leases.get(entry.getKey());
      if (ours == null || theirs.epoch() > ours.epoch()) {
        leases.put(entry.getKey(), theirs);
      } else if (theirs.epoch() == ours.epoch()) {
        Lease later = theirs.expiresAtMillis() > ours.expiresAtMillis() ? theirs : ours;
        long seq = Math.max(ours.seq(), theirs.seq());
        if (!later.expired()
            && (ours.expired() || theirs.expired() || ours.seq() != theirs.seq())) {
          seq++;
        }
        leases.put(
            entry.getKey(),
            new Lease(
                later.epoch(), later.ttlMillis(), later.expiresAtMillis(), later.expired(), seq));
      }
    }
    highestLeaderEpoch = Math.max(highestLeaderEpoch, other.highestLeaderEpoch);
  }

  public Collection<Map.Entry<String, Lease>> entries() {
    return leases.entrySet();
  }

  private boolean admit(LeaderFence fence, long nowMillis) {
    if (fence.leaderEpoch() < highestLeaderEpoch || !fence.validAt(nowMillis)) {
      return false;
    }
    highestLeaderEpoch = fence.leaderEpoch();
    return true;
  }
}
