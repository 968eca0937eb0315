package io.roster.bench;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * What consumers that never read cost one that does: the propagation figure (a change through node
 * A, timed to its event on a Watch stream on node C) while the service churns, first alone, then
 * with {@code --slow-watchers} streams on node C that follow the same service and never read.
 *
 * <p>The service holds {@value #PROBES} probes, timed one change at a time as the propagation phase
 * does, and {@value #CHURNED} instances whose status changes {@value #CHURN_PER_SECOND} times a
 * second through node A the whole time ({@link StatusChurn}), so every stream of the service is
 * offered a steady flow of changes. The paused streams have connections of their own; once those
 * connections' flow-control windows are spent, everything the node does for them is work the fast
 * watcher may wait behind. The figure: the fast watcher's p50 and p99 with the paused streams ÷
 * without.
 *
 * <p>Bounded: twice {@code --duration-s} plus the paused streams' opening (at most {@value
 * #PAUSED_OPEN_BOUND_MILLIS} ms); the churn stops by itself at that bound.
 */
final class SlowWatchersPhase implements Phase {
  static final String NAME = "slow-watchers";
  static final String SERVICE = "bench-slow-watchers";
  static final int PROBES = 4;
  static final int CHURNED = 16;
  static final int CHURN_PER_SECOND = 500;
  private static final long PAUSED_OPEN_BOUND_MILLIS = 60_000;

  /**
   * Churn before the second measurement: {@value #CHURN_PER_SECOND} changes/s of about 200 bytes
   * spend a {@value PausedWatchers#WINDOW_BYTES}-byte window in under a second.
   */
  private static final long STALL_SETTLE_MILLIS = 3_000;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public boolean needsPopulation() {
    return true; // as the propagation phase: measured under the fleet's heartbeats
  }

  @Override
  public PhaseResult run(BenchContext context) throws InterruptedException {
    BenchConfig config = context.config();
    PhaseResult result = new PhaseResult(NAME);
    int writer = 0;
    int watcher = context.cluster().size() - 1;
    List<RegisteredLease> probes =
        PropagationPhase.registerProbes(context, writer, SERVICE, "probe-", PROBES);
    List<RegisteredLease> churned =
        PropagationPhase.registerProbes(context, writer, SERVICE, "churned-", CHURNED);
    PropagationPhase.Watcher watch = PropagationPhase.Watcher.follow(context, watcher, SERVICE);
    long duration = config.phaseDurationMillis();
    StatusChurn churn =
        new StatusChurn(
            context,
            writer,
            churned,
            CHURN_PER_SECOND,
            2 * duration + PAUSED_OPEN_BOUND_MILLIS + STALL_SETTLE_MILLIS);
    PropagationPhase.Timing alone = new PropagationPhase.Timing(PROBES);
    PropagationPhase.Timing withPaused = new PropagationPhase.Timing(alone);
    PausedWatchers paused = null;
    long lostBefore = context.background().notActive();
    long lapsesBefore = context.startGaps();
    try {
      if (!watch.snapshot.await(PropagationPhase.SNAPSHOT_BOUND_MILLIS, TimeUnit.MILLISECONDS)) {
        return result
            .put("ops", 0)
            .problem(
                "the Watch stream on "
                    + context.cluster().target(watcher)
                    + " sent no snapshot within "
                    + PropagationPhase.SNAPSHOT_BOUND_MILLIS
                    + " ms"
                    + watch.closedLine());
      }
      churn.start();
      showProgress(context, "alone", alone);
      PropagationPhase.timeChanges(context, writer, probes, watch, duration, alone);
      context.progress().clear();
      context
          .progress()
          .say(
              String.format(
                  "%s: opening %,d Watch streams that never read on %s",
                  NAME, config.slowWatchers(), context.cluster().target(watcher)));
      paused =
          new PausedWatchers(
              context.cluster().target(watcher),
              context.cluster().credentials(),
              config.namespace(),
              SERVICE,
              config.slowWatchers());
      String notOpen = paused.awaitOpen(PAUSED_OPEN_BOUND_MILLIS, context);
      if (notOpen != null) {
        return result.put("ops", alone.changes.get()).problem(notOpen);
      }
      // The churn spends the paused streams' windows within a second; measure once it has.
      context.progress().say(NAME + ": letting the churn fill the paused streams' windows");
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(STALL_SETTLE_MILLIS));
      showProgress(context, "with paused streams", withPaused);
      NodeCpu.Reading pausedCpuBefore = context.startTimed(NAME);
      PropagationPhase.timeChanges(context, writer, probes, watch, duration, withPaused);
      BenchContext.putCpu(result, context.endTimed(NAME, pausedCpuBefore));
      result
          .put("pausedWatchers", (long) paused.size())
          .put("pausedWatchersEnded", (long) paused.ended());
    } finally {
      churn.stop();
      watch.cancel();
      context.progress().clear();
      if (paused != null) {
        paused.close();
      }
    }
    long lost = context.backgroundLost(result, lostBefore);
    double churnPerSecond = churn.answeredPerSecond();
    result
        .put("ops", withPaused.changes.get())
        .put("p50Ms", withPaused.latencies.percentileMillis(50))
        .put("p99Ms", withPaused.latencies.percentileMillis(99))
        .put("p999Ms", withPaused.latencies.percentileMillis(99.9))
        .put("maxMs", withPaused.latencies.maxMillis())
        .put("aloneP50Ms", alone.latencies.percentileMillis(50))
        .put("aloneP99Ms", alone.latencies.percentileMillis(99))
        .put(
            "p99Ratio",
            BenchContext.orNull(
                withPaused.latencies.percentileMillis(99) / alone.latencies.percentileMillis(99)))
        .put("churnAnswered", churn.answered())
        .put("churnFailed", churn.failed())
        .put("churnSkipped", churn.skipped())
        .put("lostLeases", lost)
        .latencies(
            withPaused.latencies,
            "SetStatus on node A → event on node C, with paused Watch streams on node C");
    context.putGaps(result, lapsesBefore);
    result.note(
        String.format(
            Locale.ROOT,
            "a fast watcher on %s, alone: p50 %s ms, p99 %s ms; with %,d paused Watch streams"
                + " on the same service: p50 %s ms, p99 %s ms; the service churned at %,.0f"
                + " changes/s (%,d skipped ticks, %,d failed); CPU column: the second half",
            context.cluster().target(watcher),
            Json.number(alone.latencies.percentileMillis(50)),
            Json.number(alone.latencies.percentileMillis(99)),
            config.slowWatchers(),
            Json.number(withPaused.latencies.percentileMillis(50)),
            Json.number(withPaused.latencies.percentileMillis(99)),
            churnPerSecond,
            churn.skipped(),
            churn.failed()));
    alone.reportProblems(result);
    withPaused.reportProblems(result);
    if (churn.failed() > 0) {
      result.problem(churn.failed() + " churn SetStatus calls failed");
    }
    if (paused != null && paused.ended() > 0) {
      result.problem(paused.ended() + " paused Watch streams were ended by the node");
    }
    if (watch.closed.get() != null) {
      result.problem("the fast Watch stream ended early" + watch.closedLine());
    }
    return result;
  }

  private static void showProgress(
      BenchContext context, String stage, PropagationPhase.Timing timing) {
    context
        .progress()
        .show(
            NAME,
            () ->
                String.format(
                    "%s: %,d changes, p50 %.2f ms, p99 %.2f ms",
                    stage,
                    timing.changes.get(),
                    timing.latencies.percentileMillis(50),
                    timing.latencies.percentileMillis(99)));
  }
}
