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
    track(lease.leaseId(), lease.ttlMillis(), grantedNanos);
  }

  /**
   * Starts tracking lease {@code leaseId} of {@code ttlMillis}, granted at {@code grantedNanos}.
   */
  void track(String leaseId, long ttlMillis, long grantedNanos) {
    leases.put(
        leaseId,
        new Tracker(new AtomicLong(grantedNanos), TimeUnit.MILLISECONDS.toNanos(ttlMillis)));
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

  /**
   * Opens a period of accounting (a phase): forgets the longest gap so far and returns the lapses
   * so far, to give {@link #report} at the period's end.
   */
  long startPeriod() {
    takeMaxGapMillis();
    return lapses();
  }

  /**
   * Adds the renewal figures of the period since {@link #startPeriod} returned {@code lapsesBefore}
   * to {@code result} ({@code lapsedRenewals}, {@code maxRenewalGapMs}), and a problem when a lease
   * went more than a TTL without renewal.
   */
  void report(PhaseResult result, long lapsesBefore) {
    long lapsed = lapses() - lapsesBefore;
    double maxGap = takeMaxGapMillis();
    result.put("lapsedRenewals", lapsed);
    result.put("maxRenewalGapMs", maxGap == 0 ? null : maxGap);
    if (lapsed > 0) {
      result.problem(
          lapsed
              + " renewals came more than a TTL after the previous one (longest gap "
              + Json.number(maxGap)
              + " ms): those leases may have expired and been marked unhealthy although the"
              + " bench kept heartbeating");
    }
  }

  /** The longest gap since the previous call, in ms, and starts a new period. */
  double takeMaxGapMillis() {
    return maxGapNanos.getAndSet(0) / 1e6;
  }
}
