package io.roster.bench;

import com.google.protobuf.Duration;
import io.grpc.StatusRuntimeException;
import io.roster.v1.ClusterMember;
import io.roster.v1.ClusterServiceGrpc;
import io.roster.v1.ClusterStatusRequest;
import io.roster.v1.ClusterStatusResponse;
import io.roster.v1.Instance;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

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
  static final String DEAD_SERVICE = "protect-dead";
  static final String SERIES_FILE = "protection.csv";

  private static final long POLL_MILLIS = 50;
  private static final long SAMPLE_MILLIS = 1_000;
  private static final long HELD_BACK_POLL_MILLIS = 250;
  private static final long STATUS_DEADLINE_MILLIS = 2_000;

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
    NodeCpu.Reading cpuBefore = context.cpu().read();
    long phaseStart = System.nanoTime();
    ProtectionFleet fleet =
        new ProtectionFleet(
            context.cluster(),
            gaps,
            size,
            index -> request(config, index),
            config.keepAliveStreams(),
            config.unansweredPerStream(),
            config.concurrency(),
            config.callDeadlineMillis(),
            context.err());
    List<String> ids = new ArrayList<>(size);
    List<String> services = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      ids.add(instanceId(sizes, i));
      services.add(serviceOf(sizes, i));
    }
    HealthWatch watch =
        new HealthWatch(
            context.cluster(), context.cluster().size() - 1, config.namespace(), ids, services);
    Run run = new Run(context, fleet, watch, gaps);
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
  private static void measure(Run run, PhaseResult result) throws InterruptedException {
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
    long ttlMillis = fleet.lease(firstRegistered(fleet)).ttlMillis();
    result.put("ttlMs", ttlMillis);
    StringBuilder details = new StringBuilder("## protection\n");
    StringBuilder csv =
        new StringBuilder(
            "scenario,t_s,stage,listed_unhealthy,declared_total,removed,listed_healthy,held_back,"
                + "registry_unhealthy\n");

    // 1. A whole service dies.
    int[] dead = registeredIn(fleet, sizes.instances(), size);
    WholeService whole = run.wholeServiceDies(dead, ttlMillis);
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
    Silence random = run.silence("s2", shareTitle, share, sizes);
    random.report(result, details, csv);

    // 3. One zone silent.
    int[] zoneC = registeredOf(fleet, zoneIndices(sizes, 'c'));
    Silence zone = run.silence("s3", "zone-c silent", zoneC, sizes);
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
  private static void cleanUp(BenchContext context, Run run, PhaseResult result)
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
      Run run,
      NodeCpu.Reading cpuBefore,
      long lostBefore,
      long lapsesBefore,
      long phaseStart) {
    NodeCpu.Usage cpu = context.cpu().since(cpuBefore);
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

  /** Instance {@code index} of the fleet: population first, then the service that dies. */
  static RegisterRequest request(BenchConfig config, int index) {
    ProtectionConfig sizes = config.protection();
    boolean dead = index >= sizes.instances();
    int k = dead ? index - sizes.instances() : index;
    RegisterRequest.Builder request =
        RegisterRequest.newBuilder()
            .setInstance(
                Instance.newBuilder()
                    .setNamespace(config.namespace())
                    .setService(serviceOf(sizes, index))
                    .setInstanceId(instanceId(sizes, index))
                    .setHost(
                        String.format("10.%d.%d.%d", dead ? 251 : 252, (k >> 8) & 0xff, k & 0xff))
                    .setPort(8080)
                    .setZone(zoneOf(sizes, index))
                    .putMetadata("bench", "protection"));
    if (sizes.leaseTtlMillis() > 0) {
      request.setLeaseTtl(
          Duration.newBuilder()
              .setSeconds(sizes.leaseTtlMillis() / 1_000)
              .setNanos((int) (sizes.leaseTtlMillis() % 1_000) * 1_000_000));
    }
    return request.build();
  }

  static String serviceOf(ProtectionConfig sizes, int index) {
    return index >= sizes.instances()
        ? DEAD_SERVICE
        : String.format("protect-%04d", index % sizes.services());
  }

  static String instanceId(ProtectionConfig sizes, int index) {
    return index >= sizes.instances()
        ? String.format("d-%05d", index - sizes.instances())
        : String.format("p-%06d", index);
  }

  /**
   * zone-a, -b or -c: the population cycles through them every {@code services} instances, so every
   * service (which takes every {@code services}-th instance) spans the three zones.
   */
  static String zoneOf(ProtectionConfig sizes, int index) {
    int turn = index >= sizes.instances() ? index - sizes.instances() : index / sizes.services();
    return "zone-" + (char) ('a' + turn % 3);
  }

  /** The population's instances in {@code zone-<letter>}, ascending. */
  static int[] zoneIndices(ProtectionConfig sizes, char letter) {
    String zone = "zone-" + letter;
    List<Integer> indices = new ArrayList<>();
    for (int i = 0; i < sizes.instances(); i++) {
      if (zoneOf(sizes, i).equals(zone)) {
        indices.add(i);
      }
    }
    return indices.stream().mapToInt(i -> i).toArray();
  }

  private static int firstRegistered(ProtectionFleet fleet) {
    for (int i = 0; i < fleet.size(); i++) {
      if (fleet.lease(i) != null) {
        return i;
      }
    }
    throw new IllegalStateException("nothing registered");
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

  /**
   * The phase's state between scenarios: the fleet, the watch, the leader, and what every
   * declaration seen so far says. Main thread only.
   */
  private static final class Run {
    final BenchContext context;
    final ProtectionFleet fleet;
    final HealthWatch watch;
    final RenewalGaps gaps;
    final boolean[] silent;
    final boolean[] deregistered;
    volatile long falsePositives; // written by the main thread, read by the progress line
    String firstFalsePositive;
    long statusFailures;
    private int leader;
    private double maxGapMillis;

    Run(BenchContext context, ProtectionFleet fleet, HealthWatch watch, RenewalGaps gaps) {
      this.context = context;
      this.fleet = fleet;
      this.watch = watch;
      this.gaps = gaps;
      this.silent = new boolean[fleet.size()];
      this.deregistered = new boolean[fleet.size()];
    }

    long gapsLapses() {
      return gaps.lapses();
    }

    double maxGap() {
      maxGapMillis = Math.max(maxGapMillis, gaps.takeMaxGapMillis());
      return maxGapMillis;
    }

    /** Registers the fleet; each lease is kept alive as soon as it is granted. */
    int register() throws InterruptedException {
      BenchConfig config = context.config();
      int size = fleet.size();
      UnaryLoad<RegisterResponse> load = new UnaryLoad<>(config.concurrency());
      context
          .progress()
          .show(
              NAME, () -> String.format("registering the fleet: %,d/%,d", load.succeeded(), size));
      load.run(
          size,
          System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.countedPhaseBoundMillis()),
          TimeUnit.MILLISECONDS.toNanos(config.callDeadlineMillis() + 1_000),
          context::stopRequested,
          (index, observer) ->
              RegistryServiceGrpc.newStub(context.cluster().nextChannel())
                  .withDeadlineAfter(config.callDeadlineMillis(), TimeUnit.MILLISECONDS)
                  .register(request(config, (int) index), observer),
          (index, response) ->
              fleet.add(
                  (int) index,
                  new RegisteredLease(
                      serviceOf(config.protection(), (int) index),
                      response.getInstanceId(),
                      response.getLeaseId(),
                      response.getEpoch(),
                      BenchContext.millis(response.getGrantedTtl()),
                      BenchContext.millis(response.getHeartbeatInterval()))));
      return (int) load.succeeded();
    }

    /**
     * Waits for every service's snapshot and two heartbeat intervals, so each lease has been
     * renewed since it was granted; false when the snapshots do not come.
     */
    boolean warmUp() throws InterruptedException {
      long start = System.nanoTime();
      long intervalMillis = fleet.lease(firstRegistered(fleet)).heartbeatIntervalMillis();
      long endNanos = start + TimeUnit.MILLISECONDS.toNanos(2 * intervalMillis);
      long boundNanos = start + TimeUnit.MILLISECONDS.toNanos(ProtectionConfig.WARMUP_BOUND_MILLIS);
      context
          .progress()
          .show(
              NAME,
              () -> String.format("warming up: snapshots %s", watch.ready() ? "in" : "awaited"));
      findLeader();
      waitUntil(boundNanos, () -> watch.ready() && System.nanoTime() - endNanos >= 0, null);
      absorb(null);
      return watch.ready();
    }

    /** Scenario 1: the service's instances send a last heartbeat together and stop. */
    WholeService wholeServiceDies(int[] dead, long ttlMillis) throws InterruptedException {
      ProtectionConfig sizes = context.config().protection();
      ClusterStatusResponse before = status();
      Scenario scenario = new Scenario(dead);
      absorb(null);
      long falseBefore = falsePositives;
      mark(dead, true);
      fleet.silence(dead);
      long stopNanos = System.nanoTime();
      long endNanos = stopNanos + TimeUnit.MILLISECONDS.toNanos(sizes.observeMillis() + 500);
      context
          .progress()
          .show(
              NAME,
              () ->
                  String.format(
                      "s1 whole service dies: %d/%d listed unhealthy, false positives %d",
                      scenario.declaredCount(), dead.length, falsePositives));
      waitUntil(endNanos, () -> scenario.declaredCount() == dead.length, scenario);
      absorb(scenario);
      // The dead stay marked silent: they never heartbeat again, and are deregistered next.
      return new WholeService(
          scenario,
          fleet,
          dead,
          ttlMillis,
          sizes.observeMillis(),
          before,
          falsePositives - falseBefore);
    }

    /** Scenarios 2 and 3: {@code indices} stop at once, are recorded, then resume. */
    Silence silence(String key, String title, int[] indices, ProtectionConfig sizes)
        throws InterruptedException {
      settle(sizes.settleMillis(), key);
      ClusterStatusResponse before = status();
      Scenario scenario = new Scenario(indices);
      Silence silence = new Silence(key, title, scenario, before, indices, sizes);
      absorb(null);
      long falseBefore = falsePositives;
      mark(indices, true);
      long stopNanos = System.nanoTime();
      long stopWallMillis = System.currentTimeMillis();
      fleet.silence(indices);
      silence.stopped(stopNanos, stopWallMillis);
      context
          .progress()
          .show(
              NAME,
              () ->
                  String.format(
                      "%s %s: %,d silent, %,d declared, %,d removed, held back %s",
                      key,
                      title,
                      indices.length,
                      scenario.declaredCount(),
                      silence.removedNow(watch),
                      silence.lastHeldBack()));
      long recordEnd = stopNanos + TimeUnit.MILLISECONDS.toNanos(sizes.recordMillis());
      long nextSample = stopNanos + TimeUnit.MILLISECONDS.toNanos(SAMPLE_MILLIS);
      for (long s = 0;
          s < sizes.recordMillis() / SAMPLE_MILLIS + 2
              && System.nanoTime() - recordEnd < 0
              && !context.stopRequested();
          s++) {
        waitUntil(Math.min(nextSample, recordEnd), () -> false, scenario);
        silence.sample("silent", watch, status());
        nextSample += TimeUnit.MILLISECONDS.toNanos(SAMPLE_MILLIS);
      }
      absorb(scenario);
      silence.atResume(watch);

      // Resume: the same leases; NOT_FOUND ones are registered again by the fleet.
      long resumeNanos = System.nanoTime();
      long registeredBefore = fleet.registeredAgain();
      mark(indices, false);
      fleet.resume(indices);
      silence.resumed(resumeNanos);
      long recoveryEnd =
          resumeNanos + TimeUnit.MILLISECONDS.toNanos(ProtectionConfig.RECOVERY_BOUND_MILLIS);
      nextSample = resumeNanos + TimeUnit.MILLISECONDS.toNanos(SAMPLE_MILLIS);
      long nextHeldBack = resumeNanos;
      long maxSteps = ProtectionConfig.RECOVERY_BOUND_MILLIS / POLL_MILLIS + 1;
      for (long step = 0;
          step < maxSteps && System.nanoTime() - recoveryEnd < 0 && !context.stopRequested();
          step++) {
        long now = System.nanoTime();
        absorb(scenario);
        watch.maintain();
        if (!silence.allHealthySeen() && silence.allHealthy(watch)) {
          silence.allHealthyAt(now);
        }
        if (now - nextHeldBack >= 0) {
          nextHeldBack = now + TimeUnit.MILLISECONDS.toNanos(HELD_BACK_POLL_MILLIS);
          ClusterStatusResponse status = status();
          if (status != null && status.getProtection().getHeldBack() == 0) {
            silence.heldBackZeroAt(now);
          }
          if (now - nextSample >= 0) {
            nextSample += TimeUnit.MILLISECONDS.toNanos(SAMPLE_MILLIS);
            silence.sample("resumed", watch, status);
          }
        }
        if (silence.recovered()) {
          break;
        }
        TimeUnit.MILLISECONDS.sleep(POLL_MILLIS);
      }
      absorb(scenario);
      silence.sample(silence.recovered() ? "recovered" : "not recovered", watch, status());
      silence.finish(
          watch, fleet.registeredAgain() - registeredBefore, falsePositives - falseBefore);
      return silence;
    }

    /** Waits until no declaration was seen for {@code settleMillis}, at most twice that + 10 s. */
    private void settle(long settleMillis, String key) throws InterruptedException {
      if (settleMillis == 0) {
        return;
      }
      long settleNanos = TimeUnit.MILLISECONDS.toNanos(settleMillis);
      long bound = System.nanoTime() + 2 * settleNanos + TimeUnit.SECONDS.toNanos(10);
      context
          .progress()
          .show(
              NAME,
              () ->
                  String.format(
                      "before %s: %d s since the last declaration, waiting for %d s",
                      key,
                      TimeUnit.NANOSECONDS.toSeconds(
                          System.nanoTime() - watch.lastDeclarationNanos()),
                      TimeUnit.MILLISECONDS.toSeconds(settleMillis)));
      waitUntil(bound, () -> System.nanoTime() - watch.lastDeclarationNanos() >= settleNanos, null);
    }

    /**
     * Sleeps in steps of {@value #POLL_MILLIS} ms until {@code done} or {@code endNanos} or a stop
     * request, taking in declarations on each step.
     */
    private void waitUntil(long endNanos, BooleanSupplier done, Scenario scenario)
        throws InterruptedException {
      long maxSteps =
          Math.max(0, (endNanos - System.nanoTime()) / TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS))
              + 2;
      for (long step = 0;
          step < maxSteps
              && System.nanoTime() - endNanos < 0
              && !context.stopRequested()
              && !done.getAsBoolean();
          step++) {
        absorb(scenario);
        watch.maintain();
        long left = TimeUnit.NANOSECONDS.toMillis(endNanos - System.nanoTime());
        TimeUnit.MILLISECONDS.sleep(Math.max(1, Math.min(POLL_MILLIS, left)));
      }
    }

    private void mark(int[] indices, boolean value) {
      for (int index : indices) {
        silent[index] = value;
      }
    }

    /**
     * Takes the declarations the watch received. One of a silent instance, or of one that resumed
     * less than a TTL + 2 s ago (a sweep may have decided before its first heartbeat arrived),
     * belongs to {@code scenario} when the scenario covers it; one of an instance that heartbeats
     * is a false positive.
     */
    private void absorb(Scenario scenario) {
      for (HealthWatch.Declaration declaration : watch.takeDeclarations()) {
        int index = declaration.index();
        boolean expected = silent[index] || resumedRecently(index);
        if (expected && scenario != null && scenario.covers(index)) {
          scenario.declared(declaration);
        } else if (!expected) {
          falsePositives++;
          if (firstFalsePositive == null) {
            RegisteredLease lease = fleet.lease(index);
            firstFalsePositive = lease.instanceId() + " of " + lease.service();
          }
        }
      }
    }

    private boolean resumedRecently(int index) {
      long resumed = fleet.resumedNanos(index);
      if (!ProtectionFleet.isSet(resumed)) {
        return false;
      }
      long ttl = TimeUnit.MILLISECONDS.toNanos(fleet.lease(index).ttlMillis() + 2_000);
      return System.nanoTime() - resumed < ttl;
    }

    /** Waits, at most a call deadline, for the registrations the fleet started. */
    void awaitRegistrations() throws InterruptedException {
      long end =
          System.nanoTime()
              + TimeUnit.MILLISECONDS.toNanos(context.config().callDeadlineMillis() + 1_000);
      while (fleet.registering() > 0 && System.nanoTime() - end < 0) {
        TimeUnit.MILLISECONDS.sleep(POLL_MILLIS);
      }
    }

    /** Finds the leader among the targets, so held_back comes from its own sweep. */
    private void findLeader() {
      ClusterStatusResponse status = status();
      if (status == null) {
        return;
      }
      for (ClusterMember member : status.getMembersList()) {
        if (member.getLeader()) {
          for (int t = 0; t < context.cluster().size(); t++) {
            if (context.cluster().target(t).authority().equals(member.getApiAddress())) {
              leader = t;
            }
          }
        }
      }
    }

    /** The leader's ClusterStatus (or another node's when it is not a target); null on failure. */
    ClusterStatusResponse status() {
      try {
        ClusterStatusResponse status =
            ClusterServiceGrpc.newBlockingStub(context.cluster().channel(leader))
                .withDeadlineAfter(STATUS_DEADLINE_MILLIS, TimeUnit.MILLISECONDS)
                .clusterStatus(ClusterStatusRequest.getDefaultInstance());
        boolean answeredByLeader =
            status.getMembersList().stream().anyMatch(m -> m.getLocal() && m.getLeader());
        if (!answeredByLeader) {
          findLeaderIn(status);
        }
        return status;
      } catch (StatusRuntimeException e) {
        statusFailures++;
        leader = (leader + 1) % context.cluster().size();
        return null;
      }
    }

    private void findLeaderIn(ClusterStatusResponse status) {
      for (ClusterMember member : status.getMembersList()) {
        if (member.getLeader()) {
          for (int t = 0; t < context.cluster().size(); t++) {
            if (context.cluster().target(t).authority().equals(member.getApiAddress())) {
              leader = t;
            }
          }
        }
      }
    }
  }

  /** The declarations of one scenario's silent instances. Main thread only. */
  private static final class Scenario {
    final int[] indices;
    private final Set<Integer> covered = new HashSet<>();
    private final List<HealthWatch.Declaration> declarations = new ArrayList<>();
    private final Set<Integer> declaredIndices = new HashSet<>();
    private final AtomicInteger declaredCount = new AtomicInteger();

    Scenario(int[] indices) {
      this.indices = indices;
      for (int index : indices) {
        covered.add(index);
      }
    }

    boolean covers(int index) {
      return covered.contains(index);
    }

    void declared(HealthWatch.Declaration declaration) {
      declarations.add(declaration);
      if (declaredIndices.add(declaration.index())) {
        declaredCount.incrementAndGet();
      }
    }

    /** Distinct instances declared; any thread (the progress line reads it). */
    int declaredCount() {
      return declaredCount.get();
    }

    List<HealthWatch.Declaration> declarations() {
      return declarations;
    }

    /** When each of {@code indices} was first seen unhealthy, in the same order; unset: never. */
    long[] firstSeenNanos() {
      long[] seen = new long[indices.length];
      Arrays.fill(seen, Long.MIN_VALUE);
      Map<Integer, Integer> position = new HashMap<>();
      for (int i = 0; i < indices.length; i++) {
        position.put(indices[i], i);
      }
      for (HealthWatch.Declaration declaration : declarations) {
        Integer at = position.get(declaration.index());
        if (at != null && seen[at] == Long.MIN_VALUE) {
          seen[at] = declaration.seenNanos();
        }
      }
      return seen;
    }
  }

  /** Scenario 1's figures. */
  private static final class WholeService {
    private final Scenario scenario;
    private final int instances;
    private final long ttlMillis;
    private final long observeMillis;
    private final double[] detections;
    private final int unconfirmed;
    private final int stillHealthyAtTtlPlus1s;
    private final int stillHealthyAtEnd;
    private final ProtectionFigures.Regime regime;
    private final long falsePositives;

    WholeService(
        Scenario scenario,
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
              DEAD_SERVICE,
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

  /** One silence (scenario 2 or 3): its series, window figures and recovery. Main thread only. */
  private static final class Silence {
    private final String key;
    private final String title;
    private final Scenario scenario;
    private final int[] indices;
    private final ProtectionConfig sizes;
    private final int registrySize;
    private final int registryServices;
    private final int silentServices;
    private final int budget;
    private final ProtectionFigures.Regime regime;
    private final List<String> rows = new ArrayList<>();
    private long stopNanos;
    private long stopWallMillis;
    private long resumeNanos;
    private int maxHeldBack;
    private volatile int lastHeldBack = -1; // the progress line reads it
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

    Silence(
        String key,
        String title,
        Scenario scenario,
        ClusterStatusResponse before,
        int[] indices,
        ProtectionConfig sizes) {
      this.key = key;
      this.title = title;
      this.scenario = scenario;
      this.indices = indices;
      this.sizes = sizes;
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
      return lastHeldBack < 0 ? "-" : String.format("%,d", lastHeldBack);
    }

    void stopped(long nanos, long wallMillis) {
      stopNanos = nanos;
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

    /** One row of the series: what the watch lists and what the leader holds back, now. */
    void sample(String stage, HealthWatch watch, ClusterStatusResponse status) {
      int unhealthy = 0;
      int removed = 0;
      int healthy = 0;
      for (int index : indices) {
        switch (watch.health(index)) {
          case HealthWatch.UNHEALTHY -> unhealthy++;
          case HealthWatch.ABSENT -> removed++;
          default -> healthy++;
        }
      }
      int heldBack = status == null ? -1 : status.getProtection().getHeldBack();
      if (heldBack >= 0) {
        lastHeldBack = heldBack;
        maxHeldBack = Math.max(maxHeldBack, heldBack);
      }
      double seconds = (System.nanoTime() - stopNanos) / 1e9;
      rows.add(
          String.format(
              Locale.ROOT,
              "%s,%.1f,%s,%d,%d,%d,%d,%s,%s",
              key,
              seconds,
              stage,
              unhealthy,
              scenario.declaredCount(),
              removed,
              healthy,
              heldBack < 0 ? "" : Integer.toString(heldBack),
              status == null ? "" : Integer.toString(status.getCounts().getUnhealthy())));
    }

    void atResume(HealthWatch watch) {
      heldBackAtResume = lastHeldBack;
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
      maxDeclaredIn60s =
          ProtectionFigures.maxInWindow(times, ProtectionFigures.BUDGET_WINDOW_MILLIS);
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
          .put(key + "MaxHeldBack", maxHeldBack)
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
              maxHeldBack,
              unhealthyAtResume,
              removedAtResume,
              heldBackAtResume < 0 ? "-" : String.format("%,d", heldBackAtResume),
              healthy == null ? "-" : Json.number(healthy),
              zero == null ? "-" : Json.number(zero),
              registeredAgain,
              falsePositives,
              SERIES_FILE));
      String previous = null;
      for (int r = 0; r < rows.size(); r++) {
        String row = rows.get(r);
        csv.append(row).append('\n');
        String[] cells = row.split(",", -1);
        String values = String.join(",", Arrays.copyOfRange(cells, 2, 8));
        if (values.equals(previous) && r != rows.size() - 1) {
          continue;
        }
        previous = values;
        details.append(
            String.format(
                "| %s | %s | %s | %s | %s | %s | %s |%n",
                cells[1],
                cells[2],
                cells[3],
                cells[4],
                cells[5],
                cells[6],
                cells[7].isEmpty() ? "-" : cells[7]));
      }
    }
  }
}
