package io.roster.bench;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How long each lease of the population went between two renewals, as the bench sees it: the time
 * between two ACTIVE answers for it (or between its registration and its first renewal).
 *
 * <p>A gap longer than the lease's TTL means the lease may have expired meanwhile, and the leader
 * may have marked the instance unhealthy, although the bench kept heartbeating: the next heartbeat
 * revives such a lease and is answered ACTIVE, so counting answers other than ACTIVE would not see
 * it. It happens when the nodes answer heartbeats too late (the bench sends each lease's heartbeat
 * every TTL/3, and holds back when a stream has its window of unanswered heartbeats).
 *
 * <p>Thread-safe: answers arrive on transport threads; a lease is answered on one stream at a time,
 * and the update is atomic anyway.
 */
final class RenewalGaps {
  private final Map<String, Tracker> leases = new ConcurrentHashMap<>();
  private final AtomicLong lapses = new AtomicLong();
  private final AtomicLong maxGapNanos = new AtomicLong();

  private record Tracker(AtomicLong lastNanos, long ttlNanos) {}

  /** Starts tracking a lease granted (answered) at {@code grantedNanos}. */
  void track(RegisteredLease lease, long grantedNanos) {
    leases.put(
        lease.leaseId(),
        new Tracker(
            new AtomicLong(grantedNanos), TimeUnit.MILLISECONDS.toNanos(lease.ttlMillis())));
  }

  /** An ACTIVE answer for {@code leaseId} arrived at {@code nanos}; unknown leases are ignored. */
  void renewed(String leaseId, long nanos) {
    Tracker tracker = leases.get(leaseId);
    if (tracker == null) {
      return;
    }
    long gap = nanos - tracker.lastNanos().getAndSet(nanos);
    if (gap > tracker.ttlNanos()) {
      lapses.incrementAndGet();
    }
    maxGapNanos.accumulateAndGet(gap, Math::max);
  }

  /** Renewals that came more than a TTL after the previous one, since the start. */
  long lapses() {
    return lapses.get();
  }

  /** The longest gap since the previous call, in ms, and starts a new period. */
  double takeMaxGapMillis() {
    return maxGapNanos.getAndSet(0) / 1e6;
  }
}
