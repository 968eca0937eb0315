package io.roster.node.store.hazelcast;

import com.hazelcast.map.IMap;
import io.roster.node.domain.LeaseTable;
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
 * One renewal batch as a real Hazelcast write: the {@code submitToKeys} with a {@link RenewLeases}
 * that {@link RenewalBatcher} sends per partition per window, on two members configured as nodes
 * configure theirs ({@link RegistryMembers}), waited for until answered (after the synchronous
 * backup). {@code batch} leases of one service of 1,000 are renewed; {@code owner} says whether the
 * calling member owns the service's partition (the backup goes to the other member) or the other
 * member does (the call and its answer cross loopback TCP, and the backup comes back).
 *
 * <p>Why a real member: batching exists to pay Hazelcast's cost per operation once per window
 * instead of once per heartbeat, and that cost is made of real parts (invocation, partition thread
 * hand-off, backup, network), which no mock has. Compared with {@link LeaseRenewalBenchmark} (the
 * same processor without Hazelcast) it gives the fixed cost of a batch.
 *
 * <p>Each call is one caller waiting for its answer, so the time is the latency of one batch on an
 * otherwise idle cluster, not the cluster's capacity ({@link RenewalBatcherBenchmark} measures the
 * heartbeats the path absorbs).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {
      RegistryMembers.ADD_MODULES,
      RegistryMembers.EXPORT_REF,
      RegistryMembers.OPEN_LANG,
      RegistryMembers.OPEN_NIO,
      RegistryMembers.OPEN_MANAGEMENT,
      RegistryMembers.OPEN_JDK_MANAGEMENT,
      RegistryMembers.COMMON_POOL
    })
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class HazelcastRenewalBenchmark {

  /** Which member owns the partition of the service renewed. */
  public enum Owner {
    LOCAL,
    REMOTE
  }

  @Param({"1", "10", "100"})
  public int batch;

  @Param({"LOCAL", "REMOTE"})
  public Owner owner;

  private IMap<String, LeaseTable> leases;
  private Map<String, List<RenewLeases.Renewal>> renewals;

  @Setup
  public void setUp(RegistryMembers members) {
    leases = members.leases();
    String service = members.serviceOwnedBy(owner == Owner.LOCAL, "renewed");
    long now = System.currentTimeMillis();
    leases.set(service, LeaseRenewalBenchmark.table(LeaseRenewalBenchmark.TABLE_SIZE, now));
    renewals =
        Map.of(service, LeaseRenewalBenchmark.renewals(batch, LeaseRenewalBenchmark.TABLE_SIZE));
  }

  @Benchmark
  public Map<String, long[]> submitBatch() {
    return leases
        .submitToKeys(
            renewals.keySet(), RenewLeases.extending(renewals, System.currentTimeMillis()))
        .toCompletableFuture()
        .join();
  }

  /** The service whose leases are renewed. */
  String service() {
    return renewals.keySet().iterator().next();
  }
}
