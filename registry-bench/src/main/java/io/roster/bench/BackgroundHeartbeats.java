package io.roster.bench;

import io.roster.v1.KeepAliveResponse;
import io.roster.v1.LeaseState;
import java.io.PrintStream;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps the population's leases alive at the rate a real fleet sends: every lease renewed once per
 * heartbeat interval (a third of its TTL), spread evenly over time, over a fixed set of KeepAlive
 * streams spread over the nodes. 10,000 leases of 10 s make about 3,000 heartbeats a second.
 *
 * <p>Leases are added while they are registered; each is renewed within about one interval after it
 * was added, well inside its TTL. Paused, it sends nothing (the heartbeat phase renews every lease
 * itself, far more often).
 *
 * <p>A stream that ends is counted and opened again on the next node after a second. A heartbeat
 * answered with anything but ACTIVE is a lost lease: counted, never repaired, since repairing it
 * would hide the failure the bench exists to find.
 *
 * <p>The streams, their pacing and reopening are {@link KeepAliveLanes}'; this class decides when
 * to send and what an answer means.
 *
 * <p>Threading: one scheduler thread ({@code bench-background}) sends and owns the lease lists;
 * {@link #add} hands leases over through a concurrent queue; answers are counted on transport
 * threads. Counters may be read from any thread.
 */
final class BackgroundHeartbeats {
  private final RenewalGaps gaps;
  private final long endNanos;
  private final Queue<RegisteredLease> added = new ConcurrentLinkedQueue<>();
  private final KeepAliveLanes<RegisteredLease> lanes;
  private final AtomicLong active = new AtomicLong();
  private final AtomicLong notActive = new AtomicLong();
  private volatile boolean paused;
  private volatile String firstNotActive;
  // The scheduler thread's own.
  private long intervalNanos;

  /**
   * Starts the scheduler; leases come with {@link #add}.
   *
   * @param streams KeepAlive streams, stream i on node i mod the number of nodes
   * @param window heartbeats unanswered per stream, at most
   * @param lifetimeMillis after this it sends no more, whatever happens to the run
   */
  BackgroundHeartbeats(
      Cluster cluster,
      RenewalGaps gaps,
      int streams,
      int window,
      long lifetimeMillis,
      PrintStream err) {
    this.gaps = gaps;
    this.endNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(lifetimeMillis);
    this.lanes =
        new KeepAliveLanes<>(
            "background",
            cluster,
            streams,
            window,
            (lease, stream) -> stream.trySend(lease.leaseId(), lease.epoch(), false),
            this::onAnswer,
            err);
    lanes.start(this::tick);
  }

  /** Renews {@code lease} from now on. Any thread. */
  void add(RegisteredLease lease) {
    added.add(lease);
  }

  /** Stops sending until {@link #resume}. */
  void pause() {
    paused = true;
  }

  void resume() {
    paused = false;
  }

  long active() {
    return active.get();
  }

  /** Answers other than ACTIVE: lost leases. */
  long notActive() {
    return notActive.get();
  }

  /** The first answer other than ACTIVE, for the report; null when there was none. */
  String firstNotActive() {
    return firstNotActive;
  }

  long streamFailures() {
    return lanes.streamFailures();
  }

  /** Stops sending and closes the streams, waiting at most a few seconds for their answers. */
  void close() throws InterruptedException {
    lanes.close();
  }

  private void tick(long now, long elapsed) {
    takeAdded();
    if (paused || now - endNanos >= 0 || lanes.members() == 0) {
      lanes.dropCredit();
      return;
    }
    if (intervalNanos == 0) {
      return;
    }
    lanes.openStreams(now);
    lanes.pace(elapsed, intervalNanos);
  }

  private void takeAdded() {
    RegisteredLease lease;
    int budget = 100_000; // bounded per tick; the rest waits for the next one
    while (budget-- > 0 && (lease = added.poll()) != null) {
      long interval = TimeUnit.MILLISECONDS.toNanos(lease.heartbeatIntervalMillis());
      if (interval > 0 && (intervalNanos == 0 || interval < intervalNanos)) {
        intervalNanos = interval;
      }
      lanes.add(lease);
    }
  }

  private void onAnswer(KeepAliveResponse answer, long receivedNanos) {
    if (answer.getState() == LeaseState.LEASE_STATE_ACTIVE) {
      active.incrementAndGet();
      gaps.renewed(answer.getLeaseId(), receivedNanos);
      return;
    }
    notActive.incrementAndGet();
    if (firstNotActive == null) {
      firstNotActive =
          answer.getState() + " for " + answer.getLeaseId() + ": " + answer.getMessage();
    }
  }
}
