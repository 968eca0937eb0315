package io.roster.node.store.hazelcast;

import com.hazelcast.cluster.Member;
import com.hazelcast.map.IMap;
import com.hazelcast.partition.PartitionService;
import io.roster.node.domain.InstanceKey;
import io.roster.node.domain.LeaseTable;
import io.roster.node.domain.RenewResult;
import io.roster.node.domain.RenewalPace;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns many heartbeats into few Hazelcast writes, by group commit per member: heartbeats are
 * queued per member that owns their partition, and each member has at most one {@link RenewLeases}
 * call in flight, carrying every heartbeat queued for it (Hazelcast splits the call per partition
 * on that member: one network round trip per member, whatever the partitions).
 *
 * <ul>
 *   <li>A heartbeat whose caller waits ({@link RenewalPace#AT_ONCE}) goes out at once when its
 *       member has nothing in flight, and otherwise with the next call, sent as soon as the one in
 *       flight returns: no fixed wait, and under load the calls grow instead of multiplying.
 *   <li>A heartbeat from a KeepAlive stream ({@link RenewalPace#WINDOWED}) may wait up to {@code
 *       windowMillis} for company: a fleet at rest (10,000 leases of 10 s send about 3,000
 *       heartbeats a second, one or two per partition per second) then costs one call per member
 *       per window instead of one per heartbeat. Once {@value #FULL} wait for a member they go as a
 *       waiting caller's would: under load the window would only cap the rate (at most one call per
 *       member per window), not save calls.
 * </ul>
 *
 * <p>Renewals carry no backup: a lost one costs nothing, since the leader gives every live lease a
 * full TTL whenever a member leaves, which is the only way a backup replica gets promoted. A
 * renewal that would revive a lease the leader declared expired changes the lease's health
 * sequence, which must survive; it is sent again on its own as a backed-up write ({@link
 * RenewLeases#reviving}).
 *
 * <p>Threading: {@link #renew} is called from any thread and may send from it; the window runs on
 * one scheduler thread; calls complete on Hazelcast threads, which send what waited meanwhile and
 * answer the heartbeats.
 */
final class RenewalBatcher implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RenewalBatcher.class);
  private static final RenewResult.Outcome[] OUTCOMES = RenewResult.Outcome.values();

  /** Heartbeats waiting for one member that make a call worth sending without waiting longer. */
  static final int FULL = 128;

  /** Lane of heartbeats whose partition has no owner at the moment (a migration, a member lost). */
  private static final UUID NO_OWNER = new UUID(0, 0);

  private final IMap<String, LeaseTable> leases;
  private final PartitionService partitions;
  private final Clock clock;
  private final long windowNanos;

  /**
   * One lane per member ever seen owning a partition (a few hundred bytes each); never removed, so
   * a heartbeat can never be queued on a lane no one looks at any more.
   */
  private final Map<UUID, Lane> lanes = new ConcurrentHashMap<>();

  private final ScheduledExecutorService window =
      Executors.newSingleThreadScheduledExecutor(
          runnable -> {
            Thread thread = new Thread(runnable, "roster-renewal-window");
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
    this.windowNanos = TimeUnit.MILLISECONDS.toNanos(windowMillis);
    window.scheduleWithFixedDelay(
        this::windowTick, windowMillis, windowMillis, TimeUnit.MILLISECONDS);
  }

  CompletableFuture<RenewResult> renew(InstanceKey key, long epoch, RenewalPace pace) {
    String serviceKey = key.serviceKey().asString();
    Member owner = partitions.getPartition(serviceKey).getOwner();
    Lane lane = lanes.computeIfAbsent(owner == null ? NO_OWNER : owner.getUuid(), id -> new Lane());
    CompletableFuture<RenewResult> answer = new CompletableFuture<>();
    Batch due =
        lane.add(
            serviceKey,
            new RenewLeases.Renewal(key.instanceId(), epoch),
            answer,
            pace == RenewalPace.AT_ONCE);
    if (due != null) {
      send(lane, due);
    }
    return answer;
  }

  private void windowTick() {
    try {
      for (Lane lane : lanes.values()) {
        Batch due = lane.takeIfIdle();
        if (due != null) {
          send(lane, due);
        }
      }
    } catch (RuntimeException e) {
      log.warn("renewal window failed; the heartbeats waiting go with the next call", e);
    }
  }

  private void send(Lane lane, Batch batch) {
    CompletableFuture<Map<String, long[]>> call;
    try {
      call =
          leases
              .submitToKeys(
                  batch.renewals.keySet(), RenewLeases.extending(batch.renewals, clock.millis()))
              .toCompletableFuture();
    } catch (RuntimeException e) {
      call = CompletableFuture.failedFuture(e);
    }
    call.whenComplete(
        (results, failure) -> {
          // The lane is free again before the answers go out: what waited meanwhile leaves now.
          Batch next = lane.done(windowNanos);
          if (next != null) {
            send(lane, next);
          }
          answer(batch, results, failure);
        });
  }

  private void answer(Batch batch, Map<String, long[]> results, Throwable failure) {
    for (Map.Entry<String, List<CompletableFuture<RenewResult>>> service :
        batch.answers.entrySet()) {
      List<CompletableFuture<RenewResult>> answers = service.getValue();
      if (failure != null) {
        answers.forEach(answer -> answer.completeExceptionally(failure));
        continue;
      }
      long[] raw = results.get(service.getKey());
      if (raw == null) {
        // Never expected: the processor answers every key it is given. Answered all the same.
        IllegalStateException missing =
            new IllegalStateException("no renewal result for " + service.getKey());
        answers.forEach(answer -> answer.completeExceptionally(missing));
        continue;
      }
      List<RenewLeases.Renewal> renewals = batch.renewals.get(service.getKey());
      for (int i = 0; i < answers.size(); i++) {
        int at = i * RenewLeases.FIELDS;
        if (raw[at] == RenewLeases.REVIVAL_NEEDED) {
          revive(service.getKey(), renewals.get(i), answers.get(i));
        } else {
          answers.get(i).complete(result(raw, at));
        }
      }
    }
  }

  /** A renewal of a declared lease: on its own, backed up, since it moves the health sequence. */
  private void revive(
      String serviceKey, RenewLeases.Renewal renewal, CompletableFuture<RenewResult> answer) {
    leases
        .submitToKey(
            serviceKey, RenewLeases.reviving(Map.of(serviceKey, List.of(renewal)), clock.millis()))
        .whenComplete(
            (raw, failure) -> {
              if (failure != null) {
                answer.completeExceptionally(failure);
              } else {
                answer.complete(result(raw, 0));
              }
            });
  }

  private static RenewResult result(long[] raw, int at) {
    return new RenewResult(
        OUTCOMES[(int) raw[at]], raw[at + 1], raw[at + 2], raw[at + 3] == 1, raw[at + 4]);
  }

  @Override
  public void close() {
    window.shutdownNow();
  }

  /** Heartbeats waiting for one member, and whether a call to it is in flight; one monitor. */
  private static final class Lane {
    private Batch waiting = new Batch();
    private boolean inFlight;
    private boolean callerWaits;
    private long oldestNanos;

    /** Queues a heartbeat; answers the batch to send now, if it is due. */
    synchronized Batch add(
        String serviceKey,
        RenewLeases.Renewal renewal,
        CompletableFuture<RenewResult> answer,
        boolean atOnce) {
      if (waiting.isEmpty()) {
        oldestNanos = System.nanoTime();
      }
      waiting.add(serviceKey, renewal, answer);
      callerWaits |= atOnce;
      return due() && !inFlight ? take() : null;
    }

    /** The call in flight returned: answers what to send next, if anything is due. */
    synchronized Batch done(long windowNanos) {
      inFlight = false;
      if (waiting.isEmpty()) {
        return null;
      }
      return due() || System.nanoTime() - oldestNanos >= windowNanos ? take() : null;
    }

    /**
     * From the window's tick: whatever waits, when nothing is in flight (else the call in flight
     * sends it when it returns, if it has waited a window by then).
     */
    synchronized Batch takeIfIdle() {
      return inFlight || waiting.isEmpty() ? null : take();
    }

    /** Whether what waits should go as soon as nothing is in flight. */
    private boolean due() {
      return callerWaits || waiting.count >= FULL;
    }

    private Batch take() {
      Batch taken = waiting;
      waiting = new Batch();
      inFlight = true;
      callerWaits = false;
      return taken;
    }
  }

  /** Heartbeats of one call, per service key in arrival order, with their answers. */
  private static final class Batch {
    final Map<String, List<RenewLeases.Renewal>> renewals = new HashMap<>();
    final Map<String, List<CompletableFuture<RenewResult>>> answers = new HashMap<>();
    int count;

    void add(
        String serviceKey, RenewLeases.Renewal renewal, CompletableFuture<RenewResult> answer) {
      renewals.computeIfAbsent(serviceKey, k -> new ArrayList<>()).add(renewal);
      answers.computeIfAbsent(serviceKey, k -> new ArrayList<>()).add(answer);
      count++;
    }

    boolean isEmpty() {
      return renewals.isEmpty();
    }
  }
}
