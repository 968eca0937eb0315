package io.roster.bench;

import io.roster.v1.ClusterStatusResponse;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Scenarios 2 and 3 of the protection phase: a group of instances (a random share of the registry,
 * one zone) stops at once, is recorded every second, then resumes; its series, window figures and
 * recovery. Main thread only.
 */
final class SilenceScenario {
  private static final long SAMPLE_MILLIS = 1_000;
  private static final long HELD_BACK_POLL_MILLIS = 250;

  private final String key;
  private final String title;
  private final ScenarioDeclarations scenario;
  private final int[] indices;
  private final ProtectionConfig sizes;
  private final int registrySize;
  private final int registryServices;
  private final int silentServices;
  private final int budget;
  private final ProtectionFigures.Regime regime;
  private final ProtectionSeries series;
  private long stopNanos;
  private long stopWallMillis;
  private long resumeNanos;
  private int heldBackAtResume = -1;
  private int unhealthyAtResume;
  private int removedAtResume;
  private int declaredAtResume;
  private long allHealthyNanos = Long.MIN_VALUE;
  private long heldBackZeroNanos = Long.MIN_VALUE;
  private int notHealthyAtEnd;
  private long registeredAgain;
  private long falsePositives;
  private int maxDeclaredIn60s;
  private int declaredAfterResume;
  private double firstDeclarationSeconds = Double.NaN;

  private SilenceScenario(
      String key,
      String title,
      ScenarioDeclarations scenario,
      ClusterStatusResponse before,
      int[] indices,
      ProtectionConfig sizes) {
    this.key = key;
    this.title = title;
    this.scenario = scenario;
    this.indices = indices;
    this.sizes = sizes;
    this.series = new ProtectionSeries(key, indices, scenario);
    Set<Integer> services = new HashSet<>();
    for (int index : indices) {
      services.add(index % sizes.services());
    }
    this.silentServices = services.size();
    this.registrySize = before == null ? 0 : before.getCounts().getInstances();
    this.registryServices = before == null ? 0 : before.getCounts().getServices();
    double percent = before == null ? 15 : before.getProtection().getBudgetPercentPerMinute();
    this.budget = ProtectionFigures.budget(percent, registrySize);
    this.regime =
        ProtectionFigures.regime(silentServices, registryServices, indices.length, registrySize);
  }

  /** Runs scenario 2 or 3: {@code indices} stop at once, are recorded, then resume. */
  static SilenceScenario observe(
      ProtectionRun run, String key, String title, int[] indices, ProtectionConfig sizes)
      throws InterruptedException {
    run.settle(sizes.settleMillis(), key);
    ClusterStatusResponse before = run.status();
    ScenarioDeclarations scenario = new ScenarioDeclarations(indices);
    SilenceScenario silence = new SilenceScenario(key, title, scenario, before, indices, sizes);
    run.absorb(null);
    long falseBefore = run.falsePositives;
    run.mark(indices, true);
    long stopNanos = System.nanoTime();
    long stopWallMillis = System.currentTimeMillis();
    run.fleet.silence(indices);
    silence.stopped(stopNanos, stopWallMillis);
    run.show(
        () ->
            String.format(
                "%s %s: %,d silent, %,d declared, %,d removed, held back %s",
                key,
                title,
                indices.length,
                scenario.declaredCount(),
                silence.removedNow(run.watch),
                silence.lastHeldBack()));
    long recordEnd = stopNanos + TimeUnit.MILLISECONDS.toNanos(sizes.recordMillis());
    long nextSample = stopNanos + TimeUnit.MILLISECONDS.toNanos(SAMPLE_MILLIS);
    for (long s = 0;
        s < sizes.recordMillis() / SAMPLE_MILLIS + 2
            && System.nanoTime() - recordEnd < 0
            && !run.context.stopRequested();
        s++) {
      run.waitUntil(Math.min(nextSample, recordEnd), () -> false, scenario);
      silence.sample("silent", run.watch, run.status());
      nextSample += TimeUnit.MILLISECONDS.toNanos(SAMPLE_MILLIS);
    }
    run.absorb(scenario);
    silence.atResume(run.watch);

    // Resume: the same leases; NOT_FOUND ones are registered again by the fleet.
    long resumeNanos = System.nanoTime();
    long registeredBefore = run.fleet.registeredAgain();
    run.mark(indices, false);
    run.fleet.resume(indices);
    silence.resumed(resumeNanos);
    long recoveryEnd =
        resumeNanos + TimeUnit.MILLISECONDS.toNanos(ProtectionConfig.RECOVERY_BOUND_MILLIS);
    nextSample = resumeNanos + TimeUnit.MILLISECONDS.toNanos(SAMPLE_MILLIS);
    long nextHeldBack = resumeNanos;
    long maxSteps = ProtectionConfig.RECOVERY_BOUND_MILLIS / ProtectionRun.POLL_MILLIS + 1;
    for (long step = 0;
        step < maxSteps && System.nanoTime() - recoveryEnd < 0 && !run.context.stopRequested();
        step++) {
      long now = System.nanoTime();
      run.absorb(scenario);
      run.watch.maintain();
      if (!silence.allHealthySeen() && silence.allHealthy(run.watch)) {
        silence.allHealthyAt(now);
      }
      if (now - nextHeldBack >= 0) {
        nextHeldBack = now + TimeUnit.MILLISECONDS.toNanos(HELD_BACK_POLL_MILLIS);
        ClusterStatusResponse status = run.status();
        if (status != null && status.getProtection().getHeldBack() == 0) {
          silence.heldBackZeroAt(now);
        }
        if (now - nextSample >= 0) {
          nextSample += TimeUnit.MILLISECONDS.toNanos(SAMPLE_MILLIS);
          silence.sample("resumed", run.watch, status);
        }
      }
      if (silence.recovered()) {
        break;
      }
      TimeUnit.MILLISECONDS.sleep(ProtectionRun.POLL_MILLIS);
    }
    run.absorb(scenario);
    silence.sample(silence.recovered() ? "recovered" : "not recovered", run.watch, run.status());
    silence.finish(
        run.watch,
        run.fleet.registeredAgain() - registeredBefore,
        run.falsePositives - falseBefore);
    return silence;
  }

