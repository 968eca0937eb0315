package io.roster.microbench;

import io.roster.client.EndpointSelector;
import io.roster.client.EndpointStrategy;
import io.roster.client.HealthState;
import io.roster.client.Pick;
import io.roster.client.ServiceEndpoints;
import io.roster.client.ServiceInstance;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One pick of the client's {@link EndpointSelector}, per strategy and number of endpoints: what a
 * caller pays on every request it routes. The selector is the public one ({@link
 * EndpointSelector#over}) over a snapshot that does not change, so its picker is built once in the
 * first pick and every measured pick reuses it, as between two changes of a service; building the
 * picker (once per snapshot) is not measured here.
 *
 * <p>Each pick passes a hash key (one of 1,024, in turn): the ring hash routes by it, the other
 * strategies ignore it. Each pick is {@link Pick#done() done} at once, as a caller must do for the
 * least-outstanding strategy to count its requests. Endpoints are all UP and healthy, weights 50 to
 * 150, spread over three zones; the zone-aware and panic-threshold strategies wrap weighted random
 * draws and, with every endpoint healthy, stay in the caller's zone and out of panic.
 *
 * <p>Threading: the selector is shared by the benchmark's threads, as a client shares it; each
 * thread walks its own hash keys.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class EndpointSelectionBenchmark {

  /** The zone the caller of the zone-aware strategy is in. */
  static final String CALLER_ZONE = "zone-a";

  static final List<String> ZONES = List.of("zone-a", "zone-b", "zone-c");

  /** The six strategies a client can choose, as an application builds them. */
  public enum Strategy {
    WEIGHTED_RANDOM(EndpointStrategy::weightedRandom),
    ROUND_ROBIN(EndpointStrategy::roundRobin),
    LEAST_OUTSTANDING(EndpointStrategy::leastOutstanding),
    RING_HASH(EndpointStrategy::ringHash),
    ZONE_AWARE(() -> EndpointStrategy.zoneAware(CALLER_ZONE, EndpointStrategy.weightedRandom())),
    PANIC_THRESHOLD(() -> EndpointStrategy.panicThreshold(EndpointStrategy.weightedRandom()));

    private final Supplier<EndpointStrategy> factory;

    Strategy(Supplier<EndpointStrategy> factory) {
      this.factory = factory;
    }

    EndpointStrategy create() {
      return factory.get();
    }
  }

  @Param({
    "WEIGHTED_RANDOM",
    "ROUND_ROBIN",
    "LEAST_OUTSTANDING",
    "RING_HASH",
    "ZONE_AWARE",
    "PANIC_THRESHOLD"
  })
  public Strategy strategy;

  @Param({"3", "100", "1000"})
  public int endpoints;

  private ServiceEndpoints snapshot;
  private EndpointSelector selector;

  @Setup
  public void setUp() {
    snapshot = ServiceEndpoints.of("bench", "orders", 1, instances(endpoints));
    ServiceEndpoints current = snapshot;
    selector = EndpointSelector.over(() -> current, strategy.create());
  }

  @Benchmark
  public ServiceInstance pick(HashKeys keys) {
    Pick pick = selector.pick(keys.next()).orElseThrow();
    pick.done();
    return pick.instance();
  }

  /** The snapshot the selector picks from. */
  ServiceEndpoints snapshot() {
    return snapshot;
  }

  /** {@code count} healthy UP instances, weights 50-150, in three zones. */
  static List<ServiceInstance> instances(int count) {
    List<ServiceInstance> instances = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      instances.add(
          ServiceInstance.builder("orders", "10.0." + (i / 250) + "." + (i % 250 + 1), 8080)
              .namespace("bench")
              .instanceId(String.format("orders-%04d", i))
              .weight(50 + (i * 37) % 101)
              .zone(ZONES.get(i % ZONES.size()))
              .version("1.4.2")
              .metadata("team", "payments")
              .health(HealthState.HEALTHY)
              .epoch(1)
              .revision(i + 1)
              .build());
    }
    return instances;
  }

  /** Hash keys a caller would route by (user ids), taken in turn; one set per thread. */
  @State(Scope.Thread)
  public static class HashKeys {
    private static final int COUNT = 1024;
    private final String[] keys = new String[COUNT];
    private int next;

    public HashKeys() {
      for (int i = 0; i < COUNT; i++) {
        keys[i] = "user-" + (i * 7919);
      }
    }

    String next() {
      return keys[next++ & (COUNT - 1)];
    }
  }
}
