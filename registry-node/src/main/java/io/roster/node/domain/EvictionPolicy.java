package io.roster.node.domain;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.ToIntFunction;

/**
 * Decides, for one sweep of the leader, which expired leases to declare expired now (their
 * instances become unhealthy at once) and which declared ones to remove (their grace is over).
 *
 * <ul>
 *   <li>Declarations are taken in random order, so a budget that runs out spreads across services
 *       instead of wiping out the first ones listed (the failure Eureka's eviction guards against
 *       in the same way).
 *   <li>Each declaration takes one from the {@link EvictionBudget}; what the budget refuses is held
 *       back, counted, and considered again next sweep.
 *   <li>At most {@code maxPerSweep} declarations and as many removals per sweep, so one sweep never
 *       floods the store; the rest follow in the next sweeps.
 * </ul>
 *
 * <p>Pure: time, sizes and randomness come in as arguments. Not thread-safe (the budget is not).
 */
public final class EvictionPolicy {

  private final EvictionBudget budget;
  private final long graceMillis;
  private final int maxPerSweep;

  /**
   * @param graceMillis how long a declared-expired instance stays listed as unhealthy before it is
   *     removed
   * @param maxPerSweep declarations (and removals) per sweep at most
   */
  public EvictionPolicy(EvictionBudget budget, long graceMillis, int maxPerSweep) {
    this.budget = budget;
    this.graceMillis = graceMillis;
    this.maxPerSweep = maxPerSweep;
  }

  public long graceMillis() {
    return graceMillis;
  }

  public EvictionBudget budget() {
    return budget;
  }

  /**
   * @param expired leases past expiry, from every member's sweep
   * @param serviceSize instances of a service now
   * @param registrySize instances in the registry now
   */
  public Plan plan(
      List<ExpiredLease> expired,
      ToIntFunction<ServiceKey> serviceSize,
      int registrySize,
      long nowMillis,
      Random random) {
    List<ExpiredLease> toDeclare = new ArrayList<>();
    List<ExpiredLease> toRemove = new ArrayList<>();
    List<ExpiredLease> candidates = new ArrayList<>();
    for (ExpiredLease lease : expired) {
      if (!lease.declared()) {
        candidates.add(lease);
      } else if (lease.expiresAtMillis() + graceMillis <= nowMillis
          && toRemove.size() < maxPerSweep) {
        toRemove.add(lease);
      }
    }
    Collections.shuffle(candidates, random);
    Map<ServiceKey, Integer> heldBack = new HashMap<>();
    for (ExpiredLease lease : candidates) {
      ServiceKey service = lease.key().serviceKey();
      if (toDeclare.size() < maxPerSweep
          && budget.tryAcquire(service, serviceSize.applyAsInt(service), registrySize, nowMillis)) {
        toDeclare.add(lease);
      } else {
        heldBack.merge(service, 1, Integer::sum);
      }
    }
    return new Plan(toDeclare, toRemove, heldBack);
  }

  /**
   * One sweep's decisions.
   *
   * @param toDeclare leases to declare expired now
   * @param toRemove declared leases whose grace is over: remove instance and lease
   * @param heldBack per service, expired leases the budget or the per-sweep cap held back
   */
  public record Plan(
      List<ExpiredLease> toDeclare,
      List<ExpiredLease> toRemove,
      Map<ServiceKey, Integer> heldBack) {

    public int heldBackTotal() {
      int total = 0;
      for (int count : heldBack.values()) {
        total += count;
      }
      return total;
    }
  }
}
