package io.roster.bench;

import java.util.concurrent.TimeUnit;
import org.HdrHistogram.ConcurrentHistogram;

/**
 * Latencies of one phase's calls, in microseconds with three significant digits, up to a minute.
 *
 * <p>These are service times under closed-loop load (each caller sends its next call when the
 * previous one returns), not corrected for coordinated omission: a node that stalls also slows the
 * rate of calls, so its stall shows in fewer samples than an open-loop client would see.
 *
 * <p>Thread-safe: recorded from gRPC threads, read by the phase after its calls ended.
 */
final class Latencies {
  private static final long HIGHEST_MICROS = TimeUnit.SECONDS.toMicros(60);

  private final ConcurrentHistogram histogram = new ConcurrentHistogram(HIGHEST_MICROS, 3);

  void recordNanos(long nanos) {
    long micros = Math.max(1, Math.min(HIGHEST_MICROS, TimeUnit.NANOSECONDS.toMicros(nanos)));
    histogram.recordValue(micros);
  }

  long count() {
    return histogram.getTotalCount();
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
}
