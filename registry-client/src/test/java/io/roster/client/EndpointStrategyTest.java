package io.roster.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Every strategy over fixed snapshots, with seeded randomness: no cluster, no clock. */
@Timeout(30)
class EndpointStrategyTest {

  private static final long SEED = 42;

  @Test
  void weightedRandomPicksInProportionToWeight() {
    List<ServiceInstance> instances =
        List.of(up("a", 100, "z1"), up("b", 200, "z1"), up("c", 700, "z1"));
    EndpointSelector selector =
        selector(instances, EndpointStrategy.weightedRandom(new SplittableRandom(SEED)));

    Map<String, Integer> counts = pick(selector, 100_000);

    // Tolerance: 1 percentage point, over six standard deviations of a share at n = 100,000
    // (sqrt(0.7 * 0.3 / 100,000) = 0.15 points), so a fair picker never fails by chance, while a
    // picker that ignores weights (33 % each) or is off by one weight step fails by far.
    assertShare(counts, "a", 0.10, 0.01);
    assertShare(counts, "b", 0.20, 0.01);
    assertShare(counts, "c", 0.70, 0.01);
  }

  @Test
  void leastOutstandingPicksInProportionToWeightWhenRequestsEndAtOnce() {
    List<ServiceInstance> instances = List.of(up("a", 100, "z1"), up("b", 300, "z1"));
    EndpointSelector selector =
        selector(instances, EndpointStrategy.leastOutstanding(new SplittableRandom(SEED)));

    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < 20_000; i++) {
      try (Pick pick = selector.pick().orElseThrow()) {
        counts.merge(pick.instance().instanceId(), 1, Integer::sum);
      }
    }
    // With nothing in flight the two draws tie and the first wins: each is drawn by weight.
    // Tolerance: 1.5 points, over four standard deviations of the share at n = 20,000.
    assertShare(counts, "a", 0.25, 0.015);
  }

  @Test
  void leastOutstandingSendsNewRequestsToTheLessLoaded() {
    ServiceInstance a = up("a", 100, "z1");
    ServiceInstance b = up("b", 100, "z1");
    LeastOutstandingStrategy strategy = new LeastOutstandingStrategy(() -> new SplittableRandom(7));
    EndpointSelector selector = selector(List.of(a, b), strategy);

    List<Pick> open = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      open.add(selector.pick().orElseThrow());
    }
    int onA = strategy.inFlight(a);
    int onB = strategy.inFlight(b);
    assertEquals(200, onA + onB);
    assertTrue(Math.abs(onA - onB) <= 10, "two choices keep loads close: " + onA + " vs " + onB);

    for (Pick pick : open) {
      pick.done();
      pick.done(); // a second done counts nothing
    }
    assertEquals(0, strategy.inFlight(a));
    assertEquals(0, strategy.inFlight(b));
  }

  @Test
  void smoothRoundRobinInterleavesExactlyByWeight() {
    List<ServiceInstance> instances =
        List.of(up("a", 500, "z1"), up("b", 100, "z1"), up("c", 100, "z1"));
    EndpointSelector selector = selector(instances, EndpointStrategy.roundRobin());

    StringBuilder order = new StringBuilder();
    for (int i = 0; i < 14; i++) {
      order.append(selector.pick().orElseThrow().instance().instanceId());
    }

    // nginx's order for weights 5:1:1, twice: spread out, never five a's in a row.
    assertEquals("aabacaaaabacaa", order.toString());
  }

  @Test
  void weightZeroAndNotUpNeverGetTraffic() {
    List<ServiceInstance> instances =
        List.of(
            up("a", 100, "z1"),
            up("zero", 0, "z1"),
            up("draining", 100, "z1").toBuilder().status(InstanceStatus.DRAINING).build(),
            up("out", 100, "z1").toBuilder().status(InstanceStatus.OUT_OF_SERVICE).build(),
            unhealthy("sick", 100, "z1"));
    for (EndpointStrategy strategy : allStrategies()) {
      Map<String, Integer> counts = pick(selector(instances, strategy), 2_000);
      assertEquals(Set.of("a"), counts.keySet(), strategy.getClass().getSimpleName());
    }
  }

  @Test
  void noRoutableEndpointGivesAnEmptyPick() {
    List<ServiceInstance> instances =
        List.of(
            up("zero", 0, "z1"),
            up("draining", 100, "z1").toBuilder().status(InstanceStatus.DRAINING).build());
    for (EndpointStrategy strategy : allStrategies()) {
      assertFalse(selector(instances, strategy).pick().isPresent());
    }
    assertFalse(selector(List.of(), EndpointStrategy.roundRobin()).pick("key").isPresent());
  }

  @Test
  void ringHashSendsAKeyToTheSameEndpointAndMovesFewKeysWhenOneLeaves() {
    List<ServiceInstance> four =
        List.of(up("a", 100, "z1"), up("b", 100, "z1"), up("c", 100, "z1"), up("d", 100, "z1"));
    EndpointSelector before =
        selector(four, EndpointStrategy.ringHash(1024, new SplittableRandom(SEED)));
    EndpointSelector after =
        selector(four.subList(0, 3), EndpointStrategy.ringHash(1024, new SplittableRandom(SEED)));

    int stayed = 0;
    int onSurvivors = 0;
    Map<String, Integer> spread = new HashMap<>();
    for (int i = 0; i < 10_000; i++) {
      String key = "10.1." + (i / 256) + "." + (i % 256);
      String owner = before.pick(key).orElseThrow().instance().instanceId();
      assertEquals(owner, before.pick(key).orElseThrow().instance().instanceId(), "stable");
      spread.merge(owner, 1, Integer::sum);
      if (!owner.equals("d")) {
        onSurvivors++;
        if (owner.equals(after.pick(key).orElseThrow().instance().instanceId())) {
          stayed++;
        }
      }
    }
    // Each of four equal endpoints owns about a quarter of the keys (tolerance 5 points: the
    // ring has 1,024 points); when d leaves, the keys of the others mostly stay where they were
    // (a modulo hash would move about three quarters of them).
    for (String id : List.of("a", "b", "c", "d")) {
      assertShare(spread, id, 0.25, 0.05);
    }
    assertTrue(stayed > 0.7 * onSurvivors, stayed + " of " + onSurvivors + " keys stayed");
  }

  @Test
  void zoneAwareStaysInTheZoneUntilItsHealthyShareDropsUnderTheThreshold() {
    List<ServiceInstance> healthy =
        List.of(
            up("a1", 100, "a"),
            up("a2", 100, "a"),
            up("a3", 100, "a"),
            up("b1", 100, "b"),
            up("b2", 100, "b"),
            up("b3", 100, "b"));
    EndpointStrategy strategy = EndpointStrategy.zoneAware("a", 0.7, EndpointStrategy.roundRobin());
    assertEquals(Set.of("a1", "a2", "a3"), pick(selector(healthy, strategy), 300).keySet());

    // One of three down in zone a: 67 % healthy, under 70 %: every zone's healthy endpoints.
    List<ServiceInstance> oneDown = new ArrayList<>(healthy);
    oneDown.set(0, unhealthy("a1", 100, "a"));
    assertEquals(
        Set.of("a2", "a3", "b1", "b2", "b3"), pick(selector(oneDown, strategy), 500).keySet());

    // With a threshold of 50 % the zone keeps its callers.
    EndpointStrategy lenient = EndpointStrategy.zoneAware("a", 0.5, EndpointStrategy.roundRobin());
    assertEquals(Set.of("a2", "a3"), pick(selector(oneDown, lenient), 300).keySet());

    // A caller in a zone with no endpoint at all uses every zone.
    EndpointStrategy elsewhere = EndpointStrategy.zoneAware("c", EndpointStrategy.roundRobin());
    assertEquals(6, pick(selector(healthy, elsewhere), 600).size());
  }

  @Test
  void panicThresholdSpreadsOverUnhealthyEndpointsWhenTooFewAreHealthy() {
    List<ServiceInstance> instances = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      instances.add(i < 4 ? up("h" + i, 100, "z1") : unhealthy("u" + i, 100, "z1"));
    }
    instances.add(up("zero", 0, "z1"));
    instances.add(unhealthy("d", 100, "z1").toBuilder().status(InstanceStatus.DRAINING).build());
    EndpointStrategy strategy =
        EndpointStrategy.panicThreshold(
            0.5, EndpointStrategy.weightedRandom(new SplittableRandom(1)));

    // 4 of 10 routable are healthy: under 50 %, so all 10 get traffic; weight 0 and DRAINING not.
    Map<String, Integer> counts = pick(selector(instances, strategy), 5_000);
    assertEquals(10, counts.size(), counts.toString());
    assertFalse(counts.containsKey("zero"));
    assertFalse(counts.containsKey("d"));

    // 4 of 6: above 50 %, only the healthy ones.
    Map<String, Integer> calm = pick(selector(instances.subList(0, 6), strategy), 2_000);
    assertEquals(Set.of("h0", "h1", "h2", "h3"), calm.keySet());
  }

  @Test
  void panicOverridesZonePreference() {
    List<ServiceInstance> instances =
        List.of(
            unhealthy("a1", 100, "a"),
            unhealthy("a2", 100, "a"),
            unhealthy("b1", 100, "b"),
            up("b2", 100, "b"));
    EndpointStrategy strategy =
        EndpointStrategy.panicThreshold(
            EndpointStrategy.zoneAware("a", EndpointStrategy.roundRobin()));
    assertEquals(4, pick(selector(instances, strategy), 400).size());
  }

  @Test
  void aSelectorRebuildsItsPickerOnlyForANewSnapshot() {
    ServiceEndpoints first = ServiceEndpoints.of("default", "s", 1, List.of(up("a", 100, "z1")));
    ServiceEndpoints older = first.withAge(Duration.ofSeconds(3));
    ServiceEndpoints second = ServiceEndpoints.of("default", "s", 2, List.of(up("b", 100, "z1")));
    ServiceEndpoints[] current = {first};
    EndpointSelector selector =
        EndpointSelector.over(() -> current[0], EndpointStrategy.roundRobin());

    assertEquals("a", selector.pick().orElseThrow().instance().instanceId());
    current[0] = older; // same instances, only older: same picker
    assertEquals("a", selector.pick().orElseThrow().instance().instanceId());
    assertEquals(Duration.ofSeconds(3), selector.endpoints().age());
    current[0] = second;
    assertEquals("b", selector.pick().orElseThrow().instance().instanceId());
  }

  private static List<EndpointStrategy> allStrategies() {
    return List.of(
        EndpointStrategy.weightedRandom(new SplittableRandom(SEED)),
        EndpointStrategy.roundRobin(),
        EndpointStrategy.leastOutstanding(new SplittableRandom(SEED)),
        EndpointStrategy.ringHash(64, new SplittableRandom(SEED)),
        EndpointStrategy.zoneAware("z1", EndpointStrategy.roundRobin()),
        EndpointStrategy.panicThreshold(0.1, EndpointStrategy.roundRobin()));
  }

  private static EndpointSelector selector(
      List<ServiceInstance> instances, EndpointStrategy strategy) {
    ServiceEndpoints endpoints = ServiceEndpoints.of("default", "svc", 7, instances);
    return EndpointSelector.over(() -> endpoints, strategy);
  }

  private static Map<String, Integer> pick(EndpointSelector selector, int times) {
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < times; i++) {
      String key = "k" + i;
      selector
          .pick(key)
          .ifPresent(
              pick -> {
                counts.merge(pick.instance().instanceId(), 1, Integer::sum);
                pick.done();
              });
    }
    return counts;
  }

  private static void assertShare(
      Map<String, Integer> counts, String id, double expected, double tolerance) {
    int total = counts.values().stream().mapToInt(Integer::intValue).sum();
    double share = counts.getOrDefault(id, 0) / (double) total;
    assertTrue(
        Math.abs(share - expected) <= tolerance,
        id + " got " + share + " of the picks, expected " + expected + " ± " + tolerance);
  }

  static ServiceInstance up(String id, int weight, String zone) {
    return ServiceInstance.builder("svc", "10.0.0." + Math.abs(id.hashCode() % 250), 8080)
        .instanceId(id)
        .weight(weight)
        .zone(zone)
        .health(HealthState.HEALTHY)
        .build();
  }

  static ServiceInstance unhealthy(String id, int weight, String zone) {
    return up(id, weight, zone).toBuilder().health(HealthState.UNHEALTHY).build();
  }
}
