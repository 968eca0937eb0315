package io.roster.bench;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The arithmetic of the protection phase, apart so it can be tested without a cluster: the
 * registry's eviction rule as the bench expects it, the budget, and the figures drawn from
 * declaration times.
 *
 * <p>The rule (the leader's, restated here to say what each scenario should show): a silence
 * confined to few services while the rest heartbeats is a service failure, declared at once; any
 * other silence is held to a registry-wide budget of {@code max(3, 15 % of the registry)}
 * declarations in any sliding 60 s window.
 *
 * <p>Pure and stateless.
 */
final class ProtectionFigures {
  /** Declarations allowed in any window however small the registry. */
  static final int BUDGET_FLOOR = 3;

  /** Length of the budget's sliding window. */
  static final long BUDGET_WINDOW_MILLIS = 60_000;

  /** Share of the services a silence may touch and still count as a service failure. */
  static final double SERVICE_FAILURE_SHARE = 0.15;

  /** Services a silence may touch and still count as a service failure, however few there are. */
  static final int SERVICE_FAILURE_FLOOR = 3;

  private ProtectionFigures() {}

  /** How the rule should treat a silence. */
  enum Regime {
    /** Few services silent, the rest heartbeating: every expired lease declared at once. */
    SERVICE_FAILURE,
    /** Silence across many services: the registry-wide budget applies. */
    REGISTRY_BUDGET
  }

  /**
   * Declarations the registry-wide budget allows in any 60 s window: {@code max(3, floor(share ×
   * registry))}.
   *
   * @param percentPerMinute the budget's share in percent, as ClusterStatus reports it (15)
   */
  static int budget(double percentPerMinute, int registrySize) {
    return Math.max(BUDGET_FLOOR, (int) Math.floor(percentPerMinute / 100.0 * registrySize));
  }

  /**
   * Which side of the rule a silence falls on: a service failure when the services with silent
   * instances are at most {@code max(3, 15 % of the services)}, not all of them, and the silent
   * instances are less than half the registry.
   */
  static Regime regime(
      int silentServices, int registryServices, int silentInstances, int registrySize) {
    int few =
        Math.max(SERVICE_FAILURE_FLOOR, (int) Math.floor(SERVICE_FAILURE_SHARE * registryServices));
    boolean confined =
        silentServices <= few
            && silentServices < registryServices
            && 2L * silentInstances < registrySize;
    return confined ? Regime.SERVICE_FAILURE : Regime.REGISTRY_BUDGET;
  }

  /**
   * Most events within any window of {@code windowMillis}: the largest count of times {@code t}
   * with {@code start <= t < start + windowMillis}, over every start. {@code times} need not be
   * sorted.
   */
  static int maxInWindow(long[] times, long windowMillis) {
    long[] sorted = times.clone();
    Arrays.sort(sorted);
    int best = 0;
    int first = 0;
    for (int last = 0; last < sorted.length; last++) {
      while (sorted[last] - sorted[first] >= windowMillis) {
        first++;
      }
      best = Math.max(best, last - first + 1);
    }
    return best;
  }

  /** {@code count} distinct numbers of {@code 0..size-1}, drawn at random, ascending. */
  static int[] randomSubset(int size, int count, SplittableRandom random) {
    if (count < 0 || count > size) {
      throw new IllegalArgumentException("cannot choose " + count + " of " + size);
    }
    int[] all = new int[size];
    for (int i = 0; i < size; i++) {
      all[i] = i;
    }
    for (int i = 0; i < count; i++) {
      int j = i + random.nextInt(size - i);
      int swap = all[i];
      all[i] = all[j];
      all[j] = swap;
    }
    int[] chosen = Arrays.copyOf(all, count);
    Arrays.sort(chosen);
    return chosen;
  }

  /**
   * How many of {@code deadlines.length} instances were not yet seen unhealthy at their deadline:
   * {@code seen[i]} is when instance i was first seen unhealthy ({@code Long.MIN_VALUE}: never),
   * {@code deadlines[i]} the moment of the count, both on one clock.
   */
  static int stillHealthyAt(long[] seen, long[] deadlines) {
    int count = 0;
    for (int i = 0; i < seen.length; i++) {
      if (seen[i] == Long.MIN_VALUE || seen[i] - deadlines[i] > 0) {
        count++;
      }
    }
    return count;
  }
}
