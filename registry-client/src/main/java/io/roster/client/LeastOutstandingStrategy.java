package io.roster.client;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * Power of two choices over requests in flight: two weighted draws, the lighter one per unit of
 * weight wins. Comparing two random endpoints rather than scanning for the least loaded keeps picks
 * O(log n) and avoids every caller rushing to the same idle endpoint.
 *
 * <p>Counts live in the strategy, keyed by instance, so they survive a new snapshot: a request
 * picked before the change is still counted after it.
 */
final class LeastOutstandingStrategy extends BalancingStrategy {

  private final Supplier<RandomGenerator> random;
  private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();

  LeastOutstandingStrategy(Supplier<RandomGenerator> random) {
    this.random = random;
  }

  @Override
  EndpointPicker balance(List<ServiceInstance> targets) {
    ServiceInstance[] byIndex = targets.toArray(ServiceInstance[]::new);
    AtomicInteger[] counters = new AtomicInteger[byIndex.length];
    Set<String> present = new HashSet<>();
    for (int i = 0; i < byIndex.length; i++) {
      String key = key(byIndex[i]);
      present.add(key);
      counters[i] = inFlight.computeIfAbsent(key, k -> new AtomicInteger());
    }
    // Endpoints gone from the snapshot: a pick still out holds its counter directly.
    inFlight.keySet().retainAll(present);
    long[] cumulative = cumulativeWeights(targets);
    long total = cumulative[cumulative.length - 1];
    return hashKey -> {
      RandomGenerator draw = random.get();
      int a = indexOf(cumulative, draw.nextLong(total));
      int b = indexOf(cumulative, draw.nextLong(total));
      // a wins when inFlight_a / weight_a <= inFlight_b / weight_b; on a tie (both idle) the
      // first draw wins, so idle endpoints get requests in proportion to their weight.
      long loadA = (long) counters[a].get() * byIndex[b].weight();
      long loadB = (long) counters[b].get() * byIndex[a].weight();
      int chosen = loadA <= loadB ? a : b;
      counters[chosen].incrementAndGet();
      return new CountedPick(byIndex[chosen], counters[chosen]);
    };
  }

  /** Requests in flight on {@code instance} now, for tests and metrics. */
  int inFlight(ServiceInstance instance) {
    AtomicInteger counter = inFlight.get(key(instance));
    return counter == null ? 0 : counter.get();
  }

  private static String key(ServiceInstance instance) {
    return instance.instanceId() + "@" + instance.address();
  }

  /** Counts itself out once, however often {@code done} is called. */
  private static final class CountedPick implements Pick {
    private final ServiceInstance instance;
    private final AtomicInteger counter;
    private final AtomicBoolean done = new AtomicBoolean();

    CountedPick(ServiceInstance instance, AtomicInteger counter) {
      this.instance = instance;
      this.counter = counter;
    }

    @Override
    public ServiceInstance instance() {
      return instance;
    }

    @Override
    public void done() {
      if (done.compareAndSet(false, true)) {
        counter.decrementAndGet();
      }
    }
  }
}
