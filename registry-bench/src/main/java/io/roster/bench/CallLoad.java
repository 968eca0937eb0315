package io.roster.bench;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What a phase reads from the load that drove its calls, whichever way they were sent: {@link
 * UnaryLoad} (asynchronous, many calls in flight from one thread) or {@link BlockingLoad} (one
 * blocking call in flight per thread). Readable from any thread while the load runs (the progress
 * line does).
 *
 * <p>Holds the counters both kinds keep; each kind records into them as its calls end.
 */
abstract class CallLoad {
  protected final Latencies latencies = new Latencies();
  protected final AtomicLong started = new AtomicLong();
  protected final AtomicLong succeeded = new AtomicLong();
  protected final CallFailures failures = new CallFailures();

  /** Set once the load has run: from the first call to the end of the last (or the drain bound). */
  protected volatile long elapsedNanos;

  final long started() {
    return started.get();
  }

  final long succeeded() {
    return succeeded.get();
  }

  final long failed() {
    return failures.count();
  }

  /** Calls started and not ended yet. */
  final long inFlight() {
    return started() - succeeded() - failed();
  }

  final Latencies latencies() {
    return latencies;
  }

  /** From the first call to the end of the last (or of the drain bound). */
  final double elapsedSeconds() {
    return elapsedNanos / 1e9;
  }

  /** Successful calls per second over {@link #elapsedSeconds}; NaN before the load ran. */
  final double succeededPerSecond() {
    return elapsedNanos == 0 ? Double.NaN : succeeded.get() / elapsedSeconds();
  }

  /** The failures, by kind. */
  final CallFailures failures() {
    return failures;
  }

  /** Failures by status code and the first one's text; empty when none failed. */
  final String failureSummary() {
    return failures.summary();
  }

  /**
   * Puts in {@code result} what went wrong with a load of {@code count} calls of {@code what} (e.g.
   * "registrations"), each problem prefixed with {@code prefix}: failures, calls never started
   * within {@code boundMillis}, calls unanswered ({@code drained} false).
   */
  final void reportProblems(
      PhaseResult result,
      String prefix,
      String what,
      long count,
      long boundMillis,
      boolean drained) {
    if (failed() > 0) {
      result.problem(prefix + failed() + " " + what + " failed " + failureSummary());
    }
    if (started() < count) {
      result.problem(
          prefix
              + "only "
              + started()
              + " of "
              + count
              + " "
              + what
              + " started within "
              + boundMillis
              + " ms");
    }
    if (!drained) {
      result.problem(prefix + inFlight() + " " + what + " still unanswered after their deadline");
    }
  }
}
