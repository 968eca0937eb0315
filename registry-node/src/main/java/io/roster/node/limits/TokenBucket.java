package io.roster.node.limits;

/**
 * A rate with a burst: up to {@code capacity} calls at once, refilled at {@code perSecond}. Taking
 * never waits: a call that finds the bucket empty learns how long until a token is back, which is
 * the retry hint its caller gets.
 *
 * <p>Thread-safe: a caller's bucket is shared by its connections, which may be served by different
 * event loops; the lock is held for a few arithmetic operations.
 */
final class TokenBucket {

  private final double perNano;
  private final double capacity;
  private double tokens;
  private long refilledAtNanos;

  /**
   * @param perSecond tokens added per second, more than 0
   * @param capacity most tokens held, at least 1: the burst allowed after a quiet spell
   */
  TokenBucket(double perSecond, double capacity, long nowNanos) {
    if (perSecond <= 0 || capacity < 1) {
      throw new IllegalArgumentException(
          "a bucket needs a rate above 0 and room for one token: " + perSecond + "/s, " + capacity);
    }
    this.perNano = perSecond / 1e9;
    this.capacity = capacity;
    this.tokens = capacity;
    this.refilledAtNanos = nowNanos;
  }

  /** Takes one token: 0 when taken, else the nanoseconds until one is back (nothing taken). */
  synchronized long take(long nowNanos) {
    if (nowNanos > refilledAtNanos) {
      tokens = Math.min(capacity, tokens + (nowNanos - refilledAtNanos) * perNano);
      refilledAtNanos = nowNanos;
    }
    if (tokens >= 1) {
      tokens -= 1;
      return 0;
    }
    return Math.max(1, (long) Math.ceil((1 - tokens) / perNano));
  }

  /** Returns a token taken for a call that another limit refused after all. */
  synchronized void giveBack() {
    tokens = Math.min(capacity, tokens + 1);
  }
}
