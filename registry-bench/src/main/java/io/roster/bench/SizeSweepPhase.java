package io.roster.bench;

import com.google.protobuf.Duration;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegisterResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * How the registration rate depends on the size of the service registered into: for each size of
 * {@code --sweep-sizes} (default 10, 1,000 and 10,000), {@code --sweep-count} instances (default
 * 10,000) are registered into services of their own, round robin over count ÷ size services, so
 * each service ends with {@code size} instances. Registrations are always closed loop ({@link
 * BlockingLoad}: {@code --concurrency} threads making blocking calls, each thread on one node),
 * with 1 h leases (the node's default maximum TTL) so they need no heartbeats while they stay.
 * After each size, everything it registered is deregistered (not timed) before the next.
 *
 * <p>Reports, per size, registrations per second, latency p50, p99 and p99.9, the nodes' CPU, and
 * the ratio of the rate to the smallest size's; and what reading one full service of that size
 * costs a caller with gRPC's default limits ({@link LargeServiceReads}: a paged listing, a Watch
 * snapshot, a change's way to a Watch stream). The population's background heartbeats go on
 * meanwhile, if there is a population.
 *
 * <p>Bounded by {@code countedPhaseBoundMillis} for each registration and each deregistration.
 */
final class SizeSweepPhase implements Phase {
  static final String NAME = "size-sweep";

  /** The node's default maximum TTL (lease.max-ttl-ms); a node with a lower one grants less. */
  private static final long LEASE_TTL_SECONDS = 3_600;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public boolean needsPopulation() {
    return false;
  }

  /** What one size measured. */
  private record Step(
      int size,
      int services,
      long registered,
      long failed,
      double perSecond,
      Latencies latencies,
      double nodeCores,
      long grantedTtlMillis,
      LargeServiceReads.Figures reads) {}

  @Override
  public PhaseResult run(BenchContext context) throws InterruptedException {
    BenchConfig config = context.config();
    PhaseResult result = new PhaseResult(NAME);
    long lostBefore = context.background().notActive();
    long lapsesBefore = context.startGaps();
    List<Step> steps = new ArrayList<>();
    long registered = 0;
    for (int size : config.sweepSizes()) {
      if (context.stopRequested()) {
        break;
      }
      Step step = measure(context, size, result);
      steps.add(step);
      registered += step.registered();
    }
    long lost = context.backgroundLost(result, lostBefore);
    result
        .put("ops", registered)
        .put("calls", CallMode.CLOSED_LOOP.label())
        .put("concurrency", config.concurrency())
        .put("countPerSize", config.sweepCount());
    double smallest = steps.isEmpty() ? Double.NaN : steps.get(0).perSecond();
    List<String> notes = new ArrayList<>();
    StringBuilder table = new StringBuilder();
    table.append("### size-sweep: registrations by service size\n\n");
    table.append(
        "| instances per service | services | registered | per s | p50 ms | p99 ms | p99.9 ms |"
            + " node CPU (cores) | rate ÷ smallest size's |\n");
    table.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Step step : steps) {
      int size = step.size();
      double ratio = step.perSecond() / smallest;
      result
          .put("opsPerSecAt" + size, BenchContext.orNull(step.perSecond()))
          .put("p50MsAt" + size, step.latencies().percentileMillis(50))
          .put("p99MsAt" + size, step.latencies().percentileMillis(99))
          .put("p999MsAt" + size, step.latencies().percentileMillis(99.9))
          .put("errorsAt" + size, step.failed())
          .put("nodeCpuCoresAt" + size, BenchContext.orNull(step.nodeCores()))
          .put("rateRatioAt" + size, BenchContext.orNull(ratio));
      notes.add(
          String.format(
              Locale.ROOT,
              "%,d per service: %,.0f/s (p99 %s ms, %s×)",
              size,
              step.perSecond(),
              Json.number(step.latencies().percentileMillis(99)),
              Json.number(ratio)));
      table.append(
          String.format(
              Locale.ROOT,
              "| %,d | %,d | %,d | %,.0f | %s | %s | %s | %s | %s |%n",
              size,
              step.services(),
              step.registered(),
              step.perSecond(),
              Json.number(step.latencies().percentileMillis(50)),
              Json.number(step.latencies().percentileMillis(99)),
              Json.number(step.latencies().percentileMillis(99.9)),
              Json.number(step.nodeCores()),
              Json.number(ratio)));
    }
    table.append("\n### size-sweep: reading one service of each size\n\n");
    table.append(LargeServiceReads.HEADER);
    for (Step step : steps) {
      LargeServiceReads.Figures reads = step.reads();
      if (reads == null) {
        continue;
      }
      int size = step.size();
      table.append(LargeServiceReads.row(size, reads));
      result
          .put("listingMsAt" + size, BenchContext.orNull(reads.listingMs()))
          .put("listingPagesAt" + size, reads.pages())
          .put("listingBytesAt" + size, reads.listingBytes())
          .put("snapshotMsAt" + size, BenchContext.orNull(reads.snapshotMs()))
          .put("snapshotPartsAt" + size, reads.snapshotParts())
          .put("changeToEventP50MsAt" + size, reads.changes().percentileMillis(50))
          .put("changeToEventP99MsAt" + size, reads.changes().percentileMillis(99));
    }
    if (!steps.isEmpty()) {
      result.put("ttlMs", steps.get(0).grantedTtlMillis());
    }
    result.put("lostLeases", lost);
    context.putGaps(result, lapsesBefore);
    result.note(RegisterPhase.callsNote(config) + "; " + String.join("; ", notes));
    result.details(
        table
            + String.format(
                Locale.ROOT,
                "%n%,d instances per size, %s, 1 h leases; each size deregistered before the"
                    + " next.%n",
                config.sweepCount(),
                RegisterPhase.callsNote(config)));
    return result;
  }

  /** Registers, times and deregisters one size's instances. */
  private static Step measure(BenchContext context, int size, PhaseResult result)
      throws InterruptedException {
    BenchConfig config = context.config();
    int count = config.sweepCount();
    int services = (count + size - 1) / size;
    AtomicReferenceArray<RegisteredLease> leases = new AtomicReferenceArray<>(count);
    BlockingLoad<RegisterResponse> load = new BlockingLoad<>(config.concurrency(), NAME);
    Progress.Rate rate = new Progress.Rate();
    Progress.Rate background = new Progress.Rate(context.background().active());
    context
        .progress()
        .show(
            NAME,
            () ->
                String.format(
                    "%,d per service: registered %,d/%,d, %,.0f/s, failed %d%s",
                    size,
                    load.succeeded(),
                    count,
                    rate.perSecond(load.succeeded()),
                    load.failed(),
                    context.backgroundLine(background)));
    String label = NAME + "-" + size;
    boolean drained;
    NodeCpu.Usage cpu;
    LargeServiceReads.Figures reads;
    try {
      NodeCpu.Reading cpuBefore = context.startTimed(label);
      drained =
          context.registerBlocking(
              load,
              count,
              config.countedPhaseBoundMillis(),
              index -> request(config, size, services, index),
              index -> serviceName(size, index % services),
              (lease, index) -> leases.set(index, lease));
      cpu = context.endTimed(label, cpuBefore);
      String first = serviceName(size, 0);
      List<RegisteredLease> inFirst = new ArrayList<>();
      for (RegisteredLease lease : granted(leases)) {
        if (lease.service().equals(first)) {
          inFirst.add(lease);
        }
      }
      reads =
          inFirst.isEmpty() || context.stopRequested()
              ? null
              : LargeServiceReads.measure(
                  context,
                  first,
                  inFirst,
                  result,
                  String.format(Locale.ROOT, "at %,d per service: ", size));
    } finally {
      context.progress().clear();
      // Also when the registration broke off: 1 h leases would otherwise outlive the run.
      deregister(context, granted(leases));
    }
    List<RegisteredLease> granted = granted(leases);
    String at = String.format(Locale.ROOT, "at %,d per service: ", size);
    load.reportProblems(
        result, at, "registrations", count, config.countedPhaseBoundMillis(), drained);
    return new Step(
        size,
        services,
        load.succeeded(),
        load.failed(),
        load.succeededPerSecond(),
        load.latencies(),
        cpu.nodeCores(),
        granted.isEmpty() ? 0 : granted.get(0).ttlMillis(),
        reads);
  }

  private static List<RegisteredLease> granted(AtomicReferenceArray<RegisteredLease> leases) {
    List<RegisteredLease> granted = new ArrayList<>(leases.length());
    for (int i = 0; i < leases.length(); i++) {
      if (leases.get(i) != null) {
        granted.add(leases.get(i));
      }
    }
    return granted;
  }

  /** Deregisters {@code leases} (not timed); those left go to the run's cleanup. */
  private static void deregister(BenchContext context, List<RegisteredLease> leases)
      throws InterruptedException {
    if (!leases.isEmpty()) {
      Deregistration cleanup =
          Deregistration.run(context, leases, context.config().countedPhaseBoundMillis(), NAME);
      context.registered().addAll(cleanup.left());
    }
  }

  /** Instance {@code index} of a size's set: shaped as the population's, in services of its own. */
  static RegisterRequest request(BenchConfig config, int size, int services, int index) {
    RegisterRequest population = RegisterPhase.request(config, index);
    return population.toBuilder()
        .setInstance(
            population.getInstance().toBuilder()
                .setService(serviceName(size, index % services))
                .setInstanceId(String.format("w-%07d", index)))
        .setLeaseTtl(Duration.newBuilder().setSeconds(LEASE_TTL_SECONDS))
        .build();
  }

  static String serviceName(int size, int service) {
    return String.format("sweep-%d-%05d", size, service);
  }
}
