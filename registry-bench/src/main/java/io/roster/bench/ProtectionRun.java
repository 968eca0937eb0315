package io.roster.bench;

import io.grpc.StatusRuntimeException;
import io.roster.v1.ClusterMember;
import io.roster.v1.ClusterServiceGrpc;
import io.roster.v1.ClusterStatusRequest;
import io.roster.v1.ClusterStatusResponse;
import io.roster.v1.RegisterResponse;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The protection phase's state between scenarios: the fleet, the watch, the leader, and what every
 * declaration seen so far says. Main thread only.
 */
final class ProtectionRun {
  static final long POLL_MILLIS = 50;
  private static final long STATUS_DEADLINE_MILLIS = 2_000;

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

  ProtectionRun(BenchContext context, ProtectionFleet fleet, HealthWatch watch, RenewalGaps gaps) {
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

  /** Shows {@code line} as the phase's progress line, until the next one. */
  void show(Supplier<String> line) {
    context.progress().show(ProtectionPhase.NAME, line);
  }

  /** Registers the fleet; each lease is kept alive as soon as it is granted. */
  int register() throws InterruptedException {
    BenchConfig config = context.config();
    int size = fleet.size();
    UnaryLoad<RegisterResponse> load = new UnaryLoad<>(config.concurrency());
    show(() -> String.format("registering the fleet: %,d/%,d", load.succeeded(), size));
    context.register(
        load,
        size,
        config.countedPhaseBoundMillis(),
        index -> ProtectionInstances.request(config, index),
        index -> ProtectionInstances.serviceOf(config.protection(), index),
        (lease, index) -> fleet.add(index, lease));
    return (int) load.succeeded();
  }

  /**
   * Waits for every service's snapshot and two heartbeat intervals, so each lease has been renewed
   * since it was granted; false when the snapshots do not come.
   */
  boolean warmUp() throws InterruptedException {
    long start = System.nanoTime();
    long intervalMillis = fleet.lease(fleet.firstRegistered()).heartbeatIntervalMillis();
    long endNanos = start + TimeUnit.MILLISECONDS.toNanos(2 * intervalMillis);
    long boundNanos = start + TimeUnit.MILLISECONDS.toNanos(ProtectionConfig.WARMUP_BOUND_MILLIS);
    show(() -> String.format("warming up: snapshots %s", watch.ready() ? "in" : "awaited"));
    findLeader();
    waitUntil(boundNanos, () -> watch.ready() && System.nanoTime() - endNanos >= 0, null);
    absorb(null);
    return watch.ready();
  }

  /** Waits until no declaration was seen for {@code settleMillis}, at most twice that + 10 s. */
  void settle(long settleMillis, String key) throws InterruptedException {
    if (settleMillis == 0) {
      return;
    }
    long settleNanos = TimeUnit.MILLISECONDS.toNanos(settleMillis);
    long bound = System.nanoTime() + 2 * settleNanos + TimeUnit.SECONDS.toNanos(10);
    show(
        () ->
            String.format(
                "before %s: %d s since the last declaration, waiting for %d s",
                key,
                TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - watch.lastDeclarationNanos()),
                TimeUnit.MILLISECONDS.toSeconds(settleMillis)));
    waitUntil(bound, () -> System.nanoTime() - watch.lastDeclarationNanos() >= settleNanos, null);
  }

  /**
   * Sleeps in steps of {@value #POLL_MILLIS} ms until {@code done} or {@code endNanos} or a stop
   * ProtectionInstances.request, taking in declarations on each step.
   */
  void waitUntil(long endNanos, BooleanSupplier done, ScenarioDeclarations scenario)
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

  void mark(int[] indices, boolean value) {
    for (int index : indices) {
      silent[index] = value;
    }
  }

  /**
   * Takes the declarations the watch received. One of a silent instance, or of one that resumed
   * less than a TTL + 2 s ago (a sweep may have decided before its first heartbeat arrived),
   * belongs to {@code scenario} when the scenario covers it; one of an instance that heartbeats is
   * a false positive.
   */
  void absorb(ScenarioDeclarations scenario) {
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
    if (status != null) {
      findLeaderIn(status);
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
