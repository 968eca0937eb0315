package io.roster.node.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.ToIntFunction;
import org.junit.jupiter.api.Test;

class EvictionPolicyTest {

  private static final long NOW = 1_000_000L;
  private static final long GRACE = 30_000;
  private static final long SEED = 20_240_601L;

  private static final ServiceKey ORDERS = Specs.SERVICE;
  private static final ServiceKey BILLING = new ServiceKey("default", "billing");

  private static ExpiredLease expired(ServiceKey service, String id, long expiresAtMillis) {
    return new ExpiredLease(
        new InstanceKey(service.namespace(), service.service(), id), 1, expiresAtMillis, false, 0);
  }

  private static ExpiredLease declared(ServiceKey service, String id, long expiresAtMillis) {
    return new ExpiredLease(
        new InstanceKey(service.namespace(), service.service(), id), 1, expiresAtMillis, true, 1);
  }

  /** {@code count} undeclared leases of {@code service} that expired a second before now. */
  private static List<ExpiredLease> candidates(ServiceKey service, int count) {
    List<ExpiredLease> leases = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      leases.add(expired(service, service.service() + "-" + i, NOW - 1_000));
    }
    return leases;
  }

  private static List<ExpiredLease> concat(List<ExpiredLease> first, List<ExpiredLease> second) {
    List<ExpiredLease> all = new ArrayList<>(first);
    all.addAll(second);
    return all;
  }

  private static ToIntFunction<ServiceKey> sizes(int orders, int billing) {
    Map<ServiceKey, Integer> sizes = Map.of(ORDERS, orders, BILLING, billing);
    return service -> sizes.get(service);
  }

  private static Map<ServiceKey, Integer> countByService(List<ExpiredLease> leases) {
    Map<ServiceKey, Integer> counts = new HashMap<>();
    for (ExpiredLease lease : leases) {
      counts.merge(lease.key().serviceKey(), 1, Integer::sum);
    }
    return counts;
  }

  private static List<ExpiredLease> without(List<ExpiredLease> all, List<ExpiredLease> taken) {
    List<ExpiredLease> rest = new ArrayList<>(all);
    rest.removeAll(taken);
    return rest;
  }

  @Test
  void planWithNothingExpiredIsEmptyAndSpendsNoBudget() {
    EvictionBudget budget = new EvictionBudget(0.15, 1);
    EvictionPolicy policy = new EvictionPolicy(budget, GRACE, 100);

    EvictionPolicy.Plan plan = policy.plan(List.of(), sizes(20, 20), 40, NOW, new Random(SEED));

    assertTrue(plan.toDeclare().isEmpty());
    assertTrue(plan.toRemove().isEmpty());
    assertTrue(plan.heldBack().isEmpty());
    assertEquals(0, plan.heldBackTotal());
    for (int i = 0; i < 3; i++) {
      assertTrue(budget.tryAcquire(ORDERS, 20, 40, NOW), "budget left whole, take " + i);
    }
  }

  @Test
  void budgetHoldsBackWhatItRefusesAndCountsItPerService() {
    EvictionPolicy policy = new EvictionPolicy(new EvictionBudget(0.15, 1), GRACE, 100);
    // orders: 20 instances, 3 a minute; billing: 10 instances, 1 a minute (the minimum).
    List<ExpiredLease> expired = concat(candidates(ORDERS, 5), candidates(BILLING, 4));

    EvictionPolicy.Plan plan = policy.plan(expired, sizes(20, 10), 1_000, NOW, new Random(SEED));

    assertEquals(Map.of(ORDERS, 3, BILLING, 1), countByService(plan.toDeclare()));
    assertEquals(Map.of(ORDERS, 2, BILLING, 3), plan.heldBack());
    assertEquals(5, plan.heldBackTotal());
    assertTrue(plan.toRemove().isEmpty());
    assertTrue(expired.containsAll(plan.toDeclare()));
  }

  @Test
  void heldBackLeasesAreDeclaredInLaterSweepsAsTheBudgetRefills() {
    EvictionPolicy policy = new EvictionPolicy(new EvictionBudget(0.15, 1), GRACE, 100);
    List<ExpiredLease> expired = candidates(ORDERS, 5); // 20 instances: 3 a minute
    EvictionPolicy.Plan first = policy.plan(expired, sizes(20, 0), 1_000, NOW, new Random(SEED));
    List<ExpiredLease> rest = without(expired, first.toDeclare());

    EvictionPolicy.Plan tooSoon =
        policy.plan(rest, sizes(20, 0), 1_000, NOW + 19_999, new Random(1));
    EvictionPolicy.Plan later = policy.plan(rest, sizes(20, 0), 1_000, NOW + 50_000, new Random(1));

    assertEquals(3, first.toDeclare().size());
    assertTrue(tooSoon.toDeclare().isEmpty());
    assertEquals(Map.of(ORDERS, 2), tooSoon.heldBack());
    assertEquals(2, later.toDeclare().size(), "one more every 20 s");
    assertTrue(later.heldBack().isEmpty());
  }

  @Test
  void perSweepCapLimitsDeclarationsAndHoldsBackTheRest() {
    EvictionPolicy policy = new EvictionPolicy(new EvictionBudget(1, 1), GRACE, 4);

    EvictionPolicy.Plan plan =
        policy.plan(candidates(ORDERS, 10), sizes(100, 0), 100, NOW, new Random(SEED));

    assertEquals(4, plan.toDeclare().size());
    assertEquals(Map.of(ORDERS, 6), plan.heldBack());
  }

  @Test
  void leasesHeldBackByThePerSweepCapSpendNoBudget() {
    // 10 % of 100: ten a minute, four a sweep.
    EvictionPolicy policy = new EvictionPolicy(new EvictionBudget(0.1, 1), GRACE, 4);
    List<ExpiredLease> pending = candidates(ORDERS, 20);
    List<Integer> declaredPerSweep = new ArrayList<>();

    for (int sweep = 0; sweep < 4; sweep++) {
      EvictionPolicy.Plan plan = policy.plan(pending, sizes(100, 0), 100, NOW, new Random(sweep));
      declaredPerSweep.add(plan.toDeclare().size());
      assertEquals(pending.size() - plan.toDeclare().size(), plan.heldBackTotal());
      pending = without(pending, plan.toDeclare());
    }

    assertEquals(List.of(4, 4, 2, 0), declaredPerSweep);
  }

  @Test
  void declaredLeasesAreRemovedOnlyOnceTheirGraceIsOver() {
    EvictionPolicy policy = new EvictionPolicy(new EvictionBudget(0.15, 1), GRACE, 100);
    ExpiredLease lease = declared(ORDERS, "a", NOW);

    EvictionPolicy.Plan during =
        policy.plan(List.of(lease), sizes(20, 0), 100, NOW + GRACE - 1, new Random(SEED));
    EvictionPolicy.Plan after =
        policy.plan(List.of(lease), sizes(20, 0), 100, NOW + GRACE, new Random(SEED));

    assertTrue(during.toRemove().isEmpty());
    assertTrue(during.toDeclare().isEmpty(), "a declared lease is never declared again");
    assertTrue(during.heldBack().isEmpty());
    assertEquals(List.of(lease), after.toRemove());
    assertTrue(after.toDeclare().isEmpty());
  }

  @Test
  void removalsSpendNoBudgetAndAreCappedPerSweepWithoutCountingAsHeldBack() {
    // orders has 1 instance per the sizes: one declaration a minute.
    EvictionPolicy policy = new EvictionPolicy(new EvictionBudget(0.15, 1), GRACE, 4);
    List<ExpiredLease> expired = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      expired.add(declared(ORDERS, "gone-" + i, NOW - GRACE - i));
    }
    expired.addAll(candidates(ORDERS, 2));

    EvictionPolicy.Plan plan = policy.plan(expired, sizes(1, 0), 100, NOW, new Random(SEED));

    assertEquals(expired.subList(0, 4), plan.toRemove());
    assertEquals(1, plan.toDeclare().size());
    assertEquals(Map.of(ORDERS, 1), plan.heldBack());
  }

  @Test
  void randomOrderSpreadsAShortBudgetAcrossServices() {
    // Ten a minute registry-wide (the minimum), and as many for each service: without the
    // shuffle, orders, listed first, would take the whole budget.
    EvictionBudget budget = new EvictionBudget(0.01, 10);
    EvictionPolicy policy = new EvictionPolicy(budget, GRACE, 100);
    List<ExpiredLease> expired = concat(candidates(ORDERS, 50), candidates(BILLING, 50));

    EvictionPolicy.Plan plan = policy.plan(expired, sizes(200, 200), 400, NOW, new Random(SEED));

    Map<ServiceKey, Integer> declared = countByService(plan.toDeclare());
    assertEquals(10, plan.toDeclare().size());
    assertTrue(declared.getOrDefault(ORDERS, 0) > 0, "orders: " + declared);
    assertTrue(declared.getOrDefault(BILLING, 0) > 0, "billing: " + declared);
    assertEquals(90, plan.heldBackTotal());
    assertEquals(50 - declared.get(ORDERS), plan.heldBack().get(ORDERS));
    assertEquals(50 - declared.get(BILLING), plan.heldBack().get(BILLING));
  }

  @Test
  void theSameSeedGivesTheSamePlanAndTheInputIsLeftInOrder() {
    List<ExpiredLease> expired = concat(candidates(ORDERS, 50), candidates(BILLING, 50));
    List<ExpiredLease> asGiven = List.copyOf(expired);

    EvictionPolicy.Plan one =
        new EvictionPolicy(new EvictionBudget(0.01, 10), GRACE, 100)
            .plan(expired, sizes(200, 200), 400, NOW, new Random(SEED));
    EvictionPolicy.Plan two =
        new EvictionPolicy(new EvictionBudget(0.01, 10), GRACE, 100)
            .plan(expired, sizes(200, 200), 400, NOW, new Random(SEED));

    assertEquals(one, two);
    assertEquals(asGiven, expired);
  }

  @Test
  void policyReportsItsGraceAndBudget() {
    EvictionBudget budget = new EvictionBudget(0.15, 1);
    EvictionPolicy policy = new EvictionPolicy(budget, GRACE, 100);

    assertEquals(GRACE, policy.graceMillis());
    assertSame(budget, policy.budget());
  }
}
