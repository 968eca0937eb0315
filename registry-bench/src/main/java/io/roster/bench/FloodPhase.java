package io.roster.bench;

import io.grpc.ManagedChannel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What one flooding caller costs a well-behaved one on the same node: the well-behaved caller's
 * Discover latency without and with a flood, and the node's heap (issue: limits that protect
 * everyone else). Asked for by name ({@code --phases flood}).
 *
 * <p>Both callers use the first target. The well-behaved one ({@link WellBehavedCaller}, from
 * {@value #WELL_BEHAVED_ADDRESS}) registers one service of 100 instances with 1 h leases, reads it
 * for a warm-up (a quarter of the duration, at most 5 s, not counted), then with {@value
 * WellBehavedCaller#THREADS} threads of blocking Discover calls for {@code --flood-duration-s};
 * then again while the flooder (from {@value #FLOODER_ADDRESS}, or with its own token) registers
 * new services as fast as it can ({@link FloodRegistrations}) and opens up to {@code
 * --flood-streams} Watch streams of the well-behaved service ({@link FloodStreams}). At the flood's
 * end, before anything closes, it reads the node's heap after a full collection and its open
 * streams ({@code /metrics}); then it closes the streams and deregisters what the flooder
 * registered, from the flooder's address over every target (each node limits a caller for itself,
 * so three nodes take three times its rate), each refusal sent again after the delay the node asked
 * for.
 *
 * <p>Only the well-behaved caller's errors fail the run: the flooder's refusals are the figure.
 *
 * <p>Bounded: the warm-up and two measurements of the duration (each plus a call deadline to
 * drain), the setup and the cleanup each by {@code --max-phase-s}, and heap readings by jcmd's
 * bound.
 */
final class FloodPhase implements Phase {
  static final String NAME = "flood";
  static final String WELL_BEHAVED_ADDRESS = "127.0.0.1";
  static final String FLOODER_ADDRESS = "127.0.0.2";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public boolean needsPopulation() {
    return false; // the well-behaved caller registers a service of its own
  }

  @Override
  public PhaseResult run(BenchContext context) throws InterruptedException {
    BenchConfig config = context.config();
    FloodConfig flood = config.flood();
    TargetAddress target = config.targets().get(0);
    PhaseResult result = new PhaseResult(NAME);
    boolean byAddress = isIpv4Loopback(target);
    if (!byAddress && !flood.flooderHasOwnToken()) {
      return result
          .put("ops", 0)
          .problem(
              "not measured: the two callers are told apart by their source addresses ("
                  + WELL_BEHAVED_ADDRESS
                  + ", "
                  + FLOODER_ADDRESS
                  + "), which needs the first target on 127.0.0.0/8 as an IPv4 literal, not "
                  + target
                  + "; or by their tokens, with --flood-token-file");
    }
    // Off loopback, a source address on it could not reach the target: the tokens tell them apart.
    Caller wellBehaved =
        Caller.from(
            "well-behaved caller", byAddress ? WELL_BEHAVED_ADDRESS : null, config.transport());
    Caller flooder =
        Caller.from("flooder", byAddress ? FLOODER_ADDRESS : null, flood.flooderTransport());
    FloodReport report = new FloodReport(target, wellBehaved, flooder, flood);
    WellBehavedCaller reader = new WellBehavedCaller(wellBehaved, target);
    try {
      context.progress().say(NAME + ": the well-behaved caller registers its service");
      String setup = reader.register(context, config.countedPhaseBoundMillis());
      if (setup != null) {
        return result.put("ops", 0).problem(setup);
      }
      // Not counted: the node's Discover path and the caller's connections warm up first, or the
      // baseline would hold the JIT's compilations and the flood would look cheaper than it is.
      reader.measure(context, warmupMillis(flood), "warm-up", () -> "");
      report.heapBefore(heap(context, "before the flood"));
      NodeCpu.Reading cpuBefore = context.startTimed(NAME + "-baseline");
      report.baseline(reader.measure(context, flood.durationMillis(), "baseline", () -> ""));
      report.baselineCpu(context.endTimed(NAME + "-baseline", cpuBefore));
      report.metricsBefore(metrics(config, target));
      floodWhileReading(context, reader, flooder, target, report);
    } finally {
      reader.close();
    }
    return report.result(result, context.stopRequested());
  }

  /** A quarter of the duration, at most 5 s. */
  static long warmupMillis(FloodConfig flood) {
    return Math.min(5_000, flood.durationMillis() / 4);
  }

  /** The flood and the second measurement, then the readings at its end, then its cleanup. */
  private static void floodWhileReading(
      BenchContext context,
      WellBehavedCaller reader,
      Caller flooder,
      TargetAddress target,
      FloodReport report)
      throws InterruptedException {
    BenchConfig config = context.config();
    FloodConfig flood = config.flood();
    FloodRegistrations registrations = new FloodRegistrations(flooder, target);
    FloodStreams streams = new FloodStreams();
    report.flooded(registrations, streams);
    try {
      NodeCpu.Reading cpuBefore = context.startTimed(NAME);
      long endNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(flood.durationMillis());
      if (flood.registrations() > 0) {
        registrations.start(context, flood.registrations(), endNanos);
      }
      streams.open(
          flooder, target, config.namespace(), WellBehavedCaller.SERVICE, flood.streams(), context);
      Progress.Rate rate = new Progress.Rate();
      report.during(
          reader.measure(
              context,
              Math.max(0, TimeUnit.NANOSECONDS.toMillis(endNanos - System.nanoTime())),
              "during",
              () ->
                  String.format(
                      " | flooder: registered %,.0f/s, %,d refused; streams %,d open, %,d refused",
                      rate.perSecond(registrations.accepted()),
                      registrations.refused(),
                      streams.opened(),
                      streams.refused())));
      report.floodCpu(context.endTimed(NAME, cpuBefore));
      if (flood.registrations() > 0) {
        report.registrationsDrained(registrations.awaitEnd(config.callDeadlineMillis() + 2_000));
      }
      // The flood's end, with every stream still open: what the node holds for it.
      report.metricsAfter(metrics(config, target));
      report.heapAfter(heap(context, "at the end of the flood"));
    } finally {
      streams.close();
      registrations.close();
      report.cleanup(deregister(context, flooder, registrations.leases()));
    }
  }

  /**
   * Deregisters the flooder's instances from its own address, round robin over every target; those
   * left go to the run's cleanup. Null when there was nothing to deregister.
   */
  private static Deregistration deregister(
      BenchContext context, Caller flooder, List<RegisteredLease> leases)
      throws InterruptedException {
    if (leases.isEmpty()) {
      return null;
    }
    List<ManagedChannel> channels = new ArrayList<>();
    for (TargetAddress target : context.config().targets()) {
      channels.add(flooder.connect(target));
    }
    AtomicInteger next = new AtomicInteger();
    try {
      Deregistration cleanup =
          Deregistration.run(
              context,
              leases,
              context.config().countedPhaseBoundMillis(),
              NAME + " cleanup",
              () -> channels.get((next.getAndIncrement() & Integer.MAX_VALUE) % channels.size()));
      context.registered().addAll(cleanup.left());
      return cleanup;
    } finally {
      for (ManagedChannel channel : channels) {
        channel.shutdownNow();
      }
      for (ManagedChannel channel : channels) {
        channel.awaitTermination(2, TimeUnit.SECONDS);
      }
    }
  }

  /** The target node's heap after a full collection; empty (and why, on stderr) when unread. */
  private static NodeReading<Long> heap(BenchContext context, String when)
      throws InterruptedException {
    String unavailable =
        !context.cpu().measured() ? context.cpu().unmeasuredReason() : NodeHeap.unavailableReason();
    if (unavailable != null) {
      return NodeReading.unread(unavailable);
    }
    context.progress().say(NAME + ": heap of the target after GC, " + when);
    try {
      return NodeReading.of(NodeHeap.usedAfterGc(context.cpu().pids().get(0)));
    } catch (IllegalStateException e) {
      return NodeReading.unread(e.getMessage());
    }
  }

  /** The target's /metrics; unread over TLS, or when the node does not answer. */
  private static NodeReading<NodeMetrics> metrics(BenchConfig config, TargetAddress target)
      throws InterruptedException {
    if (!config.transport().speaksPlaintext()) {
      return NodeReading.unread("the nodes speak TLS; the bench reads /metrics over plain HTTP");
    }
    try {
      return NodeReading.of(NodeMetrics.read(target));
    } catch (IOException e) {
      return NodeReading.unread(target + "/metrics: " + e.getMessage());
    }
  }

  private static boolean isIpv4Loopback(TargetAddress target) {
    return target.isLoopback() && target.host().matches("127\\.[0-9.]+");
  }
}
