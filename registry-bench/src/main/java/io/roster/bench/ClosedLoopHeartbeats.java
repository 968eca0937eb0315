package io.roster.bench;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.roster.v1.HeartbeatRequest;
import io.roster.v1.RegistryServiceGrpc;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The heartbeat phase with {@code --calls closed-loop}: {@code --concurrency} threads send unary
 * {@code Heartbeat} calls, one blocking call in flight each, each thread on one node, renewing the
 * population's leases in turn for {@code --duration-s}. The background heartbeats go on meanwhile
 * (unlike the pipelined phase, which pauses them): a simple client heartbeats with unary calls
 * while the rest of the fleet keeps its leases alive.
 *
 * <p>An answer {@code NOT_FOUND} (unknown or evicted lease) or {@code FAILED_PRECONDITION} (a newer
 * epoch) is a lost lease, counted apart from failed calls (any other status).
 *
 * <p>Bounded by the duration plus a call deadline and a second, and by a count cap.
 *
 * <p>Threading: {@link #run} on the bench's main thread; answers are counted on the caller threads.
 */
final class ClosedLoopHeartbeats {
  private static final long MAX_CALLS_PER_SECOND = 1_000_000;

  private ClosedLoopHeartbeats() {}

  /** One answer: OK (renewed), or the status that says the lease is lost. */
  private record Answer(String leaseId, Status status) {}

  static PhaseResult run(BenchContext context, PhaseResult result) throws InterruptedException {
    BenchConfig config = context.config();
    List<RegisteredLease> population = context.population();
    BlockingLoad<Answer> load = new BlockingLoad<>(config.concurrency(), HeartbeatPhase.NAME);
    AtomicLong active = new AtomicLong();
    AtomicLong notActive = new AtomicLong();
    AtomicReference<String> firstNotActive = new AtomicReference<>();
    Progress.Rate rate = new Progress.Rate();
    Progress.Rate background = new Progress.Rate(context.background().active());
    context
        .progress()
        .show(
            HeartbeatPhase.NAME,
            () ->
                String.format(
                    "%,.0f heartbeats/s ACTIVE (unary), total %,d, not ACTIVE %d, failed %d%s",
                    rate.perSecond(active.get()),
                    active.get(),
                    notActive.get(),
                    load.failed(),
                    context.backgroundLine(background)));
    long lostBefore = context.background().notActive();
    long lapsesBefore = context.startGaps();
    long backgroundBefore = context.background().active();
    NodeCpu.Reading cpuBefore = context.startTimed(HeartbeatPhase.NAME);
    boolean drained =
        load.run(
            MAX_CALLS_PER_SECOND * TimeUnit.MILLISECONDS.toSeconds(config.phaseDurationMillis()),
            System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.phaseDurationMillis()),
            TimeUnit.MILLISECONDS.toNanos(config.callDeadlineMillis() + 1_000),
            context::stopRequested,
            (thread, index) -> {
              RegisteredLease lease = population.get((int) (index % population.size()));
              try {
                RegistryServiceGrpc.newBlockingStub(context.channelOfThread(thread))
                    .withDeadlineAfter(config.callDeadlineMillis(), TimeUnit.MILLISECONDS)
                    .heartbeat(
                        HeartbeatRequest.newBuilder()
                            .setLeaseId(lease.leaseId())
                            .setEpoch(lease.epoch())
                            .build());
                return new Answer(lease.leaseId(), Status.OK);
              } catch (StatusRuntimeException e) {
                Status.Code code = e.getStatus().getCode();
                if (code == Status.Code.NOT_FOUND || code == Status.Code.FAILED_PRECONDITION) {
                  return new Answer(lease.leaseId(), e.getStatus());
                }
                throw e; // a failed call, not an answer about the lease
              }
            },
            (index, answer) -> {
              if (answer.status().isOk()) {
                context.gaps().renewed(answer.leaseId(), System.nanoTime());
                active.incrementAndGet();
              } else {
                notActive.incrementAndGet();
                firstNotActive.compareAndSet(
                    null,
                    answer.status().getCode()
                        + " for "
                        + answer.leaseId()
                        + ": "
                        + answer.status().getDescription());
              }
            });
    NodeCpu.Usage cpu = context.endTimed(HeartbeatPhase.NAME, cpuBefore);
    context.progress().clear();

    long backgroundBeats = context.background().active() - backgroundBefore;
    long lostBackground = context.backgroundLost(result, lostBefore);
    Latencies latencies = load.latencies();
    double seconds = load.elapsedSeconds();
    // The nodes' CPU went to both kinds of heartbeats: the figure per 1,000/s counts them all.
    long handled = active.get() + notActive.get() + backgroundBeats;
    double cpuPer1k = cpu.nodeCpuSeconds() / (handled / 1_000.0);
    result
        .put("ops", active.get())
        .put("seconds", seconds)
        .put("opsPerSec", active.get() / seconds)
        .put("p50Ms", latencies.percentileMillis(50))
        .put("p99Ms", latencies.percentileMillis(99))
        .put("p999Ms", latencies.percentileMillis(99.9))
        .put("maxMs", latencies.maxMillis())
        .put("calls", config.calls().label())
        .put("concurrency", config.concurrency())
        .put("leases", population.size())
        .put("notActive", notActive.get())
        .put("errors", load.failed())
        .put("backgroundHeartbeatsPerSec", BenchContext.orNull(backgroundBeats / cpu.wallSeconds()))
        .put("lostLeases", notActive.get() + lostBackground)
        .latencies(latencies, "Heartbeat call");
    BenchContext.putCpu(result, cpu);
    context.putGaps(result, lapsesBefore);
    result.put("nodeCpuSeconds", BenchContext.orNull(cpu.nodeCpuSeconds()));
    result.put("cpuSecondsPer1kHeartbeatsPerSec", BenchContext.orNull(cpuPer1k));
    result.put("cpuMeasured", context.cpu().measured());
    String calls = RegisterPhase.callsNote(config) + ", unary Heartbeat, background on";
    if (context.cpu().measured() && !Double.isNaN(cpuPer1k)) {
      result.note(
          String.format(
              "%s (%,.0f/s); nodes used %.2f cores: %.3f CPU-s per 1,000 heartbeats/s, both"
                  + " kinds",
              calls, backgroundBeats / cpu.wallSeconds(), cpu.nodeCores(), cpuPer1k));
    } else {
      result.note(calls + "; CPU not measured (" + context.cpu().unmeasuredReason() + ")");
    }
    if (notActive.get() > 0) {
      result.problem(
          notActive.get()
              + " heartbeats answered other than ACTIVE: leases lost ("
              + firstNotActive.get()
              + ")");
    }
    if (load.failed() > 0) {
      result.problem(load.failed() + " heartbeat calls failed " + load.failureSummary());
    }
    if (!drained) {
      result.problem(load.inFlight() + " heartbeat calls still unanswered after their deadline");
    }
    return result;
  }
}
