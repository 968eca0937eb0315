package io.roster.bench;

/**
 * What a phase reads from the load that drove its calls, whichever way they were sent: {@link
 * UnaryLoad} (asynchronous, many calls in flight from one thread) or {@link BlockingLoad} (one
 * blocking call in flight per thread). Readable from any thread while the load runs (the progress
 * line does).
 */
interface CallLoad {
  long started();

  long succeeded();

  long failed();

  /** Calls started and not ended yet. */
  default long inFlight() {
    return started() - succeeded() - failed();
  }

  Latencies latencies();

  /** From the first call to the end of the last (or of the drain bound). */
  double elapsedSeconds();

  /** Successful calls per second over {@link #elapsedSeconds}; NaN before the load ran. */
  double succeededPerSecond();

  /** Failures by status code and the first one's text; empty when none failed. */
  String failureSummary();
}
