package io.roster.bench;

import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * Failed calls of one load, counted by kind, with the first one's text for the report. The kind of
 * a gRPC failure is its status code; of any other (a ZooKeeper client's {@code KeeperException},
 * wrapped or not), the innermost exception's class name.
 *
 * <p>Thread-safe: failures are recorded from gRPC threads or callers' threads.
 */
final class CallFailures {
  private final AtomicLong count = new AtomicLong();
  private final Map<String, LongAdder> byKind = new ConcurrentHashMap<>();
  private final AtomicReference<String> first = new AtomicReference<>();
  private final Map<String, String> firstOfKind = new ConcurrentHashMap<>();

  void record(Throwable error) {
    String kind;
    String text;
    if (carriesStatus(error)) {
      Status status = Status.fromThrowable(error);
      kind = status.getCode().name();
      text = status.getCode() + ": " + status.getDescription();
    } else {
      Throwable root = error;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      kind = root.getClass().getSimpleName();
      text = root.toString();
    }
    byKind.computeIfAbsent(kind, k -> new LongAdder()).increment();
    firstOfKind.putIfAbsent(kind, text);
    first.compareAndSet(null, text);
    count.incrementAndGet();
  }

  long count() {
    return count.get();
  }

  /** Failures of {@code kind}: a status code's name, e.g. {@code "RESOURCE_EXHAUSTED"}. */
  long count(String kind) {
    LongAdder n = byKind.get(kind);
    return n == null ? 0 : n.sum();
  }

  /** The first failure of {@code kind}'s text, or null when there was none. */
  String first(String kind) {
    return firstOfKind.get(kind);
  }

  /** Failures by kind, e.g. {@code {DEADLINE_EXCEEDED=3}}, and the first one's text. */
  String summary() {
    if (count.get() == 0) {
      return "";
    }
    Map<String, Long> sorted = new TreeMap<>();
    byKind.forEach((kind, n) -> sorted.put(kind, n.sum()));
    return sorted + ", first: " + first.get();
  }

  /** Whether a gRPC status is in {@code error}'s cause chain (what Status.fromThrowable finds). */
  private static boolean carriesStatus(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof StatusRuntimeException || t instanceof StatusException) {
        return true;
      }
    }
    return false;
  }
}
