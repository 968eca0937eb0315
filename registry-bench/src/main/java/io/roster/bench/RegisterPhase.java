package io.roster.bench;

import io.roster.v1.Instance;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegisterResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.IntFunction;
import java.util.function.ObjIntConsumer;

/**
 * Registers the population: {@code --instances} instances spread round robin over {@code
 * --services} services, with the node's default TTL, at most {@code --concurrency} calls in flight:
 * pipelined, round robin over the nodes; or closed loop, {@code --concurrency} threads making
 * blocking calls, each thread on one node ({@code --calls}). Each instance's lease joins the
 * background heartbeats as soon as it is granted, so none expires while the rest register.
 *
 * <p>Reports registrations per second and their latency. Bounded by the count and by {@code
 * countedPhaseBoundMillis}; a registration that fails is reported, not retried.
 */
final class RegisterPhase implements Phase {
  static final String NAME = "register";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public boolean needsPopulation() {
    return false;
  }

  @Override
  public PhaseResult run(BenchContext context) throws InterruptedException {
    BenchConfig config = context.config();
    int count = config.instances();
    AtomicReferenceArray<RegisteredLease> leases = new AtomicReferenceArray<>(count);
    boolean closedLoop = config.calls() == CallMode.CLOSED_LOOP;
    UnaryLoad<RegisterResponse> pipelined = new UnaryLoad<>(config.concurrency());
    BlockingLoad<RegisterResponse> blocking = new BlockingLoad<>(config.concurrency(), NAME);
    CallLoad load = closedLoop ? blocking : pipelined;
    Progress.Rate rate = new Progress.Rate();
    Progress.Rate background = new Progress.Rate(context.background().active());
    context
        .progress()
        .show(
            NAME,
            () ->
                String.format(
                    "registered %,d/%,d, %,.0f/s, in flight %d, failed %d%s",
                    load.succeeded(),
                    count,
                    rate.perSecond(load.succeeded()),
                    load.inFlight(),
                    load.failed(),
                    context.backgroundLine(background)));
    long lostBefore = context.background().notActive();
    long lapsesBefore = context.startGaps();
    IntFunction<RegisterRequest> request = index -> request(config, index);
    IntFunction<String> serviceOf = index -> BenchContext.serviceName(index % config.services());
    ObjIntConsumer<RegisteredLease> granted =
        (lease, index) -> {
          leases.set(index, lease);
          context.registered().add(lease);
          context.gaps().track(lease, System.nanoTime());
          context.background().add(lease);
        };
    NodeCpu.Reading cpuBefore = context.startTimed(NAME);
    boolean drained =
        closedLoop
            ? context.registerBlocking(
                blocking, count, config.countedPhaseBoundMillis(), request, serviceOf, granted)
            : context.register(
                pipelined, count, config.countedPhaseBoundMillis(), request, serviceOf, granted);
    NodeCpu.Usage cpu = context.endTimed(NAME, cpuBefore);
    context.progress().clear();

    List<RegisteredLease> population = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      if (leases.get(i) != null) {
        population.add(leases.get(i));
      }
    }
    context.population(population);
    PhaseResult result = new PhaseResult(NAME);
    long lost = context.backgroundLost(result, lostBefore);
    Latencies latencies = load.latencies();
    result
        .put("ops", load.succeeded())
        .put("errors", load.failed())
        .put("instances", count)
        .put("services", config.services())
        .put("calls", config.calls().label())
        .put("concurrency", config.concurrency())
        .put("seconds", load.elapsedSeconds())
        .put("opsPerSec", load.succeededPerSecond())
        .put("p50Ms", latencies.percentileMillis(50))
        .put("p99Ms", latencies.percentileMillis(99))
        .put("p999Ms", latencies.percentileMillis(99.9))
        .put("maxMs", latencies.maxMillis())
        .put("ttlMs", population.isEmpty() ? null : population.get(0).ttlMillis())
        .put("lostLeases", lost)
        .latencies(latencies, "Register call");
    BenchContext.putCpu(result, cpu);
    context.putGaps(result, lapsesBefore);
    result.note(callsNote(config) + ", " + load.failed() + " failed");
    load.reportProblems(
        result, "", "registrations", count, config.countedPhaseBoundMillis(), drained);
    return result;
  }

  /** "32 calls in flight" or "32 threads, one blocking call each", for the table's notes. */
  static String callsNote(BenchConfig config) {
    return config.calls() == CallMode.CLOSED_LOOP
        ? config.concurrency() + " threads, one blocking call each"
        : config.concurrency() + " calls in flight";
  }

  /** Instance {@code index} of the population: a service, an id, an address, a zone, a label. */
  static RegisterRequest request(BenchConfig config, int index) {
    return RegisterRequest.newBuilder()
        .setInstance(
            Instance.newBuilder()
                .setNamespace(config.namespace())
                .setService(BenchContext.serviceName(index % config.services()))
                .setInstanceId(BenchContext.instanceId(index))
                .setHost(
                    String.format(
                        "10.%d.%d.%d", (index >> 16) & 0xff, (index >> 8) & 0xff, index & 0xff))
                .setPort(8080)
                .setZone("zone-" + (char) ('a' + index % 3))
                .setVersion("1.0." + index % 4)
                .putMetadata("bench", "true"))
        .build();
  }
}
