package io.roster.node.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
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

  /** {@code count} services of one undeclared expired lease each, named {@code prefix-i}. */
  private static List<ExpiredLease> oneEachIn(String prefix, int count) {
    List<ExpiredLease> leases = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      leases.add(expired(new ServiceKey("default", prefix + "-" + i), "a", NOW - 1_000));
    }
    return leases;
  }

  private static EvictionPolicy policy(EvictionBudget budget, int maxPerSweep) {
    return new EvictionPolicy(budget, 0.15, GRACE, maxPerSweep);
  }

  @Test
  void planWithNothingExpiredIsEmptyAndSpendsNoBudget() {
    EvictionBudget budget = new EvictionBudget(0.15, 1);

    EvictionPolicy.Plan plan = policy(budget, 100).plan(List.of(), 2, 40, NOW, new Random(SEED));

    assertTrue(plan.toDeclare().isEmpty());
    assertTrue(plan.toRemove().isEmpty());
    assertTrue(plan.heldBack().isEmpty());
    assertEquals(0, plan.heldBackTotal());
    assertEquals(0, budget.spentInLastMinute(NOW));
  }

  // ---- a failure confined to a few services: evicted at once ----

  @Test
  void aWholeServiceThatStopsIsDeclaredAtOnceWhateverItsShareOfTheBudget() {
    // 100 instances of orders in a registry of 10,100 over 101 services: 15 % of orders would be
    // 15, but the silence is confined to one service while the other hundred heartbeat.
    EvictionPolicy policy = policy(new EvictionBudget(0.15, 3), 500);

    EvictionPolicy.Plan plan =
        policy.plan(candidates(ORDERS, 100), 101, 10_100, NOW, new Random(SEED));

    assertEquals(100, plan.toDeclare().size());
    assertTrue(plan.confined());
    assertEquals(0, plan.heldBackTotal());
    assertEquals(1, plan.silentServices());
  }

  @Test
  void aServiceOfAThirdOfTheRegistryThatStopsIsStillAServiceFailure() {
    EvictionPolicy policy = policy(new EvictionBudget(0.15, 3), 10_000);

    EvictionPolicy.Plan plan =
        policy.plan(candidates(ORDERS, 5_000), 20, 15_000, NOW, new Random(SEED));

    assertTrue(plan.confined());
    assertEquals(5_000, plan.toDeclare().size());
  }

  @Test
  void upToTheFloorOfServicesMayFailTogetherInASmallRegistry() {
    // Ten services: 15 % is one, the floor of three still counts as confined.
    EvictionPolicy policy = policy(new EvictionBudget(0.15, 3), 500);
    List<ExpiredLease> three = oneEachIn("svc", 3);

    EvictionPolicy.Plan plan = policy.plan(three, 10, 100, NOW, new Random(SEED));

    assertTrue(plan.confined());
    assertEquals(3, plan.toDeclare().size());
    assertEquals(3, policy.confinedServicesLimit(10));
    assertEquals(15, policy.confinedServicesLimit(100));
  }

  @Test
  void confinedDeclarationsStillSpendTheBudgetSoAWiderFailureAfterThemFindsItSpent() {
    EvictionBudget budget = new EvictionBudget(0.15, 3);
    EvictionPolicy policy = policy(budget, 500);
    policy.plan(candidates(ORDERS, 100), 100, 1_000, NOW, new Random(SEED));

    EvictionPolicy.Plan wide =
        policy.plan(oneEachIn("wide", 60), 100, 1_000, NOW + 1_000, new Random(SEED));

    assertEquals(150, budget.spentInLastMinute(NOW + 1_000), "100 confined, then 50");
    assertFalse(wide.confined());
    assertEquals(50, wide.toDeclare().size(), "150 a minute, 100 of them spent");
    assertEquals(10, wide.heldBackTotal());
  }

  // ---- silence across the registry: the budget ----

  @Test
  void silenceAcrossManyServicesSpendsTheBudgetAndHoldsBackTheRestPerService() {
    // 30 services silent out of 100 (more than 15): 15 % of 1,000 instances, 150 a minute.
    EvictionPolicy policy = policy(new EvictionBudget(0.15, 3), 500);
    List<ExpiredLease> expired = new ArrayList<>();
    for (int s = 0; s < 30; s++) {
      ServiceKey service = new ServiceKey("default", "svc-" + s);
      expired.addAll(candidates(service, 10));
    }

    EvictionPolicy.Plan plan = policy.plan(expired, 100, 1_000, NOW, new Random(SEED));

    assertFalse(plan.confined());
    assertEquals(150, plan.toDeclare().size());
    assertEquals(150, plan.heldBackTotal());
    assertEquals(30, plan.heldBack().size(), "the random order spreads the budget");
    assertEquals(30, plan.silentServices());
    assertEquals(300, plan.silentInstances());
  }

  @Test
  void halfTheRegistrySilentIsHeldBackEvenInOneService() {
    EvictionPolicy policy = policy(new EvictionBudget(0.15, 3), 500);

    EvictionPolicy.Plan plan = policy.plan(candidates(ORDERS, 60), 10, 100, NOW, new Random(SEED));

    assertFalse(plan.confined());
    assertEquals(15, plan.toDeclare().size());
    assertEquals(Map.of(ORDERS, 45), plan.heldBack());
  }

  @Test
  void everyServiceSilentIsHeldBackHoweverFewServicesThereAre() {
    // Two services, both silent: nothing heartbeats to tell the registry it is not at fault.
    EvictionPolicy policy = policy(new EvictionBudget(0.15, 3), 500);
    List<ExpiredLease> expired = concat(candidates(ORDERS, 4), candidates(BILLING, 4));

    EvictionPolicy.Plan plan = policy.plan(expired, 2, 20, NOW, new Random(SEED));

    assertFalse(plan.confined());
    assertEquals(3, plan.toDeclare().size(), "the floor");
    assertEquals(5, plan.heldBackTotal());
  }

  @Test
  void declaredLeasesInTheirGraceStillCountAsSilence() {
    // 20 services already declared and waiting out their grace, 1 new one: 21 silent services.
    EvictionPolicy policy = policy(new EvictionBudget(0.15, 3), 500);
    List<ExpiredLease> expired = new ArrayList<>();
    for (int s = 0; s < 20; s++) {
      expired.add(declared(new ServiceKey("default", "old-" + s), "a", NOW - 5_000));
    }
    expired.addAll(candidates(ORDERS, 1));

    EvictionPolicy.Plan plan = policy.plan(expired, 100, 1_000, NOW, new Random(SEED));

    assertEquals(21, plan.silentServices());
    assertFalse(plan.confined());
  }

  @Test
  void heldBackLeasesAreDeclaredAsTheMinuteSlidesAndNotBefore() {
    EvictionPolicy policy = new EvictionPolicy(new EvictionBudget(0.15, 3), 0.15, 3_600_000, 500);
    List<ExpiredLease> expired = oneEachIn("wide", 30); // 30 of 100 services, 100 instances
    EvictionPolicy.Plan first = policy.plan(expired, 100, 100, NOW, new Random(SEED));
    List<ExpiredLease> rest = without(expired, first.toDeclare());
    for (ExpiredLease lease : first.toDeclare()) {
      rest.add(declared(lease.key().serviceKey(), "a", NOW));
    }

    EvictionPolicy.Plan tooSoon = policy.plan(rest, 100, 100, NOW + 59_999, new Random(1));
    EvictionPolicy.Plan minuteLater = policy.plan(rest, 100, 100, NOW + 60_000, new Random(1));

    assertEquals(15, first.toDeclare().size());
    assertTrue(tooSoon.toDeclare().isEmpty(), "no refill within the minute");
    assertEquals(15, tooSoon.heldBackTotal());
    assertEquals(15, minuteLater.toDeclare().size());
    assertEquals(0, minuteLater.heldBackTotal());
  }

  @Test
  void noSixtySecondsEverSeeMoreThanTheBudgetWhateverTheSweeps() {
    // 500 of 1,000 single-instance services silent; declared ones wait out a long grace.
    EvictionPolicy policy = new EvictionPolicy(new EvictionBudget(0.15, 3), 0.15, 3_600_000, 500);
    List<ExpiredLease> pending = oneEachIn("wide", 500);
    List<ExpiredLease> declaredSoFar = new ArrayList<>();
    List<long[]> declarations = new ArrayList<>();

    for (long at = NOW; at < NOW + 300_000; at += 500) {
      EvictionPolicy.Plan plan =
          policy.plan(concat(pending, declaredSoFar), 1_000, 1_000, at, new Random(at));
      declarations.add(new long[] {at, plan.toDeclare().size()});
      pending = without(pending, plan.toDeclare());
      for (ExpiredLease lease : plan.toDeclare()) {
        declaredSoFar.add(declared(lease.key().serviceKey(), "a", at));
      }
    }

    for (long[] from : declarations) {
      long inWindow = 0;
      for (long[] other : declarations) {
        if (other[0] >= from[0] && other[0] < from[0] + 60_000) {
          inWindow += other[1];
        }
      }
      assertTrue(inWindow <= 150, inWindow + " declared in the minute from " + from[0]);
    }
    assertTrue(pending.isEmpty(), "five minutes allow 750: " + pending.size() + " left");
  }

  // ---- per sweep ----

  @Test
  void perSweepCapDefersTheRestWithoutCountingItAsHeldBack() {
    EvictionPolicy policy = policy(new EvictionBudget(1, 1), 4);

    EvictionPolicy.Plan plan =
        policy.plan(candidates(ORDERS, 10), 100, 1_000, NOW, new Random(SEED));

    assertEquals(4, plan.toDeclare().size());
    assertEquals(6, plan.deferred());
    assertEquals(0, plan.heldBackTotal());
  }

  @Test
  void declaredLeasesAreRemovedOnlyOnceTheirGraceIsOver() {
    EvictionPolicy policy = policy(new EvictionBudget(0.15, 1), 100);
    ExpiredLease lease = declared(ORDERS, "a", NOW);

    EvictionPolicy.Plan during =
        policy.plan(List.of(lease), 2, 100, NOW + GRACE - 1, new Random(SEED));
    EvictionPolicy.Plan after = policy.plan(List.of(lease), 2, 100, NOW + GRACE, new Random(SEED));

    assertTrue(during.toRemove().isEmpty());
    assertTrue(during.toDeclare().isEmpty(), "a declared lease is never declared again");
    assertTrue(during.heldBack().isEmpty());
    assertEquals(List.of(lease), after.toRemove());
    assertTrue(after.toDeclare().isEmpty());
  }

  @Test
  void removalsSpendNoBudgetAndAreCappedPerSweep() {
    EvictionBudget budget = new EvictionBudget(0.15, 1);
    EvictionPolicy policy = policy(budget, 4);
    List<ExpiredLease> expired = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      expired.add(declared(ORDERS, "gone-" + i, NOW - GRACE - i));
    }

    EvictionPolicy.Plan plan = policy.plan(expired, 2, 100, NOW, new Random(SEED));

    assertEquals(expired.subList(0, 4), plan.toRemove());
    assertEquals(0, budget.spentInLastMinute(NOW));
  }

  @Test
  void theSameSeedGivesTheSamePlanAndTheInputIsLeftInOrder() {
    List<ExpiredLease> expired = concat(candidates(ORDERS, 50), candidates(BILLING, 50));
    List<ExpiredLease> asGiven = List.copyOf(expired);

    EvictionPolicy.Plan one =
        policy(new EvictionBudget(0.01, 10), 100).plan(expired, 2, 400, NOW, new Random(SEED));
    EvictionPolicy.Plan two =
        policy(new EvictionBudget(0.01, 10), 100).plan(expired, 2, 400, NOW, new Random(SEED));

    assertEquals(one, two);
    assertEquals(asGiven, expired);
  }

  @Test
  void policyReportsItsGraceAndBudgetAndRefusesAShareOutsideZeroToOne() {
    EvictionBudget budget = new EvictionBudget(0.15, 1);
    EvictionPolicy policy = policy(budget, 100);

    assertEquals(GRACE, policy.graceMillis());
    assertSame(budget, policy.budget());
    assertThrows(IllegalArgumentException.class, () -> new EvictionPolicy(budget, 1.5, GRACE, 100));
  }
}
