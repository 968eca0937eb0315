package io.roster.client;

import java.util.ArrayList;
import java.util.List;

/**
 * A strategy that spreads requests over a given set of endpoints (the leaves under {@link
 * ZoneAwareStrategy} and {@link PanicThresholdStrategy}): it only decides how, not over which.
 */
abstract class BalancingStrategy extends EndpointStrategy {

  @Override
  final EndpointPicker newPicker(List<ServiceInstance> instances) {
    return over(routable(instances, true));
  }

  @Override
  final EndpointPicker newPanicPicker(List<ServiceInstance> instances) {
    return over(routable(instances, false));
  }

  /**
   * A picker over {@code targets}: every one routable (UP, weight above 0), in a stable order.
   * Empty targets get {@link EndpointPicker#NONE}.
   */
  abstract EndpointPicker balance(List<ServiceInstance> targets);

  private EndpointPicker over(List<ServiceInstance> targets) {
    return targets.isEmpty() ? EndpointPicker.NONE : balance(targets);
  }

  /** The routable ones, and healthy too when {@code healthyOnly}. */
  static List<ServiceInstance> routable(List<ServiceInstance> instances, boolean healthyOnly) {
    List<ServiceInstance> targets = new ArrayList<>(instances.size());
    for (ServiceInstance instance : instances) {
      if (instance.isRoutable() && (!healthyOnly || instance.isHealthy())) {
        targets.add(instance);
      }
    }
    return targets;
  }

  /** Running sums of the targets' weights: sums[i] is the weight of targets 0..i. */
  static long[] cumulativeWeights(List<ServiceInstance> targets) {
    long[] sums = new long[targets.size()];
    long total = 0;
    for (int i = 0; i < sums.length; i++) {
      total += targets.get(i).weight();
      sums[i] = total;
    }
    return sums;
  }

  /** The index whose weight range holds {@code point} (0 <= point < total): a binary search. */
  static int indexOf(long[] cumulative, long point) {
    int low = 0;
    int high = cumulative.length - 1;
    while (low < high) {
      int mid = (low + high) >>> 1;
      if (cumulative[mid] > point) {
        high = mid;
      } else {
        low = mid + 1;
      }
    }
    return low;
  }
}
