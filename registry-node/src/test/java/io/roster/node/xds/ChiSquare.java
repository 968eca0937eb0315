package io.roster.node.xds;

/**
 * Pearson's chi-square goodness-of-fit test, for checking that calls spread over backends as their
 * weights say.
 *
 * <p>Stateless.
 */
final class ChiSquare {

  private ChiSquare() {}

  /**
   * Pearson's statistic: the sum over categories of (observed - expected)^2 / expected, where
   * expected = total * weight / sum of weights.
   */
  static double statistic(long[] observed, double[] weights) {
    if (observed.length != weights.length || observed.length < 2) {
      throw new IllegalArgumentException("one weight per category, at least two categories");
    }
    long total = 0;
    for (long count : observed) {
      total += count;
    }
    double weightSum = 0;
    for (double weight : weights) {
      weightSum += weight;
    }
    double statistic = 0;
    for (int i = 0; i < observed.length; i++) {
      double expected = total * weights[i] / weightSum;
      statistic += (observed[i] - expected) * (observed[i] - expected) / expected;
    }
    return statistic;
  }

  /**
   * The chance that a chi-square variable with {@code degreesOfFreedom} (even) is at least {@code
   * statistic}: exactly e^(-x/2) * sum over i < k/2 of (x/2)^i / i!, the survival function of the
   * chi-square distribution for an even number of degrees of freedom (for 2, simply e^(-x/2)).
   */
  static double pValue(double statistic, int degreesOfFreedom) {
    if (degreesOfFreedom <= 0 || degreesOfFreedom % 2 != 0) {
      throw new IllegalArgumentException(
          "this closed form holds for even degrees of freedom, got " + degreesOfFreedom);
    }
    double half = statistic / 2;
    double term = 1;
    double sum = 1;
    for (int i = 1; i < degreesOfFreedom / 2; i++) {
      term *= half / i;
      sum += term;
    }
    return Math.exp(-half) * sum;
  }
}
