package io.roster.node.store.hazelcast;

import io.roster.node.domain.LeaseTable;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One batch of lease renewals applied to a service's {@link LeaseTable} of 1,000 leases, by the
 * entry processor the node sends for it ({@link RenewLeases#process}): {@code batch} heartbeats of
 * one service that arrived within one renewal window, each a {@link LeaseTable#renew} and its
 * answer packed for the trip back.
 *
 * <p>Why this is the hot path measured without Hazelcast: it is the code every heartbeat runs on
 * the partition thread, which is the one thread all writes of the partition's services queue on, so
 * its cost per lease bounds the heartbeats a partition absorbs. What Hazelcast adds per batch (the
 * hand-off to the partition thread, the synchronous backup, the remote call when another member
 * owns the partition) is a fixed cost per operation, measured by {@link HazelcastRenewalBenchmark};
 * the two together say how much batching saves.
 *
 * <p>Class in the node's package: {@link RenewLeases} is package-private, and is measured as it is
 * rather than widened for a benchmark.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class LeaseRenewalBenchmark {

  static final String SERVICE = "bench/orders";
  static final int TABLE_SIZE = 1000;
  static final long TTL_MILLIS = 10_000;
  static final long EPOCH = 1;

  @Param({"1", "10", "100", "1000"})
  public int batch;

  private Map.Entry<String, LeaseTable> entry;
  private Map<String, List<RenewLeases.Renewal>> renewals;
  private long nowMillis;

  @Setup
  public void setUp() {
    nowMillis = 1_700_000_000_000L;
    entry = new AbstractMap.SimpleEntry<>(SERVICE, table(TABLE_SIZE, nowMillis));
    renewals = Map.of(SERVICE, renewals(batch, TABLE_SIZE));
  }

  /** Each call is a new window: a millisecond later than the one before. */
  @Benchmark
  public long[] renewBatch() {
    nowMillis++;
    return RenewLeases.extending(renewals, nowMillis).process(entry);
  }

  /** The table the batches renew leases in. */
  LeaseTable table() {
    return entry.getValue();
  }

  long nowMillis() {
    return nowMillis;
  }

  /** A table of {@code size} leases of instances {@code i-000000...}, granted at {@code now}. */
  static LeaseTable table(int size, long nowMillis) {
    LeaseTable table = new LeaseTable();
    for (int i = 0; i < size; i++) {
      table.grant(instanceId(i), EPOCH, TTL_MILLIS, nowMillis);
    }
    return table;
  }

  /** Heartbeats of {@code count} instances spread evenly over a table of {@code tableSize}. */
  static List<RenewLeases.Renewal> renewals(int count, int tableSize) {
    List<RenewLeases.Renewal> list = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      list.add(new RenewLeases.Renewal(instanceId(i * (tableSize / count)), EPOCH));
    }
    return List.copyOf(list);
  }

  static String instanceId(int index) {
    return String.format("i-%06d", index);
  }
}
