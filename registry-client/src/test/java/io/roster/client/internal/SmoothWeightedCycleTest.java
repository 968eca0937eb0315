package io.roster.client.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class SmoothWeightedCycleTest {

  @Test
  void cycleIsNginxsOrderReducedByTheCommonDivisor() {
    assertArrayEquals(
        new int[] {0, 0, 1, 0, 2, 0, 0}, SmoothWeightedCycle.of(new int[] {500, 100, 100}));
    assertArrayEquals(new int[] {1, 0, 1, 1}, SmoothWeightedCycle.of(new int[] {100, 300}));
  }

  @Test
  void hugeCyclesAreScaledDownKeepingEveryEndpoint() {
    int[] weights = {10_000, 9_999, 1};
    int[] cycle = SmoothWeightedCycle.of(weights);
    assertTrue(cycle.length <= SmoothWeightedCycle.MAX_CYCLE + weights.length, "" + cycle.length);
    int[] counts = new int[3];
    for (int index : cycle) {
      counts[index]++;
    }
    assertEquals(1, counts[2], "the lightest endpoint keeps one slot");
    assertTrue(Math.abs(counts[0] - counts[1]) <= 1);
  }

  @Test
  void weightsMustBePositive() {
    assertThrows(IllegalArgumentException.class, () -> SmoothWeightedCycle.of(new int[] {1, 0}));
    assertThrows(IllegalArgumentException.class, () -> SmoothWeightedCycle.of(new int[0]));
  }
}
