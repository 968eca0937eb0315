package io.roster.microbench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roster.client.ServiceInstance;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link EndpointSelectionBenchmark}'s setup and method, once, for every strategy and size it runs:
 * each pick must be an endpoint of the set (of the caller's zone for the zone-aware one). No timing
 * here: speed is JMH's business.
 */
@Timeout(30)
class EndpointSelectionWorkTest {

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
}