  String title() {
    return title;
  }

  int budget() {
    return budget;
  }

  int maxDeclaredIn60s() {
    return maxDeclaredIn60s;
  }

  int declared() {
    return scenario.declaredCount();
  }

  String lastHeldBack() {
    return series.lastHeldBackText();
  }

  void stopped(long nanos, long wallMillis) {
    stopNanos = nanos;
    series.startAt(nanos);
    stopWallMillis = wallMillis;
  }

  void resumed(long nanos) {
    resumeNanos = nanos;
  }

  int removedNow(HealthWatch watch) {
    int removed = 0;
    for (int index : indices) {
      if (watch.health(index) == HealthWatch.ABSENT) {
        removed++;
      }
    }
    return removed;
  }

  /** One row of the series, now. */
  void sample(String stage, HealthWatch watch, ClusterStatusResponse status) {
    series.sample(stage, watch, status);
  }

  void atResume(HealthWatch watch) {
    heldBackAtResume = series.lastHeldBack();
    declaredAtResume = scenario.declaredCount();
    for (int index : indices) {
      int health = watch.health(index);
      if (health == HealthWatch.UNHEALTHY) {
        unhealthyAtResume++;
      } else if (health == HealthWatch.ABSENT) {
        removedAtResume++;
      }
    }
  }

  boolean allHealthy(HealthWatch watch) {
    for (int index : indices) {
      if (watch.health(index) != HealthWatch.HEALTHY) {
        return false;
      }
    }
    return true;
  }

  boolean allHealthySeen() {
    return allHealthyNanos != Long.MIN_VALUE;
  }

  void allHealthyAt(long nanos) {
    allHealthyNanos = nanos;
  }

  void heldBackZeroAt(long nanos) {
    if (heldBackZeroNanos == Long.MIN_VALUE) {
      heldBackZeroNanos = nanos;
    }
  }

  boolean recovered() {
    return allHealthyNanos != Long.MIN_VALUE && heldBackZeroNanos != Long.MIN_VALUE;
  }

  void finish(HealthWatch watch, long registeredAgain, long falsePositives) {
    this.registeredAgain = registeredAgain;
    this.falsePositives = falsePositives;
    for (int index : indices) {
      if (watch.health(index) != HealthWatch.HEALTHY) {
        notHealthyAtEnd++;
      }
    }
    List<HealthWatch.Declaration> declarations = scenario.declarations();
    long[] times = new long[declarations.size()];
    long first = Long.MAX_VALUE;
    for (int i = 0; i < declarations.size(); i++) {
      HealthWatch.Declaration declaration = declarations.get(i);
      // The leader's time of the sweep that declared it; the arrival when the node gave none.
      times[i] =
          declaration.nodeMillis() > 0
              ? declaration.nodeMillis()
              : stopWallMillis + (declaration.seenNanos() - stopNanos) / 1_000_000;
      first = Math.min(first, declaration.seenNanos());
      if (declaration.seenNanos() - resumeNanos >= 0) {
        declaredAfterResume++;
      }
    }
    maxDeclaredIn60s = ProtectionFigures.maxInWindow(times, ProtectionFigures.BUDGET_WINDOW_MILLIS);
    if (first != Long.MAX_VALUE) {
      firstDeclarationSeconds = (first - stopNanos) / 1e9;
    }
  }

