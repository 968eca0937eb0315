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
import java.util.concurrent.CompletionStage;

/**
 * Turns many heartbeats into few Hazelcast writes, by group commit per member ({@link
 * GroupCommit}): heartbeats are queued per member that owns their partition, and each member has at
 * most one {@link RenewLeases} call in flight, carrying every heartbeat queued for it (Hazelcast
 * splits the call per partition on that member: one network round trip per member, whatever the
 * partitions).
 *
 * <ul>
 *   <li>A heartbeat whose caller waits ({@link RenewalPace#AT_ONCE}) goes out at once when its
 *       member has nothing in flight, and otherwise with the next call, sent as soon as the one in
 *       flight returns: no fixed wait, and under load the calls grow instead of multiplying.
 *   <li>A heartbeat from a KeepAlive stream ({@link RenewalPace#WINDOWED}) may wait up to {@code
 *       windowMillis} for company: a fleet at rest (10,000 leases of 10 s send about 3,000
 *       heartbeats a second, one or two per partition per second) then costs one call per member
 *       per window instead of one per heartbeat. Once {@value GroupCommit#FULL} wait for a member
 *       they go as a waiting caller's would: under load the window would only cap the rate (at most
 *       one call per member per window), not save calls.
 * </ul>
 *
 * <p>Renewals carry no backup: a lost one costs nothing, since the leader gives every live lease a
 * full TTL whenever a member leaves, which is the only way a backup replica gets promoted. A
 * renewal that would revive a lease the leader declared expired changes the lease's health
 * sequence, which must survive; it is sent again on its own as a backed-up write ({@link
 * RenewLeases#reviving}). That is also why heartbeats may share one call on many keys per member
 * while the changes of services may not ({@link ServiceWriteBatcher}): Hazelcast backs up a call on
 * many keys asynchronously.
 *
 * <p>Threading: {@link #renew} is called from any thread and may send from it; the window runs on
 * one scheduler thread; calls complete on Hazelcast threads, which send what waited meanwhile and
 * answer the heartbeats.
 */
final class RenewalBatcher implements AutoCloseable {

  private static final RenewResult.Outcome[] OUTCOMES = RenewResult.Outcome.values();

  /** Lane of heartbeats whose partition has no owner at the moment (a migration, a member lost). */
  private static final UUID NO_OWNER = new UUID(0, 0);

  private final IMap<String, LeaseTable> leases;
  private final PartitionService partitions;
  private final Clock clock;
  private final GroupCommit<UUID, Heartbeat, Map<String, long[]>> lanes;

  RenewalBatcher(
      IMap<String, LeaseTable> leases,
      PartitionService partitions,
      Clock clock,
      long windowMillis) {
    this.leases = leases;
    this.partitions = partitions;
    this.clock = clock;
    this.lanes =
        new GroupCommit<>(
            new GroupCommit.Writer<>() {
              @Override
              public CompletionStage<Map<String, long[]>> write(
                  UUID member, List<Heartbeat> batch) {
                return extend(batch);
              }

              @Override
              public void answer(
                  List<Heartbeat> batch, Map<String, long[]> results, Throwable failure) {
                RenewalBatcher.this.answer(batch, results, failure);
              }
            },
            windowMillis,
            "roster-renewal-window");
  }

  CompletableFuture<RenewResult> renew(InstanceKey key, long epoch, RenewalPace pace) {
    String serviceKey = key.serviceKey().asString();
    Member owner = partitions.getPartition(serviceKey).getOwner();
    Heartbeat heartbeat =
        new Heartbeat(
            serviceKey,
            new RenewLeases.Renewal(key.instanceId(), epoch),
            new CompletableFuture<>());
    lanes.add(owner == null ? NO_OWNER : owner.getUuid(), heartbeat, pace == RenewalPace.AT_ONCE);
    return heartbeat.answer();
  }

  /** One call for a member's heartbeats, grouped per service key in arrival order. */
  private CompletionStage<Map<String, long[]>> extend(List<Heartbeat> batch) {
    Map<String, List<RenewLeases.Renewal>> renewals = new HashMap<>();
    for (Heartbeat heartbeat : batch) {
      renewals
          .computeIfAbsent(heartbeat.serviceKey(), k -> new ArrayList<>())
          .add(heartbeat.renewal());
    }
    return leases.submitToKeys(renewals.keySet(), RenewLeases.extending(renewals, clock.millis()));
  }

  private void answer(List<Heartbeat> batch, Map<String, long[]> results, Throwable failure) {
    // Each heartbeat's result is the next one of its service's, in the order they were grouped.
    Map<String, Integer> nextOfService = new HashMap<>();
    for (Heartbeat heartbeat : batch) {
      if (failure != null) {
        heartbeat.answer().completeExceptionally(failure);
        continue;
      }
      long[] raw = results.get(heartbeat.serviceKey());
      if (raw == null) {
        // Never expected: the processor answers every key it is given. Answered all the same.
        heartbeat
            .answer()
            .completeExceptionally(
                new IllegalStateException("no renewal result for " + heartbeat.serviceKey()));
        continue;
      }
      int at = nextOfService.merge(heartbeat.serviceKey(), 1, Integer::sum) - 1;
      if (raw[at * RenewLeases.FIELDS] == RenewLeases.REVIVAL_NEEDED) {
        revive(heartbeat);
      } else {
        heartbeat.answer().complete(result(raw, at * RenewLeases.FIELDS));
      }
    }
  }

  /** A renewal of a declared lease: on its own, backed up, since it moves the health sequence. */
  private void revive(Heartbeat heartbeat) {
    String serviceKey = heartbeat.serviceKey();
    leases
        .submitToKey(
            serviceKey,
            RenewLeases.reviving(Map.of(serviceKey, List.of(heartbeat.renewal())), clock.millis()))
        .whenComplete(
            (raw, failure) -> {
              if (failure != null) {
                heartbeat.answer().completeExceptionally(failure);
              } else {
                heartbeat.answer().complete(result(raw, 0));
              }
            });
  }

  private static RenewResult result(long[] raw, int at) {
    return new RenewResult(
        OUTCOMES[(int) raw[at]], raw[at + 1], raw[at + 2], raw[at + 3] == 1, raw[at + 4]);
  }

  @Override
  public void close() {
    lanes.close();
  }

  /** One heartbeat waiting for its member's call, and its caller's answer. */
  private record Heartbeat(
      String serviceKey, RenewLeases.Renewal renewal, CompletableFuture<RenewResult> answer) {}
}
