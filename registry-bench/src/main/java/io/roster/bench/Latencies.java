package io.roster.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * Latencies of one phase's calls, in microseconds with three significant digits, up to a minute.
 *
 * <p>These are service times under closed-loop load (each caller sends its next call when the
 * previous one returns), not corrected for coordinated omission: a node that stalls also slows the
 * rate of calls, so its stall shows in fewer samples than an open-loop client would see.
 *
 * <p>Thread-safe: recorded from gRPC threads, read by the phase after its calls ended. A {@link
 * #snapshot} no longer changes: the plot reads one, taken when the phase reports, so a call that
 * completes after its phase ended does not reach the plot.
 */
final class Latencies {
  private static final long HIGHEST_MICROS = TimeUnit.SECONDS.toMicros(60);
  private static final int SIGNIFICANT_DIGITS = 3;

  private final ConcurrentHistogram histogram;

  Latencies() {
    this(new ConcurrentHistogram(HIGHEST_MICROS, SIGNIFICANT_DIGITS));
  }

  private Latencies(ConcurrentHistogram histogram) {
    this.histogram = histogram;
  }

  /**
   * Durations measured by a phase itself rather than per call, e.g. failure-detection times, each
   * in milliseconds. They keep three significant digits, as recorded calls do, so a percentile read
   * here may differ from an exact one over the same values by up to 0.1 %. The range grows past a
   * minute to hold the largest value, since detection is bounded by TTL + 60 s, not by a minute;
   * NaN and infinite values are skipped.
   */
  static Latencies ofMillis(double... millis) {
    long highestMicros = HIGHEST_MICROS;
    for (double value : millis) {
      if (Double.isFinite(value)) {
        highestMicros = Math.max(highestMicros, (long) Math.ceil(value * 1_000));
      }
    }
    Latencies latencies = new Latencies(new ConcurrentHistogram(highestMicros, SIGNIFICANT_DIGITS));
    for (double value : millis) {
      if (Double.isFinite(value)) {
        latencies.histogram.recordValue(
            Math.max(1, Math.min(highestMicros, Math.round(value * 1_000))));
      }
    }
    return latencies;
  }

  void recordNanos(long nanos) {
    long micros = Math.max(1, Math.min(HIGHEST_MICROS, TimeUnit.NANOSECONDS.toMicros(nanos)));
    histogram.recordValue(micros);
  }

  long count() {
    return histogram.getTotalCount();
  }

  /** A copy of what was recorded so far, which later recordings do not change. */
  Latencies snapshot() {
    return new Latencies(histogram.copy());
  }

  /**
   * The latency at {@code percentile} (0-100) in milliseconds, or NaN when nothing was recorded.
   */
  double percentileMillis(double percentile) {
    if (histogram.getTotalCount() == 0) {
      return Double.NaN;
    }
    return histogram.getValueAtPercentile(percentile) / 1_000.0;
  }

  double maxMillis() {
    return histogram.getTotalCount() == 0 ? Double.NaN : histogram.getMaxValue() / 1_000.0;
  }

  /**
   * The latency distribution as HdrHistogram's percentile iteration walks it: 0 %, then {@code
   * ticksPerHalfDistance} levels in each halving of the distance to 100 % (0-50, 50-75, 75-87.5
   * ...), up to the level where the largest sample is reached, then exactly 100. Levels rise
   * strictly; latencies never fall. Past 0 %, each latency is the one {@link #percentileMillis}
   * gives at that level. Empty when nothing was recorded.
   */
  List<Level> byPercentile(int ticksPerHalfDistance) {
    ConcurrentHistogram copy = histogram.copy(); // iterating a histogram still recorded is not safe
    List<Level> levels = new ArrayList<>();
    if (copy.getTotalCount() == 0) {
      return levels;
    }
    for (HistogramIterationValue value : copy.percentiles(ticksPerHalfDistance)) {
      double percentile = value.getPercentileLevelIteratedTo();
      if (!levels.isEmpty() && percentile <= levels.get(levels.size() - 1).percentile()) {
        continue;
      }
      levels.add(new Level(percentile, value.getValueIteratedTo() / 1_000.0));
    }
    return levels;
  }

  /** A latency in milliseconds at a percentile level (0-100). */
  record Level(double percentile, double millis) {}
}
