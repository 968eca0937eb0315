package io.roster.bench;

import io.roster.v1.DiscoverRequest;
import io.roster.v1.DiscoverResponse;
import io.roster.v1.DiscoveryServiceGrpc;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Asks for the healthy instances of random services of the population, {@code --concurrency} calls
 * in flight, for {@code --duration-s}, while the population heartbeats in the background at its
 * real rate: pipelined, round robin over the nodes, or closed loop, {@code --concurrency} threads
 * making blocking calls, each thread on one node ({@code --calls}).
 *
 * <p>Reports queries per second and latency p50, p99 and p99.9, and how many answers were empty
 * (every service queried has healthy instances, so an empty answer is a wrong one). Bounded by the
 * duration and by a count cap, plus a drain of at most the call deadline.
 */
final class DiscoverPhase implements Phase {
  static final String NAME = "discover";

  /** Queries started at most, per second of the phase: far above what one machine serves. */
  private static final long MAX_QUERIES_PER_SECOND = 1_000_000;

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
          .problem("no service to query: the register phase registered none");
    }
    List<String> services = BenchContext.serviceNames(config.services());
    // The services queried come from the run's seed: drawn on this thread (pipelined), or from a
    // generator per caller thread split from it here (closed loop).
    SplittableRandom random = context.newRandom();
    boolean closedLoop = config.calls() == CallMode.CLOSED_LOOP;
    UnaryLoad<DiscoverResponse> pipelined = new UnaryLoad<>(config.concurrency());
    BlockingLoad<DiscoverResponse> blocking = new BlockingLoad<>(config.concurrency(), NAME);
    CallLoad load = closedLoop ? blocking : pipelined;
    SplittableRandom[] perThread = new SplittableRandom[closedLoop ? config.concurrency() : 0];
    for (int t = 0; t < perThread.length; t++) {
      perThread[t] = random.split();
    }
    AtomicLong instancesSeen = new AtomicLong();
    AtomicLong emptyAnswers = new AtomicLong();
    AtomicLong shortAnswers = new AtomicLong();
    Map<String, Integer> registeredPerService = new HashMap<>();
    for (RegisteredLease lease : context.population()) {
      registeredPerService.merge(lease.service(), 1, Integer::sum);
    }
    UnaryLoad.OnSuccess<DiscoverResponse> check =
        (index, response) -> {
          instancesSeen.addAndGet(response.getInstancesCount());
          if (response.getInstancesCount() == 0) {
            emptyAnswers.incrementAndGet();
          } else if (response.getInstancesCount()
              < registeredPerService.getOrDefault(response.getInstances(0).getService(), 0)) {
            shortAnswers.incrementAndGet(); // some of its instances were unhealthy
          }
        };
    Progress.Rate rate = new Progress.Rate();
    Progress.Rate background = new Progress.Rate(context.background().active());
    context
        .progress()
        .show(
            NAME,
            () ->
                String.format(
                    "%,.0f queries/s, total %,d, failed %d, short %d%s",
                    rate.perSecond(load.succeeded()),
                    load.succeeded(),
                    load.failed(),
                    shortAnswers.get() + emptyAnswers.get(),
                    context.backgroundLine(background)));
    long lostBefore = context.background().notActive();
    long lapsesBefore = context.startGaps();
    long backgroundBefore = context.background().active();
    long maxQueries =
        MAX_QUERIES_PER_SECOND * TimeUnit.MILLISECONDS.toSeconds(config.phaseDurationMillis());
    long drainNanos = TimeUnit.MILLISECONDS.toNanos(config.callDeadlineMillis() + 1_000);
    NodeCpu.Reading cpuBefore = context.startTimed(NAME);
    long endNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.phaseDurationMillis());
    if (closedLoop) {
      blocking.run(
          maxQueries,
          endNanos,
          drainNanos,
          context::stopRequested,
          (thread, index) ->
              DiscoveryServiceGrpc.newBlockingStub(context.channelOfThread(thread))
                  .withDeadlineAfter(config.callDeadlineMillis(), TimeUnit.MILLISECONDS)
                  .discover(request(config, services, perThread[thread])),
          check);
    } else {
      pipelined.run(
          maxQueries,
          endNanos,
          drainNanos,
          context::stopRequested,
          (index, observer) ->
              DiscoveryServiceGrpc.newStub(context.cluster().nextChannel())
                  .withDeadlineAfter(config.callDeadlineMillis(), TimeUnit.MILLISECONDS)
                  .discover(request(config, services, random), observer),
          check);
    }
    NodeCpu.Usage cpu = context.endTimed(NAME, cpuBefore);
    context.progress().clear();

    long lost = context.backgroundLost(result, lostBefore);
    Latencies latencies = load.latencies();
    result
        .put("ops", load.succeeded())
        .put("errors", load.failed())
        .put("calls", config.calls().label())
        .put("concurrency", config.concurrency())
        .put("seconds", load.elapsedSeconds())
        .put("opsPerSec", load.succeededPerSecond())
        .put("p50Ms", latencies.percentileMillis(50))
        .put("p99Ms", latencies.percentileMillis(99))
        .put("p999Ms", latencies.percentileMillis(99.9))
        .put("maxMs", latencies.maxMillis())
        .put(
            "meanInstances",
            load.succeeded() == 0 ? null : (double) instancesSeen.get() / load.succeeded())
        .put("emptyAnswers", emptyAnswers.get())
        .put("shortAnswers", shortAnswers.get())
        .put(
            "backgroundHeartbeatsPerSec",
            (context.background().active() - backgroundBefore) / cpu.wallSeconds())
        .put("lostLeases", lost)
        .latencies(latencies, "Discover call");
    BenchContext.putCpu(result, cpu);
    context.putGaps(result, lapsesBefore);
    result.note(
        String.format(
            "%s; background %,.0f heartbeats/s",
            RegisterPhase.callsNote(config),
            (context.background().active() - backgroundBefore) / cpu.wallSeconds()));
    if (load.failed() > 0) {
      result.problem(load.failed() + " queries failed " + load.failureSummary());
    }
    if (shortAnswers.get() > 0) {
      result.problem(
          shortAnswers.get()
              + " answers listed fewer healthy instances than the bench keeps alive in the"
              + " service");
    }
    if (emptyAnswers.get() > 0) {
      result.problem(emptyAnswers.get() + " answers listed no healthy instance");
    }
    return result;
  }

  /** A Discover of the healthy instances of a service drawn from {@code random}. */
  private static DiscoverRequest request(
      BenchConfig config, List<String> services, SplittableRandom random) {
    return DiscoverRequest.newBuilder()
        .setNamespace(config.namespace())
        .setService(services.get(random.nextInt(services.size())))
        .build();
  }
}
