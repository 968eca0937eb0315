package io.roster.node.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class EvictionBudgetTest {

  private static final long NOW = 1_000_000L;
  private static final long MINUTE = 60_000;

  private final EvictionBudget budget = new EvictionBudget(0.15, 1);

  /** Services other than {@link Specs#SERVICE}, numbered. */
  private static ServiceKey service(int i) {
    return new ServiceKey("default", "svc-" + i);
  }

  /**
   * Acquires from single-instance services {@code first, first + 1, ...} (each allowed one by the
   * minimum, so only the registry-wide budget limits) until refused; answers how many succeeded.
   */
  private static int drainRegistry(
      EvictionBudget budget, int first, int registrySize, long nowMillis) {
    int acquired = 0;
    while (budget.tryAcquire(service(first + acquired), 1, registrySize, nowMillis)) {
      acquired++;
      if (acquired > registrySize) {
        throw new AssertionError("the budget never ran out");
      }
    }
    return acquired;
  }

  /**
   * Acquires from one service, in a registry large enough not to limit, until refused; answers how
   * many succeeded.
   */
  private static int drainService(
      EvictionBudget budget, ServiceKey service, int serviceSize, long nowMillis) {
    return drainService(budget, service, serviceSize, 10_000, nowMillis);
  }

  private static int drainService(
      EvictionBudget budget,
      ServiceKey service,
      int serviceSize,
      int registrySize,
      long nowMillis) {
    int acquired = 0;
    while (budget.tryAcquire(service, serviceSize, registrySize, nowMillis)) {
      acquired++;
      if (acquired > 10_000) {
        throw new AssertionError("the budget never ran out");
      }
    }
    return acquired;
  }

  @Test
  void fifteenPercentOfAHundredInstancesAllowsFifteenPerMinuteAcrossTheRegistry() {
    assertEquals(15, drainRegistry(budget, 0, 100, NOW));
    assertFalse(budget.tryAcquire(service(999), 1, 100, NOW), "nor from any other service");
  }

  @Test
  void fifteenPercentOfATwentyInstanceServiceAllowsThreePerMinuteForIt() {
    ServiceKey orders = Specs.SERVICE;

    assertEquals(3, drainService(budget, orders, 20, NOW));
    assertTrue(
        budget.tryAcquire(service(2), 20, 10_000, NOW), "another service has a budget of its own");
  }

  @Test
  void tinyServiceMayStillLoseOneInstancePerMinute() {
    assertEquals(1, drainService(budget, service(1), 2, NOW));
    assertEquals(1, drainService(budget, service(2), 1, NOW));
  }

  @Test
  void tinyRegistryMayStillLoseOneInstancePerMinute() {
    assertEquals(1, drainRegistry(budget, 0, 3, NOW));
  }

  @Test
  void theMinimumPerMinuteRaisesSmallBudgets() {
    EvictionBudget generous = new EvictionBudget(0.15, 4);

    assertEquals(4, drainService(generous, service(1), 2, NOW));
    assertEquals(15, drainService(generous, service(2), 100, NOW), "above the minimum, the share");
  }

  @Test
  void aRefusalByTheServiceBudgetCostsTheRegistryBudgetNothing() {
    ServiceKey tiny = service(-1);
    assertTrue(budget.tryAcquire(tiny, 1, 100, NOW));
    for (int i = 0; i < 50; i++) {
      assertFalse(budget.tryAcquire(tiny, 1, 100, NOW));
    }

    assertEquals(14, drainRegistry(budget, 0, 100, NOW));
  }

  @Test
  void halfTheCapacityReturnsAfterThirtySeconds() {
    // 15 % of 200 is 30 a minute, so 15 return in 30 s.
    assertEquals(30, drainRegistry(budget, 0, 200, NOW));

    assertEquals(15, drainRegistry(budget, 1_000, 200, NOW + MINUTE / 2));
    assertEquals(30, drainRegistry(budget, 2_000, 200, NOW + 3 * MINUTE / 2));
  }

  @Test
  void aServiceBudgetRefillsContinuously() {
    ServiceKey orders = Specs.SERVICE;
    assertEquals(3, drainService(budget, orders, 20, NOW));

    assertFalse(budget.tryAcquire(orders, 20, 10_000, NOW + MINUTE / 6), "half a token back");
    assertTrue(budget.tryAcquire(orders, 20, 10_000, NOW + MINUTE / 3), "one in a third minute");
    assertFalse(budget.tryAcquire(orders, 20, 10_000, NOW + MINUTE / 3));
  }

  @Test
  void anIdleBudgetHoldsNoMoreThanOneMinutesWorth() {
    ServiceKey orders = Specs.SERVICE;
    assertEquals(3, drainService(budget, orders, 20, 100, NOW));
    assertEquals(12, drainRegistry(budget, 0, 100, NOW));

    long hourLater = NOW + 60 * MINUTE;
    assertEquals(3, drainService(budget, orders, 20, 100, hourLater));
    assertEquals(12, drainRegistry(budget, 100, 100, hourLater), "15 minus the 3 just taken");
  }

  @Test
  void aShrunkenServiceHoldsNoMoreThanItsNewCapacity() {
    ServiceKey orders = Specs.SERVICE;
    assertTrue(budget.tryAcquire(orders, 100, 10_000, NOW)); // capacity 15, 14 left

    assertEquals(3, drainService(budget, orders, 20, NOW + 1), "capacity now 3");
  }

  @Test
  void aClockGoingBackwardsRefillsNothing() {
    ServiceKey orders = Specs.SERVICE;
    assertEquals(3, drainService(budget, orders, 20, NOW));

    assertFalse(budget.tryAcquire(orders, 20, 10_000, NOW - MINUTE));
    assertFalse(budget.tryAcquire(orders, 20, 10_000, NOW + MINUTE / 3 - 1));
  }

  @Test
  void aForgottenServiceStartsAgainWithAFullBudget() {
    ServiceKey orders = Specs.SERVICE;
    ServiceKey billing = service(2);
    assertEquals(3, drainService(budget, orders, 20, NOW));
    assertEquals(3, drainService(budget, billing, 20, NOW));

    budget.retainOnly(Set.of(billing));

    assertEquals(3, drainService(budget, orders, 20, NOW));
    assertEquals(0, drainService(budget, billing, 20, NOW), "a retained service keeps its state");
  }

  @Test
  void shareIsReported() {
    assertEquals(0.15, budget.sharePerMinute());
  }

  @Test
  void aShareOfOneAllowsTheWholeRegistryPerMinute() {
    EvictionBudget all = new EvictionBudget(1, 1);

    assertEquals(10, drainRegistry(all, 0, 10, NOW));
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
