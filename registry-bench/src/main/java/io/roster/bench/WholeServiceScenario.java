package io.roster.bench;

import io.roster.v1.ClusterStatusResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Scenario 1 of the protection phase, a whole service dies: its instances send a last heartbeat
 * together and stop; it times each from that heartbeat to the Watch listing it unhealthy. Main
 * thread only.
 */
final class WholeServiceScenario {
  private final ScenarioDeclarations scenario;
  private final int instances;
  private final long ttlMillis;
  private final long observeMillis;
  private final double[] detections;
  private final int unconfirmed;
  private final int stillHealthyAtTtlPlus1s;
  private final int stillHealthyAtEnd;
  private final ProtectionFigures.Regime regime;
  private final long falsePositives;

  private WholeServiceScenario(
      ScenarioDeclarations scenario,
      ProtectionFleet fleet,
      int[] dead,
      long ttlMillis,
      long observeMillis,
      ClusterStatusResponse before,
      long falsePositives) {
    this.scenario = scenario;
    this.falsePositives = falsePositives;
    this.instances = dead.length;
    this.ttlMillis = ttlMillis;
    this.observeMillis = observeMillis;
    long[] seen = scenario.firstSeenNanos();
    long[] atTtlPlus1s = new long[dead.length];
    long[] atEnd = new long[dead.length];
    List<Double> times = new ArrayList<>();
    int notConfirmed = 0;
    long stop = Long.MIN_VALUE;
    for (int i = 0; i < dead.length; i++) {
      long last = fleet.lastBeatNanos(dead[i]);
      if (ProtectionFleet.isSet(last)) {
        stop = stop == Long.MIN_VALUE ? last : Math.max(stop, last);
      }
    }
    for (int i = 0; i < dead.length; i++) {
      long last = fleet.lastBeatNanos(dead[i]);
      long from = ProtectionFleet.isSet(last) ? last : stop;
      atTtlPlus1s[i] = from + TimeUnit.MILLISECONDS.toNanos(ttlMillis + 1_000);
      atEnd[i] = from + TimeUnit.MILLISECONDS.toNanos(observeMillis);
      if (!fleet.lastBeatConfirmed(dead[i])) {
        notConfirmed++;
      } else if (seen[i] != Long.MIN_VALUE) {
        times.add((seen[i] - last) / 1e6);
      }
    }
    this.unconfirmed = notConfirmed;
    this.detections = times.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    this.stillHealthyAtTtlPlus1s = ProtectionFigures.stillHealthyAt(seen, atTtlPlus1s);
    this.stillHealthyAtEnd = ProtectionFigures.stillHealthyAt(seen, atEnd);
    this.regime =
        before == null
            ? null
            : ProtectionFigures.regime(
                1,
                before.getCounts().getServices(),
                dead.length,
                before.getCounts().getInstances());
  }

  /** Runs scenario 1: the service's instances send a last heartbeat together and stop. */
  static WholeServiceScenario observe(ProtectionRun run, int[] dead, long ttlMillis)
      throws InterruptedException {
    ProtectionConfig sizes = run.context.config().protection();
    ClusterStatusResponse before = run.status();
    ScenarioDeclarations scenario = new ScenarioDeclarations(dead);
    run.absorb(null);
    long falseBefore = run.falsePositives;
    run.mark(dead, true);
    run.fleet.silence(dead);
    long stopNanos = System.nanoTime();
    long endNanos = stopNanos + TimeUnit.MILLISECONDS.toNanos(sizes.observeMillis() + 500);
    run.show(
        () ->
            String.format(
                "s1 whole service dies: %d/%d listed unhealthy, false positives %d",
                scenario.declaredCount(), dead.length, run.falsePositives));
    run.waitUntil(endNanos, () -> scenario.declaredCount() == dead.length, scenario);
    run.absorb(scenario);
    // The dead stay marked silent: they never heartbeat again, and are deregistered next.
    return new WholeServiceScenario(
        scenario,
        run.fleet,
        dead,
        ttlMillis,
        sizes.observeMillis(),
        before,
        run.falsePositives - falseBefore);
  }

  int declared() {
    return scenario.declaredCount();
  }

  double[] detectionMillis() {
    return detections;
  }

  double percentile(double p) {
    return FailureDetectionPhase.percentile(detections, p);
  }

  int stillHealthyAtTtlPlus1s() {
    return stillHealthyAtTtlPlus1s;
  }

  void report(PhaseResult result, ProtectionConfig sizes, StringBuilder details) {
    long observeSeconds = observeMillis / 1_000;
    result
        .put("s1Instances", instances)
        .put("s1Rule", regime == null ? null : regime.name())
        .put("s1Declared", declared())
        .put("s1P50Ms", percentile(50))
        .put("s1P99Ms", percentile(99))
        .put("s1MaxMs", percentile(100))
        .put("s1MinMs", percentile(0))
        .put("s1StillHealthyAtTtlPlus1s", stillHealthyAtTtlPlus1s)
        .put("s1StillHealthyAt" + observeSeconds + "s", stillHealthyAtEnd)
        .put("s1Unconfirmed", unconfirmed)
        .put("s1FalsePositives", falsePositives);
    details.append(
        String.format(
            Locale.ROOT,
            "%n### 1. A whole service dies%n%n"
                + "%d instances of `%s` sent a last heartbeat together and stopped, while %,d"
                + " instances over %d services heartbeated (TTL %,d ms). Expected by the rule:"
                + " %s.%n%n"
                + "| listed unhealthy | last heartbeat → listed unhealthy, p50 / p99 / max |"
                + " still healthy at TTL + 1 s | still healthy at %d s | not timed (last"
                + " heartbeat not confirmed) | heartbeating instances listed unhealthy |%n"
                + "|---:|---|---:|---:|---:|---:|%n"
                + "| %d of %d | %s / %s / %s ms | %d | %d | %d | %d |%n",
            instances,
            ProtectionInstances.DEAD_SERVICE,
            sizes.instances(),
            sizes.services(),
            ttlMillis,
            regime == ProtectionFigures.Regime.SERVICE_FAILURE
                ? "a service failure, every instance declared at once"
                : "the registry-wide budget",
            observeSeconds,
            declared(),
            instances,
            Json.number(percentile(50)),
            Json.number(percentile(99)),
            Json.number(percentile(100)),
            stillHealthyAtTtlPlus1s,
            stillHealthyAtEnd,
            unconfirmed,
            falsePositives));
  }
}
