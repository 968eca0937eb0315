package io.roster.node.domain;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * How many instances the leader may declare expired: at most a share of the registry, and of each
 * service, per minute. Instead of Eureka's self-preservation switch, which stops all eviction once
 * too many renewals are missing and can stay on for good, the budget lets evictions trickle at a
 * bounded rate: a network glitch that silences half the registry costs at most the share per
 * minute, and the rest resumes by itself as heartbeats come back or the budget refills.
 *
 * <p>Each bucket holds at most a minute's budget and refills continuously. Budgets never drop below
 * {@link #minimumPerMinute}, so a small service can still lose its one dead instance.
 *
 * <p>Not thread-safe: used by the leader's sweep only. Time comes in as arguments.
 */
public final class EvictionBudget {

  private final double sharePerMinute;
  private final int minimumPerMinute;
  private final Bucket registry = new Bucket();
  private final Map<ServiceKey, Bucket> services = new HashMap<>();

  /**
   * @param sharePerMinute fraction of the registry, and of each service, evictable per minute (0.15
   *     for 15 %)
   * @param minimumPerMinute evictions allowed per minute however small the registry or service
   */
  public EvictionBudget(double sharePerMinute, int minimumPerMinute) {
    if (!(sharePerMinute > 0 && sharePerMinute <= 1)) {
      throw new IllegalArgumentException(
          "share per minute must be in (0, 1], got " + sharePerMinute);
    }
    if (minimumPerMinute < 1) {
      throw new IllegalArgumentException("minimum per minute must be at least 1");
    }
    this.sharePerMinute = sharePerMinute;
    this.minimumPerMinute = minimumPerMinute;
  }

  /**
   * Takes one eviction from the registry's and the service's budgets if both have one left.
   *
   * @param registrySize instances in the whole registry now
   * @param serviceSize instances in the service now
   */
  public boolean tryAcquire(ServiceKey service, int serviceSize, int registrySize, long nowMillis) {
    Bucket forService = services.computeIfAbsent(service, k -> new Bucket());
    double registryCapacity = capacity(registrySize);
    double serviceCapacity = capacity(serviceSize);
    registry.refill(registryCapacity, nowMillis);
    forService.refill(serviceCapacity, nowMillis);
    if (registry.tokens < 1 || forService.tokens < 1) {
      return false;
    }
    registry.tokens -= 1;
    forService.tokens -= 1;
    return true;
  }

  /** Forgets services no longer seen, so the budget's memory follows the registry's size. */
  public void retainOnly(Set<ServiceKey> live) {
    services.keySet().retainAll(live);
  }

  public double sharePerMinute() {
    return sharePerMinute;
  }

  private double capacity(int size) {
    return Math.max(minimumPerMinute, Math.floor(sharePerMinute * size));
  }

  /** Tokens refilled at {@code capacity} per minute, never above {@code capacity}. */
  private static final class Bucket {
    double tokens = Double.NaN;
    long lastRefillMillis;

    void refill(double capacity, long nowMillis) {
      if (Double.isNaN(tokens)) {
        tokens = capacity;
      } else if (nowMillis > lastRefillMillis) {
        tokens = Math.min(capacity, tokens + capacity * (nowMillis - lastRefillMillis) / 60_000.0);
      } else {
        tokens = Math.min(capacity, tokens);
      }
      lastRefillMillis = Math.max(lastRefillMillis, nowMillis);
    }
  }
}
