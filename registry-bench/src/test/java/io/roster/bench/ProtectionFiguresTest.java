package io.roster.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roster.bench.ProtectionFigures.Regime;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class ProtectionFiguresTest {

  @Test
  void budgetIsFifteenPercentOfTheRegistryAndNeverBelowThree() {
    assertEquals(1_500, ProtectionFigures.budget(15, 10_000));
    assertEquals(1_515, ProtectionFigures.budget(15, 10_100));
    assertEquals(9, ProtectionFigures.budget(15, 66)); // 9.9, rounded down
    assertEquals(3, ProtectionFigures.budget(15, 10));
    assertEquals(3, ProtectionFigures.budget(15, 0));
  }

  @Test
  void oneDeadServiceAmongAHundredIsAServiceFailure() {
    assertEquals(Regime.SERVICE_FAILURE, ProtectionFigures.regime(1, 101, 100, 10_100));
    // 15 % of 100 services: up to 15 may fail at once.
    assertEquals(Regime.SERVICE_FAILURE, ProtectionFigures.regime(15, 100, 1_500, 10_000));
    assertEquals(Regime.REGISTRY_BUDGET, ProtectionFigures.regime(16, 100, 1_600, 10_000));
    // A few services, but max(3, ...) of them: 3 of 6 services still counts as few.
    assertEquals(Regime.SERVICE_FAILURE, ProtectionFigures.regime(3, 6, 10, 70));
  }

  @Test
  void silenceAcrossEveryServiceOrOfHalfTheRegistryFallsToTheBudget() {
    assertEquals(Regime.REGISTRY_BUDGET, ProtectionFigures.regime(100, 100, 5_000, 10_000));
    assertEquals(Regime.REGISTRY_BUDGET, ProtectionFigures.regime(100, 100, 3_333, 10_000));
    // All the services, however few.
    assertEquals(Regime.REGISTRY_BUDGET, ProtectionFigures.regime(2, 2, 2, 100));
    // Half the registry, even in one service.
    assertEquals(Regime.REGISTRY_BUDGET, ProtectionFigures.regime(1, 10, 50, 100));
    assertEquals(Regime.SERVICE_FAILURE, ProtectionFigures.regime(1, 10, 49, 100));
  }

  @Test
  void maxInWindowCountsEventsLessThanAWindowApart() {
    long[] twoSweepsAMinuteApart = new long[3_000];
    Arrays.fill(twoSweepsAMinuteApart, 0, 1_500, 10_500);
    Arrays.fill(twoSweepsAMinuteApart, 1_500, 3_000, 70_500);
    assertEquals(1_500, ProtectionFigures.maxInWindow(twoSweepsAMinuteApart, 60_000));

    twoSweepsAMinuteApart[2_999] = 70_499; // one declared a millisecond too early
    assertEquals(1_501, ProtectionFigures.maxInWindow(twoSweepsAMinuteApart, 60_000));
  }

  @Test
  void maxInWindowTakesUnsortedTimesAndFindsTheBusiestWindow() {
    long[] times = {50_000, 0, 59_999, 120_000, 61_000, 100_000, 110_000};
    // [50,000, 110,000): 50,000, 59,999, 61,000, 100,000 — and 110,000 is excluded.
    assertEquals(4, ProtectionFigures.maxInWindow(times, 60_000));
    assertEquals(0, ProtectionFigures.maxInWindow(new long[0], 60_000));
    assertEquals(50_000, times[0], "the input is left as it was");
  }

  @Test
  void randomSubsetDrawsDistinctIndicesRepeatablyForASeed() {
    int[] chosen = ProtectionFigures.randomSubset(10_000, 5_000, new SplittableRandom(1));
    Set<Integer> distinct = new HashSet<>();
    for (int index : chosen) {
      assertTrue(index >= 0 && index < 10_000, "out of range: " + index);
      distinct.add(index);
    }
    assertEquals(5_000, distinct.size());
    int[] sorted = chosen.clone();
    Arrays.sort(sorted);
    assertArrayEquals(sorted, chosen);
    assertArrayEquals(
        chosen, ProtectionFigures.randomSubset(10_000, 5_000, new SplittableRandom(1)));
    assertEquals(3, ProtectionFigures.randomSubset(3, 3, new SplittableRandom(2)).length);
    assertThrows(
        IllegalArgumentException.class,
        () -> ProtectionFigures.randomSubset(3, 4, new SplittableRandom(2)));
  }

  @Test
  void randomHalfOfTheFleetTouchesEveryService() {
    ProtectionConfig sizes = sizes(10_000, 100);
    int[] half = ProtectionFigures.randomSubset(10_000, 5_000, new SplittableRandom(1));
    Set<String> services = new HashSet<>();
    for (int index : half) {
      services.add(ProtectionInstances.serviceOf(sizes, index));
    }
    assertEquals(100, services.size());
  }

  @Test
  void stillHealthyCountsTheNeverSeenAndTheSeenAfterTheDeadline() {
    long never = Long.MIN_VALUE;
    long[] seen = {10_400, 11_000, 11_001, never};
    long[] deadlines = {11_000, 11_000, 11_000, 11_000};
    assertEquals(2, ProtectionFigures.stillHealthyAt(seen, deadlines));
  }

  @Test
  void everyServiceSpansTheThreeZonesAndZoneCIsAThird() {
    ProtectionConfig sizes = sizes(10_000, 100);
    Map<String, Set<String>> zonesByService = new HashMap<>();
    for (int i = 0; i < sizes.instances(); i++) {
      zonesByService
          .computeIfAbsent(ProtectionInstances.serviceOf(sizes, i), s -> new HashSet<>())
          .add(ProtectionInstances.zoneOf(sizes, i));
    }
    assertEquals(100, zonesByService.size());
    zonesByService.forEach(
        (service, zones) -> assertEquals(3, zones.size(), service + " spans " + zones));
    int[] zoneC = ProtectionInstances.zoneIndices(sizes, 'c');
    assertEquals(3_300, zoneC.length); // 33 of the 100 rounds of 100 instances

    ProtectionConfig smoke = sizes(60, 6);
    Set<String> smokeServices = new HashSet<>();
    for (int index : ProtectionInstances.zoneIndices(smoke, 'c')) {
      smokeServices.add(ProtectionInstances.serviceOf(smoke, index));
    }
    assertEquals(6, smokeServices.size(), "zone-c spans every service in smoke sizes too");
  }

  @Test
  void theDeadServiceIsApartFromThePopulation() {
    ProtectionConfig sizes = sizes(10_000, 100);
    assertEquals(ProtectionInstances.DEAD_SERVICE, ProtectionInstances.serviceOf(sizes, 10_000));
    assertEquals(ProtectionInstances.DEAD_SERVICE, ProtectionInstances.serviceOf(sizes, 10_099));
    assertEquals("protect-0099", ProtectionInstances.serviceOf(sizes, 9_999));
    assertEquals("d-00000", ProtectionInstances.instanceId(sizes, 10_000));
    assertEquals("p-009999", ProtectionInstances.instanceId(sizes, 9_999));
  }

  @Test
  void configRefusesSizesThatCannotBeMeasured() {
    assertThrows(IllegalArgumentException.class, () -> sizes(10, 11));
    assertThrows(
        IllegalArgumentException.class,
        () -> new ProtectionConfig(100, 10, 10, 1.0, 0, 60_000, 90_000, 61_000));
    assertThrows(
        IllegalArgumentException.class,
        () -> new ProtectionConfig(100, 10, 0, 0.5, 0, 60_000, 90_000, 61_000));
  }

  @Test
  void boundCoversEveryWaitOfThePhase() {
    ProtectionConfig sizes = sizes(10_000, 100);
    long bound = sizes.boundMillis(120_000);
    long settleAndRecord = 2 * (61_000 + 90_000 + ProtectionConfig.RECOVERY_BOUND_MILLIS);
    assertTrue(bound > 3 * 120_000 + 60_000 + settleAndRecord, "bound " + bound);
  }

  private static ProtectionConfig sizes(int instances, int services) {
    return new ProtectionConfig(instances, services, 100, 0.5, 0, 60_000, 90_000, 61_000);
  }
}
