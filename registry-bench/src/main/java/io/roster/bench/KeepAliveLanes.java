package io.roster.bench;

import io.grpc.Status;
import io.roster.v1.KeepAliveResponse;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A fixed set of KeepAlive streams (lanes) spread over the nodes, lane i on node i mod the number
 * of nodes, each renewing its own members once per heartbeat interval, spread evenly over time by a
 * 10 ms tick. What the members are, which of them are due and what an answer means belong to the
 * caller ({@link BackgroundHeartbeats}, {@link ProtectionFleet}); the streams, their pacing,
 * reopening and closing belong here.
 *
 * <p>A stream that ends is counted (when not OK) and opened again on the next node after a second:
 * the node it was on may be gone. A freshly opened stream renews a full round of its members at
 * once, since the time without a stream may have cost a renewal. A lane falls at most one round
 * behind: after a stall it sends one round, never an avalanche.
 *
 * <p>Threading: one scheduler thread runs the caller's {@link Tick}, and every method but {@link
 * #streamFailures} and {@link #close} must be called from it (or before {@link #start}); it owns
 * the lanes. Answers reach the caller's {@link Answers} on transport threads.
 *
 * @param <T> a member: what the caller renews (a lease, an instance's index)
 */
final class KeepAliveLanes<T> {
  private static final long TICK_MILLIS = 10;
  private static final long REOPEN_AFTER_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** Sends a member's regular heartbeat. Scheduler thread. */
  interface Renewal<T> {
    /**
     * Sends {@code member}'s heartbeat on {@code stream} when it is due; false only when the stream
     * refused it (window full: the node is behind), which ends the lane's sending for this tick. A
     * member not due returns true and still spends its turn.
     */
    boolean renew(T member, KeepAliveStream stream);
  }

  /** Hears every lane's answers, on transport threads. */
  interface Answers {
    void onAnswer(KeepAliveResponse answer, long receivedNanos);
  }

  /** The caller's work every tick, on the scheduler thread. */
  interface Tick {
    void run(long nowNanos, long elapsedNanos);
  }

  private final String name;
  private final Cluster cluster;
  private final int window;
  private final Renewal<T> renewal;
  private final Answers answers;
  private final PrintStream err;
  private final List<Lane> lanes = new ArrayList<>();
  private final ScheduledExecutorService scheduler;
  private final AtomicLong streamFailures = new AtomicLong();
  private final AtomicLong tickFailures = new AtomicLong();
  // The fields below belong to the scheduler thread.
  private long lastTickNanos = System.nanoTime();
  private int members;

  /**
   * Makes the lanes; no stream opens before {@link #start} and {@link #openStreams}.
   *
   * @param name for the scheduler thread ({@code bench-<name>}) and messages
   * @param streams lanes, one KeepAlive stream each
   * @param window heartbeats unanswered per stream, at most
   */
  KeepAliveLanes(
      String name,
      Cluster cluster,
      int streams,
      int window,
      Renewal<T> renewal,
      Answers answers,
      PrintStream err) {
    if (streams < 1) {
      throw new IllegalArgumentException("streams is " + streams + ": give at least 1");
    }
    this.name = name;
    this.cluster = cluster;
    this.window = window;
    this.renewal = renewal;
    this.answers = answers;
    this.err = err;
    for (int i = 0; i < streams; i++) {
      lanes.add(new Lane(i % cluster.size()));
    }
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            task -> {
              Thread thread = new Thread(task, "bench-" + name);
              thread.setDaemon(true);
              return thread;
            });
  }

  /** Runs {@code tick} every 10 ms on the scheduler thread until {@link #close}. */
  void start(Tick tick) {
    scheduler.scheduleAtFixedRate(
        () -> tick(tick), TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
  }

  /** Renews {@code member} from now on, in lane (members added before) mod {@link #lanes()}. */
  void add(T member) {
    lanes.get(members % lanes.size()).round.add(member);
    members++;
  }

  /** Members added so far. */
  int members() {
    return members;
  }

  int lanes() {
    return lanes.size();
  }

  /** Lane {@code lane}'s stream, for a heartbeat out of turn; null while it is (re)opening. */
  KeepAliveStream stream(int lane) {
    return lanes.get(lane).stream;
  }

  /** Opens the stream of every lane with members that has none, or whose stream ended. */
  void openStreams(long nowNanos) {
    for (Lane lane : lanes) {
      if (!lane.round.isEmpty()) {
        lane.ensureStream(nowNanos);
      }
    }
  }

  /**
   * Sends the regular heartbeats the time since the last tick is worth: each lane its member count
   * per {@code intervalNanos}, nothing when the interval is not known yet (0).
   */
  void pace(long elapsedNanos, long intervalNanos) {
    if (intervalNanos <= 0) {
      return;
    }
    for (Lane lane : lanes) {
      lane.pace(elapsedNanos, intervalNanos);
    }
  }

  /** Forgets what the lanes were owed: after a pause they start from nothing, not a full round. */
  void dropCredit() {
    for (Lane lane : lanes) {
      lane.round.dropCredit();
    }
  }

  /** Streams that ended with a status other than OK. Any thread. */
  long streamFailures() {
    return streamFailures.get();
  }

  /** Stops the ticks and closes the streams, waiting at most a few seconds for their answers. */
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

  private void tick(Tick tick) {
    try {
      long now = System.nanoTime();
      long elapsed = now - lastTickNanos;
      lastTickNanos = now;
      tick.run(now, elapsed);
    } catch (RuntimeException e) {
      // A failed tick must not end the schedule (an exception would): count it, say it once.
      if (tickFailures.getAndIncrement() == 0) {
        err.println(name + " heartbeats: a tick failed, going on: " + e);
      }
    }
  }

  /** One stream and the members it renews; touched by the scheduler thread only. */
  private final class Lane implements KeepAliveStream.Listener {
    final PacedRound<T> round = new PacedRound<>();
    int node;
    KeepAliveStream stream;
    long reopenAtNanos;

    Lane(int node) {
      this.node = node;
    }

    void ensureStream(long now) {
      if (stream != null && stream.closedWith() == null) {
        return;
      }
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
      round.oweFullRound(); // renew a full round at once: the pause may have cost time
    }

    void pace(long elapsedNanos, long intervalNanos) {
      if (stream == null) {
        return;
      }
      // Each member once per interval; a refusal means the window is full: the node is behind.
      round.pace(elapsedNanos, intervalNanos, member -> renewal.renew(member, stream));
    }

    @Override
    public void onAnswer(KeepAliveStream from, KeepAliveResponse answer, long receivedNanos) {
      answers.onAnswer(answer, receivedNanos);
    }

    @Override
    public void onClosed(KeepAliveStream from, Status status) {
      if (!status.isOk()) {
        streamFailures.incrementAndGet();
      }
    }
  }
}
