package io.roster.bench;

/**
 * What the well-behaved caller of the flood phase saw in one Discover measurement.
 *
 * @param ops answers that listed the service
 * @param errors calls that failed, refusals for a rate included
 * @param refused of the errors, refusals for a rate (RESOURCE_EXHAUSTED)
 * @param errorSummary errors by status code and the first one's text; empty when none
 * @param shortAnswers answers that listed fewer instances than the service holds
 * @param seconds from the first call to the end of the last
 * @param latencies of the answered calls, a snapshot
 */
record DiscoverFigures(
    long ops,
    long errors,
    long refused,
    String errorSummary,
    long shortAnswers,
    double seconds,
    Latencies latencies) {

  static DiscoverFigures of(CallLoad load, long shortAnswers) {
    return new DiscoverFigures(
        load.succeeded(),
        load.failed(),
        load.failures().count("RESOURCE_EXHAUSTED"),
        load.failureSummary(),
        shortAnswers,
        load.elapsedSeconds(),
        load.latencies().snapshot());
  }

  double opsPerSecond() {
    return seconds == 0 ? Double.NaN : ops / seconds;
  }

  double p50Millis() {
    return latencies.percentileMillis(50);
  }

  double p99Millis() {
    return latencies.percentileMillis(99);
  }

  double p999Millis() {
    return latencies.percentileMillis(99.9);
  }

  /** Adds the figures to {@code result}, each name after {@code prefix} ("baseline", "flood"). */
  void put(PhaseResult result, String prefix) {
    result
        .put(prefix + "Ops", ops)
        .put(prefix + "OpsPerSec", BenchContext.orNull(opsPerSecond()))
        .put(prefix + "P50Ms", BenchContext.orNull(p50Millis()))
        .put(prefix + "P99Ms", BenchContext.orNull(p99Millis()))
        .put(prefix + "P999Ms", BenchContext.orNull(p999Millis()))
        .put(prefix + "MaxMs", BenchContext.orNull(latencies.maxMillis()))
        .put(prefix + "Errors", errors)
        .put(prefix + "Refused", refused)
        .put(prefix + "ShortAnswers", shortAnswers);
  }

  /** Why the well-behaved caller's figures are not clean, to fail the run; null when they are. */
  String problem(String when) {
    if (errors == 0 && shortAnswers == 0) {
      return null;
    }
    return "the well-behaved caller "
        + when
        + ": "
        + (errors > 0 ? errors + " Discover calls failed " + errorSummary : "")
        + (errors > 0 && shortAnswers > 0 ? "; " : "")
        + (shortAnswers > 0
            ? shortAnswers + " answers listed fewer than its " + WellBehavedCaller.INSTANCES
            : "");
  }
}
