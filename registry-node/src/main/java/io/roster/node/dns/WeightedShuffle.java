package io.roster.node.dns;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToIntFunction;
import java.util.random.RandomGenerator;

/**
 * Orders items at random so that each one comes first with a chance proportional to its weight, the
 * next among the rest likewise, and so on (weighted sampling without replacement, Efraimidis and
 * Spirakis' method with exponential keys). A resolver or client that takes the first address of an
 * answer then spreads its calls by weight, as Roster's own clients do; one that tries them in order
 * falls over to the next likeliest.
 *
 * <p>Items of weight 0 ("listed, no traffic") come after every item of positive weight, in random
 * order among themselves: they are handed out only to a caller that tried everything else.
 *
 * <p>Costs O(n log n) for n items: one random draw and one sort. Stateless; the random source is
 * the caller's, so tests can fix it.
 */
final class WeightedShuffle {

  /**
   * Above any key of a positive weight: -ln(u)/w is at most about 745 for u near Double.MIN_VALUE.
   */
  private static final double ZERO_WEIGHT_KEY_BASE = 1e6;

  private WeightedShuffle() {}

  static <T> List<T> order(List<T> items, ToIntFunction<T> weight, RandomGenerator random) {
    int n = items.size();
    Keyed[] keyed = new Keyed[n];
    for (int i = 0; i < n; i++) {
      int w = weight.applyAsInt(items.get(i));
      // 1 - nextDouble() is in (0, 1]: never the log of 0.
      double u = 1.0 - random.nextDouble();
      double key = w > 0 ? -Math.log(u) / w : ZERO_WEIGHT_KEY_BASE + u;
      keyed[i] = new Keyed(key, i);
    }
    Arrays.sort(keyed, Comparator.comparingDouble(Keyed::key));
    List<T> ordered = new ArrayList<>(n);
    for (Keyed k : keyed) {
      ordered.add(items.get(k.index()));
    }
    return ordered;
  }

  private record Keyed(double key, int index) {}
}
