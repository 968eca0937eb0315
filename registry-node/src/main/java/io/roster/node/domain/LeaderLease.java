package io.roster.node.domain;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Whether the leader may evict right now: only while it has had recent round trips with a majority
 * of the configured cluster. Hazelcast notices a cut-off member only after seconds of silence;
 * until then a cut-off leader still believes it leads. The lease closes that window: it runs from
 * when the last round trip that made a majority was sent, for {@code durationMillis}, which is
 * shorter than the smallest lease TTL, so a leader cut off from its majority stops evicting before
 * any lease could have expired for want of the renewals it can no longer see.
 *
 * <p>Not thread-safe: the leader's pinger and sweep share it on one thread. Time comes in as
 * arguments (cluster-clock milliseconds).
 */
public final class LeaderLease {

  private final int clusterSize;
  private final long durationMillis;
  private final Map<String, Long> lastAckSentAtMillis = new HashMap<>();

  public LeaderLease(int clusterSize, long durationMillis) {
    this.clusterSize = clusterSize;
    this.durationMillis = durationMillis;
  }

  /** A round trip to {@code member}, sent at {@code sentAtMillis}, came back. */
  public void acknowledged(String member, long sentAtMillis) {
    lastAckSentAtMillis.merge(member, sentAtMillis, Math::max);
  }

  /** Drops members that left, so their old acknowledgements count no more. */
  public void retainOnly(Set<String> members) {
    lastAckSentAtMillis.keySet().retainAll(members);
  }

  /**
   * The end of the lease: the majority-making acknowledgement's send time plus the duration, or 0
   * when no majority ever answered. The leader counts itself as one acknowledgement at {@code
   * nowMillis}.
   */
  public long validUntilMillis(long nowMillis) {
    int majority = clusterSize / 2 + 1;
    int othersNeeded = majority - 1;
    if (othersNeeded == 0) {
      return nowMillis + durationMillis;
    }
    List<Long> sent = new ArrayList<>(lastAckSentAtMillis.values());
    if (sent.size() < othersNeeded) {
      return 0;
    }
    sent.sort(Collections.reverseOrder());
    return sent.get(othersNeeded - 1) + durationMillis;
  }

  public boolean validAt(long nowMillis) {
    return nowMillis <= validUntilMillis(nowMillis);
  }

  public long durationMillis() {
    return durationMillis;
  }
}