  private Double sinceResumeMillis(long nanos) {
    return nanos == Long.MIN_VALUE ? null : (nanos - resumeNanos) / 1e6;
  }

  String recoveryText() {
    Double healthy = sinceResumeMillis(allHealthyNanos);
    Double zero = sinceResumeMillis(heldBackZeroNanos);
    if (healthy == null || zero == null) {
      return "not within " + ProtectionConfig.RECOVERY_BOUND_MILLIS / 1_000 + " s";
    }
    return String.format(Locale.ROOT, "%.1f s", Math.max(healthy, zero) / 1_000);
  }

  void report(PhaseResult result, StringBuilder details, StringBuilder csv) {
    Double healthy = sinceResumeMillis(allHealthyNanos);
    Double zero = sinceResumeMillis(heldBackZeroNanos);
    result
        .put(key + "Silent", indices.length)
        .put(key + "SilentServices", silentServices)
        .put(key + "RegistrySize", registrySize)
        .put(key + "Rule", regime.name())
        .put(key + "Budget", budget)
        .put(key + "FirstDeclaredS", BenchContext.orNull(firstDeclarationSeconds))
        .put(key + "Declared", declaredAtResume)
        .put(key + "MaxDeclaredIn60s", maxDeclaredIn60s)
        .put(key + "OverBudget", Math.max(0, maxDeclaredIn60s - budget))
        .put(key + "MaxHeldBack", series.maxHeldBack())
        .put(key + "HeldBackAtResume", heldBackAtResume < 0 ? null : heldBackAtResume)
        .put(key + "UnhealthyAtResume", unhealthyAtResume)
        .put(key + "RemovedAtResume", removedAtResume)
        .put(key + "DeclaredAfterResume", declaredAfterResume)
        .put(key + "RegisteredAgain", registeredAgain)
        .put(key + "AllHealthyMs", healthy)
        .put(key + "HeldBackZeroMs", zero)
        .put(key + "NotHealthyAtEnd", notHealthyAtEnd)
        .put(key + "FalsePositives", falsePositives);
    if (healthy == null || zero == null) {
      result.problem(
          String.format(
              Locale.ROOT,
              "%s: %d of %d resumed instances not listed healthy%s within %d s of the resume",
              title,
              notHealthyAtEnd,
              indices.length,
              zero == null ? ", or held_back not 0," : "",
              ProtectionConfig.RECOVERY_BOUND_MILLIS / 1_000));
    }
    int number = key.equals("s2") ? 2 : 3;
    details.append(
        String.format(
            Locale.ROOT,
            "%n### %d. %s%n%n"
                + "%,d of %,d instances (%d of %d services) stopped at once; registry %,d"
                + " instances in %d services; expected by the rule: %s, budget %,d declarations"
                + " in any 60 s window.%n%n"
                + "| first declared | declared in %d s | max declared in any 60 s | max"
                + " held back | at the resume: unhealthy / removed / held back | resume → all"
                + " healthy | resume → held back 0 | registered again | heartbeating instances"
                + " listed unhealthy |%n"
                + "|---:|---:|---:|---:|---|---:|---:|---:|---:|%n"
                + "| %s s | %,d | **%,d** | %,d | %,d / %,d / %s | %s ms | %s ms | %,d | %d |%n%n"
                + "Every second (only the rows where something changed; all rows in `%s`):%n%n"
                + "| t (s) | stage | listed unhealthy | declared so far | removed | listed healthy"
                + " | held back |%n"
                + "|---:|---|---:|---:|---:|---:|---:|%n",
            number,
            title,
            indices.length,
            sizes.instances(),
            silentServices,
            sizes.services(),
            registrySize,
            registryServices,
            regime == ProtectionFigures.Regime.SERVICE_FAILURE
                ? "a service failure, declared at once"
                : "the registry-wide budget",
            budget,
            sizes.recordMillis() / 1_000,
            Json.number(firstDeclarationSeconds),
            declaredAtResume,
            maxDeclaredIn60s,
            series.maxHeldBack(),
            unhealthyAtResume,
            removedAtResume,
            heldBackAtResume < 0 ? "-" : String.format("%,d", heldBackAtResume),
            healthy == null ? "-" : Json.number(healthy),
            zero == null ? "-" : Json.number(zero),
            registeredAgain,
            falsePositives,
            ProtectionPhase.SERIES_FILE));
    series.appendTo(details, csv);
  }
}
