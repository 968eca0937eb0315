package io.roster.bench;

/**
 * Sizes and duration of the flood phase, and how its flooder connects, validated once. Immutable.
 *
 * @param durationMillis how long each of the well-behaved caller's two Discover measurements lasts
 *     (without, then with the flood); the flood lasts as long as the second
 * @param readsPerSecond Discover calls a second the well-behaved caller sends at most, over its
 *     threads; 0: as fast as they are answered. Below the nodes' read limits, or the caller is not
 *     well-behaved and is refused for its own rate
 * @param streams Watch streams the flooder opens on the target, at most
 * @param registrations registrations of the flooder the node may accept, at most: a bound on what a
 *     node with limits off is made to hold (each is a service of its own, 1 h lease)
 * @param flooderTransport the flooder's channel credentials: those of the run, or the run's with a
 *     token of its own ({@code --flood-token-file}), so a node that checks callers counts it apart
 * @param flooderHasOwnToken whether {@code flooderTransport} carries a token of its own
 */
record FloodConfig(
    long durationMillis,
    int readsPerSecond,
    int streams,
    int registrations,
    BenchTransport flooderTransport,
    boolean flooderHasOwnToken) {

  FloodConfig {
    check(durationMillis >= 1_000 && durationMillis <= 3_600_000, "the flood lasts 1 s to 1 h");
    check(readsPerSecond >= 0, "the well-behaved caller's rate is negative");
    check(streams >= 0 && streams <= 100_000, "flood streams must be 0-100000");
    check(
        registrations >= 0 && registrations <= 1_000_000, "flood registrations must be 0-1000000");
    check(flooderTransport != null, "no transport for the flooder");
  }

  private static void check(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }
}
