package io.roster.client.internal;

/**
 * One full cycle of nginx's smooth weighted round-robin, precomputed so that picks need no lock:
 * walking the returned order with an atomic counter gives exactly the picks nginx's algorithm
 * makes, which updates every endpoint's running weight at each pick under a lock.
 *
 * <p>The cycle is as long as the sum of the weights divided by their greatest common divisor,
 * capped at {@link #MAX_CYCLE}: above it weights are scaled down (each kept at least 1), which
 * shifts each share by at most half a slot in {@value #MAX_CYCLE}.
 */
public final class SmoothWeightedCycle {

  /** 4,096 slots: building costs cycle × endpoints steps, a few milliseconds at 1,000 endpoints. */
  public static final int MAX_CYCLE = 4096;

  private SmoothWeightedCycle() {}

  /**
   * The order of one cycle: indexes into {@code weights}, each appearing in proportion to its
   * weight.
   *
   * @param weights at least one, each above 0
   */
  public static int[] of(int[] weights) {
    if (weights.length == 0) {
      throw new IllegalArgumentException("no weights");
    }
    long divisor = 0;
    long total = 0;
    for (int weight : weights) {
      if (weight <= 0) {
        throw new IllegalArgumentException("weight must be positive, got " + weight);
      }
      divisor = gcd(divisor, weight);
      total += weight;
    }
    long[] reduced = new long[weights.length];
    long length = 0;
    for (int i = 0; i < weights.length; i++) {
      reduced[i] = weights[i] / divisor;
      if (total / divisor > MAX_CYCLE) {
        reduced[i] = Math.max(1, Math.round((double) weights[i] * MAX_CYCLE / total));
      }
      length += reduced[i];
    }
    int[] cycle = new int[(int) length];
    long[] current = new long[weights.length];
    for (int slot = 0; slot < cycle.length; slot++) {
      int best = 0;
      for (int i = 0; i < current.length; i++) {
        current[i] += reduced[i];
        if (current[i] > current[best]) {
          best = i;
        }
      }
      current[best] -= length;
      cycle[slot] = best;
    }
    return cycle;
  }

  private static long gcd(long a, long b) {
    while (b != 0) {
      long t = a % b;
      a = b;
      b = t;
    }
    return a;
  }
}
