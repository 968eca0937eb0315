package io.roster.microbench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import io.roster.client.ServiceInstance;
import io.roster.v1.DiscoverResponse;
import io.roster.v1.HealthState;
import io.roster.v1.Instance;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each client-side and Discover benchmark's setup and method, once, on every size the benchmark
 * runs: the benchmarks must do the work they claim (a pick of an endpoint of the set, an answer
 * with every instance, an encoding that decodes back). No timing here: speed is JMH's business.
 */
@Timeout(30)
class BenchmarksWorkTest {

  @Test
  void everyStrategyPicksAnEndpointOfTheSet() {
    for (EndpointSelectionBenchmark.Strategy strategy :
        EndpointSelectionBenchmark.Strategy.values()) {
      for (int endpoints : new int[] {3, 100, 1000}) {
        EndpointSelectionBenchmark benchmark = new EndpointSelectionBenchmark();
        benchmark.strategy = strategy;
        benchmark.endpoints = endpoints;
        benchmark.setUp();
        EndpointSelectionBenchmark.HashKeys keys = new EndpointSelectionBenchmark.HashKeys();
        Set<ServiceInstance> offered = new HashSet<>(benchmark.snapshot().instances());
        assertEquals(endpoints, offered.size());
        for (int i = 0; i < 20; i++) {
          ServiceInstance picked = benchmark.pick(keys);
          assertTrue(offered.contains(picked), strategy + " picked " + picked + " of no set");
          if (strategy == EndpointSelectionBenchmark.Strategy.ZONE_AWARE) {
            assertEquals(EndpointSelectionBenchmark.CALLER_ZONE, picked.zone());
          }
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {10, 100, 1000})
  void discoverAnswersEveryHealthyInstance(int instances) throws InvalidProtocolBufferException {
    DiscoverBenchmark benchmark = new DiscoverBenchmark();
    benchmark.instances = instances;
    benchmark.setUp();
    try {
      DiscoverResponse answer = benchmark.discover();
      assertEquals(instances, answer.getInstancesCount());
      assertEquals(instances, answer.getRevision());
      for (Instance instance : answer.getInstancesList()) {
        assertEquals(HealthState.HEALTH_STATE_HEALTHY, instance.getHealth());
      }

      DiscoverResponse decoded = DiscoverResponse.parseFrom(benchmark.discoverAndEncode());
      assertEquals(answer, decoded);
    } finally {
      benchmark.tearDown();
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {10, 100, 1000})
  void encodingWritesTheWholeAnswer(int instances) throws Exception {
    DiscoverEncodingBenchmark benchmark = new DiscoverEncodingBenchmark();
    benchmark.instances = instances;
    benchmark.setUp();

    byte[] encoded = benchmark.toByteArray();
    assertTrue(encoded.length > instances * 50, "only " + encoded.length + " bytes");
    DiscoverResponse decoded = DiscoverResponse.parseFrom(encoded);
    assertEquals(instances, decoded.getInstancesCount());
    assertEquals(benchmark.response(), decoded);

    assertArrayEquals(encoded, benchmark.writeTo());
  }
}
