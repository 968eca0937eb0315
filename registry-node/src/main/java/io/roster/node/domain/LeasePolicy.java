package io.roster.node.domain;

/**
 * Which lease time-to-live a registration gets.
 *
 * @param defaultTtlMillis granted when none is asked for
 * @param minTtlMillis asked-for values below are raised to this
 * @param maxTtlMillis asked-for values above are lowered to this
 */
public record LeasePolicy(long defaultTtlMillis, long minTtlMillis, long maxTtlMillis) {

  public LeasePolicy {
    if (minTtlMillis <= 0 || minTtlMillis > maxTtlMillis) {
      throw new IllegalArgumentException(
          "lease TTL bounds must satisfy 0 < min <= max, got "
              + minTtlMillis
              + ".."
              + maxTtlMillis);
    }
    if (defaultTtlMillis < minTtlMillis || defaultTtlMillis > maxTtlMillis) {
      throw new IllegalArgumentException(
          "default lease TTL "
              + defaultTtlMillis
              + " ms is outside "
              + minTtlMillis
              + ".."
              + maxTtlMillis
              + " ms");
    }
  }

  /** 10 s by default, 1 s to 1 h allowed. */
  public static LeasePolicy defaults() {
    return new LeasePolicy(10_000, 1_000, 3_600_000);
  }

  /** The TTL to grant for a request; {@code requestedMillis} 0 means "not asked". */
  public long grant(long requestedMillis) {
    if (requestedMillis < 0) {
      throw new InvalidArgumentException(
          "lease_ttl", "must not be negative, got " + requestedMillis + " ms");
    }
    if (requestedMillis == 0) {
      return defaultTtlMillis;
    }
    return Math.max(minTtlMillis, Math.min(maxTtlMillis, requestedMillis));
  }
}
