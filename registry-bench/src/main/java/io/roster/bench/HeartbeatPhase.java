package io.roster.bench;

import io.grpc.Status;
import io.roster.v1.KeepAliveResponse;
import io.roster.v1.LeaseState;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Renews every lease of the population as fast as the cluster answers: {@code --streams} KeepAlive
 * streams spread over the nodes, each carrying its share of the leases in turn and sending whenever
 * flow control is ready and fewer than {@code --window} of its heartbeats are unanswered, for
 * {@code --duration-s}.
 *
 * <p>Reports the sustained rate of ACTIVE answers, every answer that was not ACTIVE (a lease lost:
 * must be 0), and what the load cost the nodes in CPU, read from /proc before and after. The
 * background heartbeats pause meanwhile: this phase renews each lease far more often than they
 * would.
 *
 * <p>This is the phase with {@code --calls pipelined}; with {@code closed-loop}, {@link
 * ClosedLoopHeartbeats} sends unary calls instead.
 *
 * <p>Bounded by the duration plus a drain of at most {@link #DRAIN_MILLIS} and a close of at most
 * as long; each stream also stops after {@link #MAX_SENDS_PER_STREAM_PER_SECOND} per second of the
 * phase.
 */
final class HeartbeatPhase implements Phase {
  static final String NAME = "heartbeat";

  private static final long DRAIN_MILLIS = 5_000;
  private static final long MAX_SENDS_PER_STREAM_PER_SECOND = 1_000_000;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public boolean needsPopulation() {
    return true;
  }

  @Override
  public PhaseResult run(BenchContext context) throws InterruptedException {
    BenchConfig config = context.config();
    List<RegisteredLease> population = context.population();
    PhaseResult result = new PhaseResult(NAME);
    if (population.isEmpty()) {
      return result.put("ops", 0).problem("no lease to renew: the register phase registered none");
    }
    if (config.calls() == CallMode.CLOSED_LOOP) {
      return ClosedLoopHeartbeats.run(context, result);
    }
    int streamCount = Math.min(config.keepAliveStreams(), population.size());
    long maxSends =
        MAX_SENDS_PER_STREAM_PER_SECOND
            * TimeUnit.MILLISECONDS.toSeconds(config.phaseDurationMillis());
    AtomicLong activeInWindow = new AtomicLong();
    AtomicReference<String> firstNotActive = new AtomicReference<>();

    long lapsesBefore = context.startGaps();
    context.background().pause();
    long lostBefore = context.background().notActive();
    List<Flood> floods = new ArrayList<>();
    for (int s = 0; s < streamCount; s++) {
      List<RegisteredLease> share = new ArrayList<>();
      for (int i = s; i < population.size(); i += streamCount) {
        share.add(population.get(i));
      }
      floods.add(new Flood(share, maxSends, activeInWindow, firstNotActive, context.gaps()));
    }
    Progress.Rate rate = new Progress.Rate();
    context
        .progress()
        .show(
            NAME,
            () -> {
              long active = floods.stream().mapToLong(f -> f.stream.active()).sum();
              return String.format(
                  "%,.0f heartbeats/s ACTIVE, total %,d, not ACTIVE %d, unanswered %,d, streams"
                      + " ended %d",
                  rate.perSecond(active),
                  active,
                  floods.stream().mapToLong(f -> f.stream.notActive()).sum(),
                  floods.stream().mapToLong(f -> f.stream.unanswered()).sum(),
                  floods.stream().filter(f -> f.stream.closedWith() != null).count());
            });

    NodeCpu.Reading cpuBefore = context.startTimed(NAME);
    long startNanos = System.nanoTime();
    for (int s = 0; s < floods.size(); s++) {
      int node = s % context.cluster().size();
      floods
          .get(s)
          .open(
              new KeepAliveStream(
                  context.cluster().channel(node),
                  context.cluster().target(node).authority(),
                  config.unansweredPerStream(),
                  floods.get(s)));
    }
    long endNanos = startNanos + TimeUnit.MILLISECONDS.toNanos(config.phaseDurationMillis());
    while (!context.stopRequested() && System.nanoTime() - endNanos < 0) {
      TimeUnit.NANOSECONDS.sleep(Math.min(endNanos - System.nanoTime(), 100_000_000L));
    }
    for (Flood flood : floods) {
      flood.stopSending();
    }
    long windowNanos = System.nanoTime() - startNanos;
    long active = activeInWindow.get();
    NodeCpu.Usage cpu = context.endTimed(NAME, cpuBefore);

    // Drain: every heartbeat sent is answered (or counted as unanswered), then the streams close.
    long drainEnd = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DRAIN_MILLIS);
    while (System.nanoTime() - drainEnd < 0
        && floods.stream()
            .anyMatch(f -> f.stream.unanswered() > 0 && f.stream.closedWith() == null)) {
      TimeUnit.MILLISECONDS.sleep(10);
    }
    long unanswered = 0;
    for (Flood flood : floods) {
      unanswered += flood.stream.unanswered();
      flood.stream.halfClose();
    }
    long streamsFailed = 0;
    for (Flood flood : floods) {
      if (!flood.stream.awaitClosed(DRAIN_MILLIS)) {
        flood.stream.cancel();
      }
      Status status = flood.stream.closedWith();
      if (status != null && !status.isOk()) {
        streamsFailed++;
      }
    }
    context.background().resume();
    context.progress().clear();

    long notActive = floods.stream().mapToLong(f -> f.stream.notActive()).sum();
    long lostBackground = context.background().notActive() - lostBefore;
    double seconds = windowNanos / 1e9;
    double perSecond = active / seconds;
    result
        .put("ops", active)
        .put("seconds", seconds)
        .put("opsPerSec", perSecond)
        .put("calls", config.calls().label())
        .put("leases", population.size())
        .put("streams", floods.size())
        .put("window", config.unansweredPerStream())
        .put("sent", floods.stream().mapToLong(f -> f.stream.sent()).sum())
        .put("notActive", notActive)
        .put("unanswered", unanswered)
        .put("streamsFailed", streamsFailed)
        .put("lostLeases", notActive + lostBackground);
    BenchContext.putCpu(result, cpu);
    context.putGaps(result, lapsesBefore);
    double cpuPer1k = cpu.nodeCpuSeconds() / (active / 1_000.0);
    result.put("nodeCpuSeconds", BenchContext.orNull(cpu.nodeCpuSeconds()));
    result.put("cpuSecondsPer1kHeartbeatsPerSec", BenchContext.orNull(cpuPer1k));
    result.put("cpuMeasured", context.cpu().measured());
    if (context.cpu().measured() && !Double.isNaN(cpuPer1k)) {
      result.note(
          String.format(
              "%d streams, window %d; nodes used %.2f cores: %.3f CPU-s per 1,000 heartbeats/s",
              floods.size(), config.unansweredPerStream(), cpu.nodeCores(), cpuPer1k));
    } else {
      result.note(
          floods.size() + " streams; CPU not measured (" + context.cpu().unmeasuredReason() + ")");
    }
    if (notActive > 0) {
      result.problem(
          notActive
              + " heartbeats answered other than ACTIVE: leases lost ("
              + firstNotActive.get()
              + ")");
    }
    if (lostBackground > 0) {
      result.problem(lostBackground + " background heartbeats answered other than ACTIVE");
    }
    if (streamsFailed > 0) {
      result.problem(streamsFailed + " KeepAlive streams ended with an error");
    }
    if (unanswered > 0) {
      result.problem(unanswered + " heartbeats unanswered " + DRAIN_MILLIS + " ms after the end");
    }
    return result;
  }

  /**
   * One stream's share of the leases, sent round robin whenever the stream has room. Its state is
   * touched under its own lock: sends come from the stream's callbacks.
   */
  private static final class Flood implements KeepAliveStream.Listener {
    private final List<RegisteredLease> leases;
    private final long maxSends;
    private final AtomicLong activeInWindow;
    private final AtomicReference<String> firstNotActive;
    private final RenewalGaps gaps;
    private volatile boolean sending = true;
    private volatile KeepAliveStream stream; // set once by open()
    // Guarded by this.
    private int cursor;
    // Guarded by this.
    private long sends;

    Flood(
        List<RegisteredLease> leases,
        long maxSends,
        AtomicLong activeInWindow,
        AtomicReference<String> firstNotActive,
        RenewalGaps gaps) {
      this.leases = leases;
      this.gaps = gaps;
      this.maxSends = maxSends;
      this.activeInWindow = activeInWindow;
      this.firstNotActive = firstNotActive;
    }

    void open(KeepAliveStream opened) {
      synchronized (this) {
        stream = opened;
      }
      onCapacity(opened);
    }

    void stopSending() {
      sending = false;
    }

    @Override
    public void onCapacity(KeepAliveStream from) {
      synchronized (this) {
        if (stream == null) {
          return; // the ready signal came before open() stored the stream: open() pumps
        }
        // Bounded: by the window, by flow control, and by the send cap.
        while (sending && sends < maxSends) {
          RegisteredLease lease = leases.get(cursor);
          if (!stream.trySend(lease.leaseId(), lease.epoch(), true)) {
            return;
          }
          cursor = (cursor + 1) % leases.size();
          sends++;
        }
      }
    }

    @Override
    public void onAnswer(KeepAliveStream from, KeepAliveResponse answer, long receivedNanos) {
      if (answer.getState() == LeaseState.LEASE_STATE_ACTIVE) {
        gaps.renewed(answer.getLeaseId(), receivedNanos);
        if (sending) {
          activeInWindow.incrementAndGet();
        }
      } else {
        firstNotActive.compareAndSet(
            null, answer.getState() + " for " + answer.getLeaseId() + ": " + answer.getMessage());
      }
    }
  }
}
