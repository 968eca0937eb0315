package io.roster.client;

import io.roster.client.internal.SmoothWeightedCycle;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * nginx's smooth weighted round-robin, made lock-free: the order of one whole cycle is computed
 * once per snapshot, and picks walk it with an atomic counter. nginx updates every endpoint's
 * running weight at each pick under a lock; the cycle gives the same order without one.
 */
final class SmoothRoundRobinStrategy extends BalancingStrategy {

  /** The position, kept across snapshots so a new snapshot does not restart at its first entry. */
  private final AtomicInteger position = new AtomicInteger();

  @Override
  EndpointPicker balance(List<ServiceInstance> targets) {
    ServiceInstance[] byIndex = targets.toArray(ServiceInstance[]::new);
    int[] weights = new int[byIndex.length];
    for (int i = 0; i < weights.length; i++) {
      weights[i] = byIndex[i].weight();
    }
    int[] cycle = SmoothWeightedCycle.of(weights);
    // & MAX_VALUE, not Math.abs: the counter wraps to negative after 2^31 picks.
    return hashKey ->
        new SimplePick(
            byIndex[cycle[(position.getAndIncrement() & Integer.MAX_VALUE) % cycle.length]]);
  }
}
