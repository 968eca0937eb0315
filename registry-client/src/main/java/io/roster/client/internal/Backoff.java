package io.roster.client.internal;

import java.time.Duration;
import java.util.random.RandomGenerator;

/**
 * Exponential backoff with jitter: {@code initial} doubling per failure in a row up to {@code max},
 * each wait spread by ±{@code jitter} so that clients cut off together do not come back in
 * lockstep.
 *
 * <p>Immutable; thread-safe if the random generator is.
 */
final class Backoff {

  private final long initialNanos;
  private final long maxNanos;
  private final double jitter;
  private final RandomGenerator random;

  Backoff(Duration initial, Duration max, double jitter, RandomGenerator random) {
    this.initialNanos = initial.toNanos();
    this.maxNanos = max.toNanos();
    this.jitter = jitter;
    this.random = random;
  }

  /** The wait after {@code failures} failures in a row (1 for the first). */
  long delayNanos(int failures) {
    return delayNanos(failures, maxNanos);
  }

  /**
   * The wait after {@code failures} failures in a row, the doubling stopping at {@code capNanos} if
   * that is below the configured maximum; the jitter still spreads it.
   */
  long delayNanos(int failures, long capNanos) {
    long max = Math.max(1, Math.min(maxNanos, capNanos));
    int doublings = Math.min(Math.max(failures, 1) - 1, 30);
    long base = Math.min(initialNanos, max);
    for (int i = 0; i < doublings && base < max; i++) {
      base *= 2;
    }
    base = Math.min(base, max);
    double spread = 1 + jitter * (2 * random.nextDouble() - 1);
    return (long) (base * spread);
  }
}
