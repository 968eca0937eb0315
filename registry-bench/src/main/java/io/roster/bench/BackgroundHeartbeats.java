package io.roster.bench;

import io.grpc.Status;
import io.roster.v1.KeepAliveResponse;
import io.roster.v1.LeaseState;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
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
 * <p>Threading: one scheduler thread ({@code bench-background}) sends and owns the lease lists;
 * {@link #add} hands leases over through a concurrent queue; answers are counted on transport
 * threads. Counters may be read from any thread.
 */
final class BackgroundHeartbeats {
  private static final long TICK_MILLIS = 10;
  private static final long REOPEN_AFTER_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final Cluster cluster;
  private final RenewalGaps gaps;
  private final int window;
  private final long endNanos;
  private final PrintStream err;
  private final Queue<RegisteredLease> added = new ConcurrentLinkedQueue<>();
  private final List<Lane> lanes = new ArrayList<>();
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(
          task -> {
            Thread thread = new Thread(task, "bench-background");
            thread.setDaemon(true);
            return thread;
          });
  private final AtomicLong active = new AtomicLong();
  private final AtomicLong notActive = new AtomicLong();
  private final AtomicLong streamFailures = new AtomicLong();
  private final AtomicLong tickFailures = new AtomicLong();
  private volatile boolean paused;
  private volatile String firstNotActive;
  // The fields below belong to the scheduler thread.
  private long intervalNanos;
  private long lastTickNanos = System.nanoTime();
  private int leases;

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
    this.cluster = cluster;
    this.gaps = gaps;
    this.window = window;
    this.err = err;
    this.endNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(lifetimeMillis);
    for (int i = 0; i < streams; i++) {
      lanes.add(new Lane(i % cluster.size()));
    }
    scheduler.scheduleAtFixedRate(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
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
    return streamFailures.get();
  }

  /** Stops sending and closes the streams, waiting at most a few seconds for their answers. */
  void close() throws InterruptedException {
    scheduler.shutdownNow();
    scheduler.awaitTermination(2, TimeUnit.SECONDS);
    for (Lane lane : lanes) {
      if (lane.stream != null) {
        lane.stream.halfClose();
      }
    }
    for (Lane lane : lanes) {
      if (lane.stream != null && !lane.stream.awaitClosed(2_000)) {
        lane.stream.cancel();
      }
    }
  }

  private void tick() {
    try {
      long now = System.nanoTime();
      long elapsed = now - lastTickNanos;
      lastTickNanos = now;
      takeAdded();
      if (paused || now - endNanos >= 0 || leases == 0) {
        for (Lane lane : lanes) {
          lane.credit = 0;
        }
        return;
      }
      for (Lane lane : lanes) {
        lane.send(now, elapsed);
      }
    } catch (RuntimeException e) {
      // A failed tick must not end the schedule (an exception would): count it, say it once.
      if (tickFailures.getAndIncrement() == 0) {
        err.println("background heartbeats: a tick failed, going on: " + e);
      }
    }
  }

  private void takeAdded() {
    RegisteredLease lease;
    int budget = 100_000; // bounded per tick; the rest waits for the next one
    while (budget-- > 0 && (lease = added.poll()) != null) {
      long interval = TimeUnit.MILLISECONDS.toNanos(lease.heartbeatIntervalMillis());
      if (interval > 0 && (intervalNanos == 0 || interval < intervalNanos)) {
        intervalNanos = interval;
      }
      lanes.get(leases % lanes.size()).leases.add(lease);
      leases++;
    }
  }

  /** One stream and the leases it renews; touched by the scheduler thread only. */
  private final class Lane implements KeepAliveStream.Listener {
    final List<RegisteredLease> leases = new ArrayList<>();
    int node;
    KeepAliveStream stream;
    long reopenAtNanos;
    int cursor;
    double credit;

    Lane(int node) {
      this.node = node;
    }

    void send(long now, long elapsedNanos) {
      if (leases.isEmpty() || intervalNanos == 0) {
        return;
      }
      if (stream == null || stream.closedWith() != null) {
        if (stream != null) {
          stream = null;
          node = (node + 1) % cluster.size(); // that node may be gone: try the next
          reopenAtNanos = now + REOPEN_AFTER_NANOS;
        }
        if (now - reopenAtNanos < 0) {
          return;
        }
        stream =
            new KeepAliveStream(
                cluster.channel(node), cluster.target(node).authority(), window, this);
        credit = leases.size(); // renew a full round at once: the pause may have cost time
      }
      // Each lease once per interval: the lane's rate is its lease count per interval.
      credit += (double) leases.size() * elapsedNanos / intervalNanos;
      credit = Math.min(credit, leases.size()); // at most one round behind, never an avalanche
      int sends = (int) credit;
      for (int i = 0; i < sends; i++) {
        RegisteredLease lease = leases.get(cursor);
        if (!stream.trySend(lease.leaseId(), lease.epoch(), false)) {
          break; // window full: the node is behind; the credit waits for the next tick
        }
        cursor = (cursor + 1) % leases.size();
        credit -= 1;
      }
    }

    @Override
    public void onAnswer(KeepAliveStream from, KeepAliveResponse answer, long receivedNanos) {
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

    @Override
    public void onClosed(KeepAliveStream from, Status status) {
      if (!status.isOk()) {
        streamFailures.incrementAndGet();
      }
    }
  }
}
