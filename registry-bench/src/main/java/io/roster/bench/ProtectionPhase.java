package io.roster.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What the leader's eviction protection does when instances stop heartbeating, in three scenarios
 * on a fleet of the phase's own (default 10,000 instances over 100 services, kept alive on
 * KeepAlive streams, plus one service of 100 that dies), followed through Watch streams on the last
 * target and the leader's ClusterStatus:
 *
 * <ol>
 *   <li><b>A whole service dies</b>: its instances send a last heartbeat together and stop. Times,
 *       for each, from that heartbeat to the moment the Watch shows it unhealthy, and counts those
 *       still listed healthy at TTL + 1 s and at the end of the observation (60 s). The rule says:
 *       a service failure, declared at once (TTL + one sweep). The service is deregistered after.
 *   <li><b>Half the registry silent</b>: a random half of the fleet (every service) stops at once.
 *       Records every second for 90 s the instances listed unhealthy (declared expired), those
 *       removed after the grace, and the leader's {@code protection.held_back}; reports the most
 *       declarations in any 60 s window (from the leader's own declaration times) against the
 *       budget, max(3, 15 % of the registry). Then they all resume (heartbeats on the same leases;
 *       a lease answered NOT_FOUND is registered again) and it times how long until every one is
 *       listed healthy and {@code held_back} is 0.
 *   <li><b>One zone silent</b>: the fleet spans zone-a, -b and -c in every service; every instance
 *       of zone-c stops. Recorded and resumed as 2.
 * </ol>
 *
 * <p>Before scenarios 2 and 3 the phase waits until no declaration was seen for {@code
 * --protection-settle-s} (default 61 s), so the budget's 60 s window starts empty. The kept-alive
 * instances are watched all along: one listed unhealthy (a false positive) fails the run, as does a
 * lost lease or a resumed instance not healthy again within {@value
 * ProtectionConfig#RECOVERY_BOUND_MILLIS} ms. Whether the registry kept to its rule (the whole
 * service at once; the budget in any 60 s window) is reported, not judged: it is what the phase
 * measures.
 *
 * <p>The budget and the rule count the whole registry: run the phase alone ({@code --phases
 * protection}) for the figures meant here; with other phases, their instances count too (the phase
 * reports the registry's size as ClusterStatus gave it).
 *
 * <p>Bounded by {@link ProtectionConfig#boundMillis}; everything it registered is deregistered at
 * its end, while the rest still heartbeats.
 */
final class ProtectionPhase implements Phase {
  static final String NAME = "protection";
  static final String SERIES_FILE = "protection.csv";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public boolean needsPopulation() {
    return false; // it registers and heartbeats a fleet of its own
  }

  @Override
  public PhaseResult run(BenchContext context) throws InterruptedException {
    BenchConfig config = context.config();
    ProtectionConfig sizes = config.protection();
    PhaseResult result = new PhaseResult(NAME);
    int size = sizes.instances() + sizes.deadInstances();
    RenewalGaps gaps = new RenewalGaps();
    long lostBefore = context.background().notActive();
    long lapsesBefore = context.startGaps();
    NodeCpu.Reading cpuBefore = context.startTimed(NAME);
    long phaseStart = System.nanoTime();
    ProtectionFleet fleet =
        new ProtectionFleet(
            context.cluster(),
            gaps,
            size,
            index -> ProtectionInstances.request(config, index),
            config.keepAliveStreams(),
            config.unansweredPerStream(),
            config.concurrency(),
            config.callDeadlineMillis(),
            context.err());
    List<String> ids = new ArrayList<>(size);
    List<String> services = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      ids.add(ProtectionInstances.instanceId(sizes, i));
      services.add(ProtectionInstances.serviceOf(sizes, i));
    }
    HealthWatch watch =
        new HealthWatch(
            context.cluster(), context.cluster().size() - 1, config.namespace(), ids, services);
    ProtectionRun run = new ProtectionRun(context, fleet, watch, gaps);
    try {
      measure(run, result);
    } finally {
      try {
        cleanUp(context, run, result);
      } finally {
        watch.cancel();
        fleet.close();
        context.progress().clear();
      }
    }
    return finish(context, result, run, cpuBefore, lostBefore, lapsesBefore, phaseStart);
  }

  /** The three scenarios, one after the other, each adding its figures to {@code result}. */
  private static void measure(ProtectionRun run, PhaseResult result) throws InterruptedException {
    ProtectionConfig sizes = run.context.config().protection();
    ProtectionFleet fleet = run.fleet;
    int size = fleet.size();
    int registered = run.register();
    result.put("instances", sizes.instances()).put("services", sizes.services());
    result.put("deadInstances", sizes.deadInstances()).put("registered", registered);
    if (registered < size) {
      result.problem((size - registered) + " of " + size + " registrations failed");
    }
    if (registered == 0) {
      result.problem("nothing registered");
      return;
    }
    if (!run.warmUp()) {
      result.problem(
          "the Watch streams sent no snapshot of every service within "
              + ProtectionConfig.WARMUP_BOUND_MILLIS
              + " ms");
      return;
    }
    long ttlMillis = fleet.lease(fleet.firstRegistered()).ttlMillis();
    result.put("ttlMs", ttlMillis);
    StringBuilder details = new StringBuilder("## protection\n");
    StringBuilder csv =
        new StringBuilder(
            "scenario,t_s,stage,listed_unhealthy,declared_total,removed,listed_healthy,held_back,"
                + "registry_unhealthy\n");

    // 1. A whole service dies.
    int[] dead = registeredIn(fleet, sizes.instances(), size);
    WholeServiceScenario whole = WholeServiceScenario.observe(run, dead, ttlMillis);
    whole.report(result, sizes, details);
    fleet.forget(dead);
    deregister(run.context, fleet, dead, run.deregistered);

    // 2. A random share of the registry silent, across every service.
    int[] share =
        registeredOf(
            fleet,
            ProtectionFigures.randomSubset(
                sizes.instances(),
                (int) Math.round(sizes.silentShare() * sizes.instances()),
                run.context.newRandom()));
    String shareTitle =
        String.format(Locale.ROOT, "%.0f %% of the registry silent", sizes.silentShare() * 100);
    SilenceScenario random = SilenceScenario.observe(run, "s2", shareTitle, share, sizes);
    random.report(result, details, csv);

    // 3. One zone silent.
    int[] zoneC = registeredOf(fleet, ProtectionInstances.zoneIndices(sizes, 'c'));
    SilenceScenario zone = SilenceScenario.observe(run, "s3", "zone-c silent", zoneC, sizes);
    zone.report(result, details, csv);

    result
        .put("ops", whole.declared() + random.declared() + zone.declared())
        .put("p50Ms", whole.percentile(50))
        .put("p99Ms", whole.percentile(99))
        .latencies(
            Latencies.ofMillis(whole.detectionMillis()),
            "last heartbeat → listed unhealthy (whole service)");
    result.note(
        String.format(
            Locale.ROOT,
            "whole service: %d/%d unhealthy, %d healthy at TTL + 1 s; %s: max %,d declared in 60 s"
                + " (budget %,d), recovered in %s; %s: max %,d in 60 s (budget %,d), recovered in"
                + " %s",
            whole.declared(),
            dead.length,
            whole.stillHealthyAtTtlPlus1s(),
            random.title(),
            random.maxDeclaredIn60s(),
            random.budget(),
            random.recoveryText(),
            zone.title(),
            zone.maxDeclaredIn60s(),
            zone.budget(),
            zone.recoveryText()));
    result.details(details.toString()).file(SERIES_FILE, csv.toString());
  }

  /**
   * Deregisters what the phase registered and has not deregistered yet, while the rest still
   * heartbeats; what is left goes to the run's own cleanup.
   */
  private static void cleanUp(BenchContext context, ProtectionRun run, PhaseResult result)
      throws InterruptedException {
    ProtectionFleet fleet = run.fleet;
    fleet.stopRepairs();
    run.awaitRegistrations();
    List<Integer> left = new ArrayList<>();
    for (int i = 0; i < fleet.size(); i++) {
      if (!run.deregistered[i] && fleet.lease(i) != null) {
        left.add(i);
      }
    }
    deregister(context, fleet, left.stream().mapToInt(i -> i).toArray(), run.deregistered);
    int notDeregistered = 0;
    int registered = 0;
    for (int i = 0; i < fleet.size(); i++) {
      if (fleet.lease(i) == null) {
        continue;
      }
      registered++;
      if (!run.deregistered[i]) {
        notDeregistered++;
        context.registered().add(fleet.lease(i)); // the run's cleanup tries again
      }
    }
    result.put("deregistered", registered - notDeregistered);
    if (notDeregistered > 0) {
      String leftLine =
          notDeregistered + " instances not deregistered by the phase, left to the run's cleanup";
      result.note(result.note().isEmpty() ? leftLine : result.note() + "; " + leftLine);
    }
  }

  private static PhaseResult finish(
      BenchContext context,
      PhaseResult result,
      ProtectionRun run,
      NodeCpu.Reading cpuBefore,
      long lostBefore,
      long lapsesBefore,
      long phaseStart)
      throws InterruptedException {
    NodeCpu.Usage cpu = context.endTimed(NAME, cpuBefore);
    long backgroundLost = context.backgroundLost(result, lostBefore);
    ProtectionFleet fleet = run.fleet;
    result
        .put("falsePositives", run.falsePositives)
        .put("registeredAgain", fleet.registeredAgain())
        .put("registrationFailures", fleet.registrationFailures())
        .put("streamFailures", fleet.streamFailures())
        .put("watchReopened", run.watch.reopened())
        .put("watchLastEnd", run.watch.lastEnd())
        .put("statusFailures", run.statusFailures)
        .put("seconds", (System.nanoTime() - phaseStart) / 1e9)
        .put("lostLeases", backgroundLost + fleet.lost());
    result.put("fleetLapsedRenewals", run.gapsLapses()).put("fleetMaxRenewalGapMs", run.maxGap());
    BenchContext.putCpu(result, cpu);
    context.putGaps(result, lapsesBefore);
    if (result.get("ops") == null) {
      result.put("ops", 0);
    }
    if (fleet.lost() > 0) {
      result.problem(
          fleet.lost()
              + " heartbeats of kept-alive instances answered other than ACTIVE: leases lost ("
              + fleet.firstLost()
              + ")");
    }
    if (run.gapsLapses() > 0) {
      result.problem(
          run.gapsLapses()
              + " renewals of kept-alive instances came more than a TTL after the previous one"
              + " (longest gap "
              + Json.number(run.maxGap())
              + " ms): those leases may have expired although the bench kept heartbeating");
    }
    if (run.falsePositives > 0) {
      result.problem(
          run.falsePositives
              + " instances listed unhealthy while they heartbeated (first: "
              + run.firstFalsePositive
              + ")");
    }
    return result;
  }

  private static int[] registeredIn(ProtectionFleet fleet, int from, int to) {
    List<Integer> indices = new ArrayList<>();
    for (int i = from; i < to; i++) {
      if (fleet.lease(i) != null) {
        indices.add(i);
      }
    }
    return indices.stream().mapToInt(i -> i).toArray();
  }

  private static int[] registeredOf(ProtectionFleet fleet, int[] chosen) {
    return Arrays.stream(chosen).filter(i -> fleet.lease(i) != null).toArray();
  }

  private static void deregister(
      BenchContext context, ProtectionFleet fleet, int[] indices, boolean[] deregistered)
      throws InterruptedException {
    if (indices.length == 0) {
      return;
    }
    List<RegisteredLease> leases = new ArrayList<>(indices.length);
    for (int index : indices) {
      leases.add(fleet.lease(index));
    }
    Deregistration done =
        Deregistration.run(context, leases, context.config().countedPhaseBoundMillis(), NAME);
    Set<String> left = new HashSet<>();
    for (RegisteredLease lease : done.left()) {
      left.add(lease.leaseId());
    }
    for (int index : indices) {
      if (!left.contains(fleet.lease(index).leaseId())) {
        deregistered[index] = true;
      }
    }
  }
}
