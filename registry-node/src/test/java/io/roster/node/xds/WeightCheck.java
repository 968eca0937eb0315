package io.roster.node.xds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Checks that a client's calls spread over backends as their weights say, with Pearson's chi-square
 * test.
 *
 * <p>Why it does not flake: a client picks each call's backend at random with the weights'
 * proportions (weighted_target's random pick), so for a correct system the p-value of a sample is
 * uniform on [0, 1], whatever its size: a single test at p > 0.001 would fail one correct run in a
 * thousand. So a sample rejected at 0.001 is followed by a second, independent one, and the check
 * fails only when both are rejected: one correct run in a million. A real defect is rejected by
 * both by far: with 2,000 calls, weights ignored (1:1:1) give a statistic near 1,650 (p about
 * e^-825), and even 1:2:6 instead of 1:2:7 a statistic near 12 on average, so the sample size also
 * catches a weight off by one in ten about half the time, and anything coarser surely.
 */
final class WeightCheck {

  /** p-value below which a sample is rejected. */
  static final double THRESHOLD = 0.001;

  private WeightCheck() {}

  /**
   * Draws samples ({@code Map} backend name to calls) and fails unless the first, or failing that
   * the second, fits {@code weights} at p > {@value #THRESHOLD}.
   */
  static void passes(
      Supplier<Map<String, Long>> sample,
      List<HealthBackends.Backend> backends,
      double[] weights,
      String client) {
    String first = check(sample.get(), backends, weights, client);
    if (first == null) {
      return;
    }
    String second = check(sample.get(), backends, weights, client);
    assertTrue(second == null, "two samples in a row rejected: " + first + "; " + second);
  }

  /** Null when the sample fits, else why not. */
  private static String check(
      Map<String, Long> counts,
      List<HealthBackends.Backend> backends,
      double[] weights,
      String client) {
    long[] observed = new long[backends.size()];
    for (int i = 0; i < observed.length; i++) {
      observed[i] = counts.getOrDefault(backends.get(i).name, 0L);
    }
    assertEquals(
        backends.size(), counts.size(), "calls answered by exactly these backends: " + counts);
    double statistic = ChiSquare.statistic(observed, weights);
    double p = ChiSquare.pValue(statistic, observed.length - 1);
    System.out.printf(
        "%s: calls per backend %s for weights %s: chi-square %.2f, p = %.3g%n",
        client, counts, java.util.Arrays.toString(weights), statistic, p);
    return p > THRESHOLD ? null : counts + " chi-square " + statistic + " p " + p;
  }
}
