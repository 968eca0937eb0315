package io.roster.node.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class EvictionBudgetTest {

  private static final long NOW = 1_000_000L;
  private static final long MINUTE = 60_000;

  private final EvictionBudget budget = new EvictionBudget(0.15, 3);

  @Test
  void fifteenPercentOfAThousandInstancesAllowsAHundredAndFiftyInAnyMinute() {
    assertEquals(150, budget.capacity(1_000));
    assertEquals(150, budget.available(1_000, NOW));
  }

  @Test
  void theFloorRaisesSmallRegistries() {
    assertEquals(3, budget.capacity(10));
    assertEquals(3, budget.capacity(0));
  }

  @Test
  void aFreshBudgetHasNoMoreThanOneMinutesWorth() {
    budget.spend(150, NOW);

    assertEquals(0, budget.available(1_000, NOW));
    assertEquals(0, budget.available(1_000, NOW + 30_000), "no refill within the minute");
    assertEquals(0, budget.available(1_000, NOW + MINUTE - 1));
  }

  @Test
  void declarationsLeaveTheWindowSixtySecondsAfterTheyWereMade() {
    budget.spend(100, NOW);
    budget.spend(50, NOW + 20_000);

    assertEquals(0, budget.available(1_000, NOW + 59_999));
    assertEquals(100, budget.available(1_000, NOW + MINUTE));
    assertEquals(100, budget.available(1_000, NOW + MINUTE + 19_999));
    assertEquals(150, budget.available(1_000, NOW + MINUTE + 20_000));
    assertEquals(0, budget.spentInLastMinute(NOW + MINUTE + 20_000));
  }

  @Test
  void spendingBeyondTheCapacityLeavesNothingAvailableUntilItSlidesOut() {
    budget.spend(400, NOW); // a confined failure the policy let through

    assertEquals(0, budget.available(1_000, NOW + 10_000));
    assertEquals(400, budget.spentInLastMinute(NOW + 10_000));
    assertEquals(150, budget.available(1_000, NOW + MINUTE));
  }

  @Test
  void theCapacityFollowsTheRegistrySizeNow() {
    budget.spend(100, NOW);

    assertEquals(50, budget.available(1_000, NOW));
    assertEquals(0, budget.available(500, NOW), "75 for 500 instances, 100 spent");
  }

  @Test
  void shareAndFloorAreReported() {
    assertEquals(0.15, budget.sharePerMinute());
    assertEquals(3, budget.minimumPerMinute());
  }

  @Test
  void aShareOfOneAllowsTheWholeRegistryPerMinute() {
    assertEquals(10, new EvictionBudget(1, 1).available(10, NOW));
  }

  @ParameterizedTest
  @ValueSource(doubles = {0, -0.15, 1.01, 15})
  void aShareOutsideZeroToOneIsRejected(double share) {
    assertThrows(IllegalArgumentException.class, () -> new EvictionBudget(share, 1));
  }

  @ParameterizedTest
  @CsvSource({"0.15, 0", "0.15, -1"})
  void aMinimumBelowOneIsRejected(double share, int minimum) {
    assertThrows(IllegalArgumentException.class, () -> new EvictionBudget(share, minimum));
  }
}
