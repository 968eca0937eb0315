package io.roster.node.store.hazelcast;

import com.hazelcast.map.IMap;
import com.hazelcast.partition.PartitionService;
import io.roster.node.domain.InstanceKey;
import io.roster.node.domain.LeaseTable;
import io.roster.node.domain.RenewResult;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns many heartbeats into few Hazelcast writes. Heartbeats are queued per partition; every
 * {@code windowMillis} each partition with heartbeats waiting gets one {@link RenewLeases}
 * operation (one write and one backup, whatever the number of leases in it). The write rate is so
 * bounded by partitions × windows per second, not by heartbeats per second.
 *
 * <p>The cost is latency and slack: a heartbeat is answered, and its lease extended, up to one
 * window after it arrived, so a lease runs up to one window longer than TTL after the last
 * heartbeat. With the default 20 ms window and TTLs of seconds, both are noise.
 *
 * <p>Threading: {@link #renew} is called from any thread; flushes run on one scheduler thread;
 * futures complete on Hazelcast threads.
 */
final class RenewalBatcher implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RenewalBatcher.class);
  private static final RenewResult.Outcome[] OUTCOMES = RenewResult.Outcome.values();

  private final IMap<String, LeaseTable> leases;
  private final PartitionService partitions;
  private final Clock clock;
  private final Map<Integer, Batch> pending = new ConcurrentHashMap<>();
  private final ScheduledExecutorService flusher =
      Executors.newSingleThreadScheduledExecutor(
          runnable -> {
            Thread thread = new Thread(runnable, "roster-renewal-batcher");
            thread.setDaemon(true);
            return thread;
          });

  RenewalBatcher(
      IMap<String, LeaseTable> leases,
      PartitionService partitions,
      Clock clock,
      long windowMillis) {
    this.leases = leases;
    this.partitions = partitions;
    this.clock = clock;
    flusher.scheduleWithFixedDelay(
        this::flushQuietly, windowMillis, windowMillis, TimeUnit.MILLISECONDS);
  }

  CompletableFuture<RenewResult> renew(InstanceKey key, long epoch) {
    String serviceKey = key.serviceKey().asString();
    int partition = partitions.getPartition(serviceKey).getPartitionId();
    CompletableFuture<RenewResult> answer = new CompletableFuture<>();
    pending
        .computeIfAbsent(partition, p -> new Batch())
        .add(serviceKey, new RenewLeases.Renewal(key.instanceId(), epoch), answer);
    return answer;
  }

  private void flushQuietly() {
    try {
      flush();
    } catch (RuntimeException e) {
      log.warn("renewal flush failed; the heartbeats waiting are answered with the error", e);
    }
  }

  private void flush() {
    long now = clock.millis();
    for (Map.Entry<Integer, Batch> entry : pending.entrySet()) {
      Batch batch = entry.getValue();
      Batch.Taken taken = batch.take();
      if (taken == null) {
        continue;
      }
      leases
          .submitToKeys(taken.renewals.keySet(), new RenewLeases(taken.renewals, now))
          .whenComplete(
              (results, failure) -> {
                for (Map.Entry<String, List<CompletableFuture<RenewResult>>> service :
                    taken.answers.entrySet()) {
                  List<CompletableFuture<RenewResult>> answers = service.getValue();
                  if (failure != null) {
                    answers.forEach(answer -> answer.completeExceptionally(failure));
                    continue;
                  }
                  long[] raw = results.get(service.getKey());
                  for (int i = 0; i < answers.size(); i++) {
                    int at = i * RenewLeases.FIELDS;
                    answers
                        .get(i)
                        .complete(
                            new RenewResult(
                                OUTCOMES[(int) raw[at]],
                                raw[at + 1],
                                raw[at + 2],
                                raw[at + 3] == 1,
                                raw[at + 4]));
                  }
                }
              });
    }
  }

  @Override
  public void close() {
    flusher.shutdownNow();
  }

  /** Heartbeats waiting for one partition; guarded by its own monitor. */
  private static final class Batch {
    private Map<String, List<RenewLeases.Renewal>> renewals = new HashMap<>();
    private Map<String, List<CompletableFuture<RenewResult>>> answers = new HashMap<>();

    synchronized void add(
        String serviceKey, RenewLeases.Renewal renewal, CompletableFuture<RenewResult> answer) {
      renewals.computeIfAbsent(serviceKey, k -> new ArrayList<>()).add(renewal);
      answers.computeIfAbsent(serviceKey, k -> new ArrayList<>()).add(answer);
    }

    synchronized Taken take() {
      if (renewals.isEmpty()) {
        return null;
      }
      Taken taken = new Taken(renewals, answers);
      renewals = new HashMap<>();
      answers = new HashMap<>();
      return taken;
    }

    record Taken(
        Map<String, List<RenewLeases.Renewal>> renewals,
        Map<String, List<CompletableFuture<RenewResult>>> answers) {}
  }
}
