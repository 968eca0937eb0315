package io.roster.node.store.hazelcast;

import com.hazelcast.map.IMap;
import io.roster.node.domain.InstanceKey;
import io.roster.node.domain.LeaseTable;
import io.roster.node.domain.RenewResult;
import io.roster.node.domain.RenewalPace;
import java.time.Clock;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Heartbeats through the node's {@link RenewalBatcher} into two real members ({@link
 * RegistryMembers}): 10,000 leases in 100 services, renewed in turn as a KeepAlive stream's are
 * ({@code RenewalPace.WINDOWED}), with the node's default window of 100 ms. Each call hands one
 * heartbeat to the batcher and first waits for the answer to the heartbeat handed over {@value
 * #IN_FLIGHT} calls before, so at most that many are unanswered, as a node holds a bounded number
 * of calls open; the score is the heartbeats the whole path absorbs per second: queueing per
 * member, one {@code submitToKeys} per member in flight (group commit), {@link RenewLeases} on the
 * partition threads and the answers completed.
 *
 * <p>Why this one too: the batcher's own costs (the partition lookup and the queues per heartbeat,
 * the futures completed on Hazelcast threads) are on every heartbeat as well, and whether the flush
 * keeps up shows only with all parts running. The bound of the closed loop ({@value #IN_FLIGHT} per
 * call round trip) is far above what the path does, so the window does not limit the score.
 *
 * <p>Reading the score: at hundreds of thousands a second each lease gets several heartbeats per
 * window, so a window's batch per service is tens of renewals, as in registry-bench's heartbeat
 * phase, not the one or none of a fleet heartbeating every TTL/3 (which is what the member batching
 * is for); a renewal costs the same either way. The benchmark thread (standing in for the gRPC
 * threads), the flush thread and both members' threads share the machine's cores, as the nodes of
 * deploy/local do: the score is a ceiling for heartbeats on this machine with no gRPC in front, not
 * one node's share of a cluster.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
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
public class RenewalBatcherBenchmark {

  static final int SERVICES = 100;
  static final int INSTANCES_PER_SERVICE = 100;

  /** The node's default {@code lease.renewal-window-ms}. */
  static final long WINDOW_MILLIS = 100;

  static final int IN_FLIGHT = 1 << 16;

  private RenewalBatcher batcher;
  private InstanceKey[] keys;
  private CompletableFuture<?>[] inFlight;
  private int next;
  private int nextKey;

  @Setup
  public void setUp(RegistryMembers members) {
    IMap<String, LeaseTable> leases = members.leases();
    long now = System.currentTimeMillis();
    keys = new InstanceKey[SERVICES * INSTANCES_PER_SERVICE];
    for (int s = 0; s < SERVICES; s++) {
      String service = String.format("svc-%03d", s);
      leases.set("bench/" + service, LeaseRenewalBenchmark.table(INSTANCES_PER_SERVICE, now));
      for (int i = 0; i < INSTANCES_PER_SERVICE; i++) {
        // Heartbeats in turn over the services: consecutive ones fall in different partitions.
        keys[i * SERVICES + s] =
            new InstanceKey("bench", service, LeaseRenewalBenchmark.instanceId(i));
      }
    }
    inFlight = new CompletableFuture<?>[IN_FLIGHT];
    batcher =
        new RenewalBatcher(
            leases, members.caller().getPartitionService(), Clock.systemUTC(), WINDOW_MILLIS);
  }

  @TearDown
  public void tearDown() {
    // Answers still due come within a window or two; waiting keeps them off the members' stop.
    try {
      CompletableFuture.allOf(
              Arrays.stream(inFlight).filter(Objects::nonNull).toArray(CompletableFuture[]::new))
          .get(10, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      System.err.println("heartbeats still unanswered at tear-down: " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      batcher.close();
    }
  }

  @Benchmark
  public Object heartbeat() {
    int slot = next & (IN_FLIGHT - 1);
    CompletableFuture<?> earlier = inFlight[slot];
    Object answer = earlier == null ? null : earlier.join();
    inFlight[slot] =
        batcher.renew(keys[nextKey], LeaseRenewalBenchmark.EPOCH, RenewalPace.WINDOWED);
    next++;
    nextKey = nextKey + 1 == keys.length ? 0 : nextKey + 1;
    return answer;
  }

  /** Waits for every heartbeat handed over and not yet waited for, and counts their outcomes. */
  Map<RenewResult.Outcome, Integer> drain() {
    Map<RenewResult.Outcome, Integer> outcomes = new EnumMap<>(RenewResult.Outcome.class);
    for (int i = 0; i < IN_FLIGHT; i++) {
      CompletableFuture<?> future = inFlight[i];
      if (future != null) {
        outcomes.merge(((RenewResult) future.join()).outcome(), 1, Integer::sum);
        inFlight[i] = null;
      }
    }
    return outcomes;
  }
}
