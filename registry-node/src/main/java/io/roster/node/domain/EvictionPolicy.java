package io.roster.node.domain;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Decides, for one sweep of the leader, which expired leases to declare expired now (their
 * instances become unhealthy at once) and which declared ones to remove (their grace is over).
 *
 * <p>The question it answers first is whose fault the silence is. Every lease past its expiry,
 * declared or not, is a silent instance:
 *
 * <ul>
 *   <li><b>Confined</b>: the silent instances belong to at most {@code max(floor, confined share ×
 *       services)} services, other services still heartbeat, and fewer than half of the registry's
 *       instances are silent. That is the shape of a service failing (a crash loop, a bad release,
 *       its hosts gone), not of the registry losing heartbeats: every expired lease is declared at
 *       once, so callers stop being sent to dead endpoints at TTL + one sweep, as etcd and
 *       ZooKeeper drop them, whatever the size of the service.
 *   <li><b>Registry-wide</b>: silence across many services, or most of the registry at once: the
 *       shape of a node, a network or a zone losing many clients' heartbeats. Declarations then
 *       spend the {@link EvictionBudget} (a share of the registry in any sliding minute); what it
 *       refuses is held back, counted, and considered again next sweep. Instances whose heartbeats
 *       return are simply renewed; if they never return they are evicted at the budget's pace.
 * </ul>
 *
 * <p>Declarations are taken in random order, so a budget that runs out spreads across services
 * instead of wiping out the first ones listed (the failure Eureka's eviction guards against in the
 * same way). At most {@code maxPerSweep} declarations and as many removals per sweep, so one sweep
 * never floods the store; the rest follow in the next sweeps (deferred, not held back).
 *
 * <p>Pure: time, sizes and randomness come in as arguments. Not thread-safe (the budget is not).
 */
public final class EvictionPolicy {

  private final EvictionBudget budget;
  private final double confinedServicesShare;
  private final long graceMillis;
  private final int maxPerSweep;

  /**
   * @param confinedServicesShare share of the services (at least the budget's floor of them) whose
   *     instances may all go silent together and still count as a failure of those services
   * @param graceMillis how long a declared-expired instance stays listed as unhealthy before it is
   *     removed
   * @param maxPerSweep declarations (and removals) per sweep at most
   */
  public EvictionPolicy(
      EvictionBudget budget, double confinedServicesShare, long graceMillis, int maxPerSweep) {
    if (!(confinedServicesShare >= 0 && confinedServicesShare <= 1)) {
      throw new IllegalArgumentException(
          "confined services share must be in [0, 1], got " + confinedServicesShare);
    }
    this.budget = budget;
    this.confinedServicesShare = confinedServicesShare;
    this.graceMillis = graceMillis;
    this.maxPerSweep = maxPerSweep;
  }

  public long graceMillis() {
    return graceMillis;
  }

  public EvictionBudget budget() {
    return budget;
  }

  /** Services whose silence still counts as confined, in a registry of {@code serviceCount}. */
  public int confinedServicesLimit(int serviceCount) {
    return (int)
        Math.max(budget.minimumPerMinute(), Math.floor(confinedServicesShare * serviceCount));
  }

  /**
   * @param expired leases past expiry, from every member's sweep
   * @param serviceCount services with instances in the registry now
   * @param registrySize instances in the registry now
   */
  public Plan plan(
      List<ExpiredLease> expired,
      int serviceCount,
      int registrySize,
      long nowMillis,
      Random random) {
    List<ExpiredLease> toDeclare = new ArrayList<>();
    List<ExpiredLease> toRemove = new ArrayList<>();
    List<ExpiredLease> candidates = new ArrayList<>();
    Set<ServiceKey> silentServices = new HashSet<>();
    for (ExpiredLease lease : expired) {
      silentServices.add(lease.key().serviceKey());
      if (!lease.declared()) {
        candidates.add(lease);
      } else if (lease.expiresAtMillis() + graceMillis <= nowMillis
          && toRemove.size() < maxPerSweep) {
        toRemove.add(lease);
      }
    }
    boolean confined =
        silentServices.size() <= confinedServicesLimit(serviceCount)
            && silentServices.size() < serviceCount
            && 2L * expired.size() < registrySize;
    int allowed = confined ? Integer.MAX_VALUE : budget.available(registrySize, nowMillis);
    Collections.shuffle(candidates, random);
    Map<ServiceKey, Integer> heldBack = new HashMap<>();
    int deferred = 0;
    for (ExpiredLease lease : candidates) {
      if (toDeclare.size() >= allowed) {
        heldBack.merge(lease.key().serviceKey(), 1, Integer::sum);
      } else if (toDeclare.size() >= maxPerSweep) {
        deferred++;
      } else {
        toDeclare.add(lease);
      }
    }
    budget.spend(toDeclare.size(), nowMillis);
    return new Plan(
        toDeclare, toRemove, heldBack, deferred, confined, silentServices.size(), expired.size());
  }

  /**
   * One sweep's decisions.
   *
   * @param toDeclare leases to declare expired now
   * @param toRemove declared leases whose grace is over: remove instance and lease
   * @param heldBack per service, expired leases the budget held back
   * @param deferred expired leases left to the next sweep by the per-sweep cap alone
   * @param confined whether the silence was judged confined to a few services (no budget applied)
   * @param silentServices services with a lease past its expiry
   * @param silentInstances leases past their expiry, declared or not
   */
  public record Plan(
      List<ExpiredLease> toDeclare,
      List<ExpiredLease> toRemove,
      Map<ServiceKey, Integer> heldBack,
      int deferred,
      boolean confined,
      int silentServices,
      int silentInstances) {

    public int heldBackTotal() {
      int total = 0;
      for (int count : heldBack.values()) {
        total += count;
      }
      return total;
    }
  }
}
