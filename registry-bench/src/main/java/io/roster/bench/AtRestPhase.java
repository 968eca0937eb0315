package io.roster.bench;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * What a fleet at rest costs the nodes: with nothing running but the population's background
 * heartbeats (10,000 leases of 10 s: about 3,000 heartbeats a second over {@code
 * --background-streams} streams), the nodes' CPU time over {@code --at-rest-s}, read from /proc
 * before and after. It waits {@value #SETTLE_MILLIS} ms first, so the previous phase's last calls
 * and the collections they caused are over.
 *
 * <p>Reports node CPU-seconds per minute, of all nodes together and of each, the cores that keeps
 * busy, the background heartbeats per second achieved, lost leases and lapsed renewals.
 *
 * <p>Bounded by the settle time and the duration.
 */
final class AtRestPhase implements Phase {
  static final String NAME = "at-rest";

  static final long SETTLE_MILLIS = 3_000;

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
    PhaseResult result = new PhaseResult(NAME);
    if (context.population().isEmpty()) {
      return result
          .put("ops", 0)
          .problem("no lease kept alive: the register phase registered none");
    }
    context.progress().say(NAME + ": letting the previous phase's calls end");
    sleepUntil(context, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SETTLE_MILLIS));
    Progress.Rate background = new Progress.Rate(context.background().active());
    context
        .progress()
        .show(NAME, () -> "background heartbeats only" + context.backgroundLine(background));
    long lostBefore = context.background().notActive();
    long lapsesBefore = context.startGaps();
    long backgroundBefore = context.background().active();
    NodeCpu.Reading cpuBefore = context.startTimed(NAME);
    sleepUntil(context, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.atRestMillis()));
    NodeCpu.Usage cpu = context.endTimed(NAME, cpuBefore);
    long beats = context.background().active() - backgroundBefore;
    context.progress().clear();

    long lost = context.backgroundLost(result, lostBefore);
    double seconds = cpu.wallSeconds();
    double perSecond = beats / seconds;
    double perMinute = cpu.nodeCpuSeconds() / seconds * 60;
    result
        .put("ops", beats)
        .put("seconds", seconds)
        .put("opsPerSec", perSecond)
        .put("leases", context.population().size())
        .put("backgroundStreams", config.backgroundStreams())
        .put("nodeCpuSecondsPerMin", BenchContext.orNull(perMinute));
    List<Double> eachNode = cpu.eachNodeCpuSeconds();
    StringBuilder perNode = new StringBuilder();
    for (int i = 0; i < eachNode.size(); i++) {
      double nodePerMinute = eachNode.get(i) / seconds * 60;
      result.put("node" + (i + 1) + "CpuSecondsPerMin", BenchContext.orNull(nodePerMinute));
      perNode.append(i == 0 ? "" : "/").append(String.format(Locale.ROOT, "%.2f", nodePerMinute));
    }
    result.put("lostLeases", lost);
    BenchContext.putCpu(result, cpu);
    context.putGaps(result, lapsesBefore);
    double cpuPer1k = cpu.nodeCpuSeconds() / (beats / 1_000.0);
    result.put("cpuSecondsPer1kHeartbeatsPerSec", BenchContext.orNull(cpuPer1k));
    result.put("cpuMeasured", context.cpu().measured());
    if (context.cpu().measured() && !Double.isNaN(perMinute)) {
      result.note(
          String.format(
              Locale.ROOT,
              "background only, %,.0f heartbeats/s over %d streams: nodes %.2f CPU-s per minute"
                  + " (%s per node), %.3f cores",
              perSecond,
              config.backgroundStreams(),
              perMinute,
              perNode,
              cpu.nodeCores()));
    } else {
      result.note(
          String.format(
              Locale.ROOT,
              "background only, %,.0f heartbeats/s; CPU not measured (%s)",
              perSecond,
              context.cpu().unmeasuredReason()));
    }
    return result;
  }

  /** Sleeps until {@code endNanos}, or a stop request, looking every 100 ms. */
  private static void sleepUntil(BenchContext context, long endNanos) throws InterruptedException {
    while (!context.stopRequested() && System.nanoTime() - endNanos < 0) {
      TimeUnit.NANOSECONDS.sleep(Math.min(endNanos - System.nanoTime(), 100_000_000L));
    }
  }
}
