package io.roster.bench;

/**
 * Sizes and durations of the protection phase, validated once. Immutable.
 *
 * @param instances instances kept alive over {@code services} services (the phase's own fleet)
 * @param services services the fleet is spread over, round robin
 * @param deadInstances instances of the one service that stops heartbeating in scenario 1
 * @param silentShare share of the fleet, chosen at random, that stops in scenario 2 (0.5: half)
 * @param leaseTtlMillis lease TTL the fleet asks for; 0 leaves it unset (the node's default, 10 s)
 * @param observeMillis how long scenario 1 watches the dead service after its last heartbeat; also
 *     the second moment at which it counts the instances still listed healthy
 * @param recordMillis how long scenarios 2 and 3 record, from the moment heartbeats stop to the
 *     moment they resume
 * @param settleMillis quiet time before scenarios 2 and 3: no declaration seen for this long, so
 *     that the registry's 60 s budget window starts empty (0 in smoke runs: they judge nothing)
 */
record ProtectionConfig(
    int instances,
    int services,
    int deadInstances,
    double silentShare,
    long leaseTtlMillis,
    long observeMillis,
    long recordMillis,
    long settleMillis) {

  /** How long scenarios 2 and 3 wait, at most, for every resumed instance to be healthy again. */
  static final long RECOVERY_BOUND_MILLIS = 60_000;

  /** Warm-up before scenario 1, and waits for streams and snapshots, at most. */
  static final long WARMUP_BOUND_MILLIS = 30_000;

  ProtectionConfig {
    check(instances >= 3, "protection instances must be at least 3");
    check(
        services >= 1 && services <= instances,
        "protection services must be 1 to the number of protection instances");
    check(deadInstances >= 1, "the dead service has at least 1 instance");
    check(silentShare > 0 && silentShare < 1, "the silent share must be between 0 and 1");
    check(leaseTtlMillis >= 0, "the protection TTL is negative");
    check(leaseTtlMillis <= 600_000, "the protection TTL is at most 600 s");
    check(observeMillis >= 1_000 && observeMillis <= 3_600_000, "observe 1 s to 1 h");
    check(recordMillis >= 1_000 && recordMillis <= 3_600_000, "record 1 s to 1 h");
    check(settleMillis >= 0 && settleMillis <= 600_000, "settle 0 to 600 s");
  }

  /** The TTL the leases will have: the one asked for, or the node's default of 10 s. */
  long expectedTtlMillis() {
    return leaseTtlMillis > 0 ? leaseTtlMillis : 10_000;
  }

  /**
   * Longest the phase may take: registration and two deregistrations (each bounded by {@code
   * countedPhaseBoundMillis}), the warm-up, scenario 1, then twice a settle (at most twice {@code
   * settleMillis} + 10 s), a recording and a recovery.
   */
  long boundMillis(long countedPhaseBoundMillis) {
    long settle = 2 * settleMillis + 10_000;
    long scenario = settle + expectedTtlMillis() + recordMillis + RECOVERY_BOUND_MILLIS;
    return 3 * countedPhaseBoundMillis
        + 2 * WARMUP_BOUND_MILLIS
        + expectedTtlMillis()
        + observeMillis
        + 2 * scenario;
  }

  private static void check(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }
}
