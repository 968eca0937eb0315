package io.roster.node.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who leads, and under which epoch. The leader is the oldest member: open-source Hazelcast has no
 * consensus-backed lock (its CP subsystem is not in the open-source release), but it keeps one
 * agreed member order, so every member seeing the same members names the same leader, and when the
 * oldest dies exactly one survivor becomes the oldest. A new leader claims the next epoch in {@link
 * HazelcastConfigFactory#LEADERSHIP_MAP}; evictions carry it, and stores refuse a lower one.
 *
 * <p>Every node logs and counts each change of leader it sees.
 *
 * <p>Threading: membership callbacks run on Hazelcast event threads; reads from any thread.
 */
public final class Leadership {

  private static final Logger log = LoggerFactory.getLogger(Leadership.class);

  private final HazelcastInstance hazelcast;
  private final MemberIdentity identity;
  private final IMap<String, long[]> records;
  private final Clock clock;
  private final Counter changes;
  private volatile UUID leader;
  private volatile LeaderRecord record;

  public Leadership(
      HazelcastInstance hazelcast, MemberIdentity identity, Clock clock, MeterRegistry meters) {
    this.hazelcast = hazelcast;
    this.identity = identity;
    this.records = hazelcast.getMap(HazelcastConfigFactory.LEADERSHIP_MAP);
    this.clock = clock;
    this.changes =
        Counter.builder("roster.leader.changes")
            .description("Changes of leader this node has seen")
            .register(meters);
    this.leader = oldest();
    log.atInfo().addKeyValue("leader", nodeName(leader)).log("leader is {}", describe(leader));
    // The record changes a few times per leader change at most: every node follows it at once.
    records.addEntryListener(new RecordListener(), true);
    refresh();
  }

  /** Re-reads who is oldest; call on every membership change. */
  public void membershipChanged() {
    UUID now = oldest();
    UUID before = leader;
    if (!now.equals(before)) {
      leader = now;
      changes.increment();
      // The new leader's epoch is not known yet: it claims one when its sweeper next runs, and
      // logs "took over as leader at epoch N".
      log.atWarn()
          .addKeyValue("leader", nodeName(now))
          .log("leader changed from {} to {}", describe(before), describe(now));
    }
    refresh();
  }

  public boolean isLocalLeader() {
    return leader.equals(hazelcast.getCluster().getLocalMember().getUuid());
  }

  public UUID leaderId() {
    return leader;
  }

  /** The last leader record read; may lag the truth by a refresh. Null before the first claim. */
  public LeaderRecord record() {
    return record;
  }

  /** Claims the next epoch for this member (or its current one, if it holds it already). */
  CompletionStage<Long> claim() {
    UUID self = hazelcast.getCluster().getLocalMember().getUuid();
    return records
        .submitToKey(LeaderRecord.KEY, new ClaimLeadership(self, clock.millis()))
        .thenApply(
            epoch -> {
              refresh();
              return epoch;
            });
  }

  /** Publishes what the budget holds back under {@code epoch}. */
  CompletionStage<Boolean> publish(long epoch, long heldBack) {
    return records
        .submitToKey(LeaderRecord.KEY, new PublishProtection(epoch, heldBack, clock.millis()))
        .thenApply(
            written -> {
              refresh();
              return written;
            });
  }

  /** Re-reads the leader record in the background. */
  public void refresh() {
    records
        .getAsync(LeaderRecord.KEY)
        .whenComplete(
            (raw, failure) -> {
              if (failure == null && raw != null) {
                record = LeaderRecord.fromArray(raw);
              }
            });
  }

  /** Keeps {@link #record} current on every node. */
  private final class RecordListener
      implements EntryAddedListener<String, long[]>, EntryUpdatedListener<String, long[]> {
    @Override
    public void entryAdded(EntryEvent<String, long[]> event) {
      record = LeaderRecord.fromArray(event.getValue());
    }

    @Override
    public void entryUpdated(EntryEvent<String, long[]> event) {
      record = LeaderRecord.fromArray(event.getValue());
    }
  }

  /**
   * The oldest Roster node among the members: never a lite member or stranger, even one that has
   * stayed in the cluster longer (every node restarting around it).
   */
  private UUID oldest() {
    for (Member member : hazelcast.getCluster().getMembers()) {
      if (identity.trusts(member)) {
        return member.getUuid();
      }
    }
    return hazelcast.getCluster().getLocalMember().getUuid();
  }

  /** The member's node name (its {@code node.name}), or its id when it is not a member now. */
  private String nodeName(UUID member) {
    for (Member candidate : hazelcast.getCluster().getMembers()) {
      if (candidate.getUuid().equals(member)) {
        return String.valueOf(candidate.getAttribute(HazelcastConfigFactory.NODE_NAME_ATTRIBUTE));
      }
    }
    return String.valueOf(member);
  }

  private String describe(UUID member) {
    if (member == null) {
      return "none";
    }
    for (Member candidate : hazelcast.getCluster().getMembers()) {
      if (candidate.getUuid().equals(member)) {
        return candidate.getAttribute(HazelcastConfigFactory.NODE_NAME_ATTRIBUTE)
            + " ("
            + candidate.getAddress()
            + ")";
      }
    }
    return member.toString();
  }
}
