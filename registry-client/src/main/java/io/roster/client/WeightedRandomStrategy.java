package io.roster.client;

import java.util.List;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/** Random draws in proportion to weight, over running sums precomputed per snapshot. */
final class WeightedRandomStrategy extends BalancingStrategy {

  private final Supplier<RandomGenerator> random;

  WeightedRandomStrategy(Supplier<RandomGenerator> random) {
    this.random = random;
  }

  @Override
  EndpointPicker balance(List<ServiceInstance> targets) {
    ServiceInstance[] byIndex = targets.toArray(ServiceInstance[]::new);
    long[] cumulative = cumulativeWeights(targets);
    long total = cumulative[cumulative.length - 1];
    return hashKey -> new SimplePick(byIndex[indexOf(cumulative, random.get().nextLong(total))]);
  }
}
