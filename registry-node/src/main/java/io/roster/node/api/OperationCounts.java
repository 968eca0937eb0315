package io.roster.node.api;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * The registry operations this node served, whatever the transport (gRPC, gRPC-Web, HTTP/JSON: all
 * call the same service objects, which count here): every call that reached its service method,
 * past authentication and limits, answered with success or not. Each heartbeat on a KeepAlive
 * stream counts as one heartbeat. Exported as {@code roster_operations_total{operation=...}} and
 * published to the other nodes for the dashboard's rates.
 *
 * <p>Thread-safe and cheap on the hot path: one {@link LongAdder} per operation, whose increments
 * from several event loops do not contend on one cache line.
 */
public final class OperationCounts {

  /** What was asked of the registry. */
  public enum Operation {
    REGISTER,
    DEREGISTER,
    HEARTBEAT,
    DISCOVER,
    SET_STATUS;

    /** The name in metrics and JSON: "register", "set_status". */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final Map<Operation, LongAdder> counts = new EnumMap<>(Operation.class);

  public OperationCounts() {
    for (Operation operation : Operation.values()) {
      counts.put(operation, new LongAdder());
    }
  }

  void count(Operation operation) {
    counts.get(operation).increment();
  }

  /** How many {@code operation}s this node served since it started. */
  public long total(Operation operation) {
    return counts.get(operation).sum();
  }

  /** Exports the counts as the counter {@code roster.operations}, tagged by operation. */
  public void register(MeterRegistry meters) {
    for (Operation operation : Operation.values()) {
      FunctionCounter.builder("roster.operations", this, c -> c.total(operation))
          .tag("operation", operation.label())
          .description(
              "Registry operations this node served (any transport; each KeepAlive heartbeat"
                  + " counts), successful or not")
          .register(meters);
    }
  }
}
