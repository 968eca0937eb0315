package io.roster.bench;

import io.grpc.Status;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * Failed calls of one load, counted by status code, with the first one's text for the report.
 *
 * <p>Thread-safe: failures are recorded from gRPC threads or callers' threads.
 */
final class CallFailures {
  private final AtomicLong count = new AtomicLong();
  private final Map<Status.Code, LongAdder> byCode = new ConcurrentHashMap<>();
  private final AtomicReference<String> first = new AtomicReference<>();

  void record(Throwable error) {
    Status status = Status.fromThrowable(error);
    byCode.computeIfAbsent(status.getCode(), code -> new LongAdder()).increment();
    first.compareAndSet(null, status.getCode() + ": " + status.getDescription());
    count.incrementAndGet();
  }

  long count() {
    return count.get();
  }

  /** Failures by status code, e.g. {@code {DEADLINE_EXCEEDED=3}}, and the first one's text. */
  String summary() {
    if (count.get() == 0) {
      return "";
    }
    Map<String, Long> sorted = new TreeMap<>();
    byCode.forEach((code, n) -> sorted.put(code.name(), n.sum()));
    return sorted + ", first: " + first.get();
  }
}
