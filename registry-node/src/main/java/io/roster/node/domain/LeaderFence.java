package io.roster.node.domain;

/**
 * What every eviction carries so a deposed leader's evictions are refused: its leader epoch (a
 * newer leader's is higher; stores remember the highest they saw) and the end of its leader lease
 * (after which it may already have lost its majority without knowing).
 *
 * @param leaderEpoch grows by one with each change of leader
 * @param validUntilMillis end of the leader lease, in cluster-clock milliseconds
 */
public record LeaderFence(long leaderEpoch, long validUntilMillis) {

  /** Whether an eviction with this fence may still be applied at {@code nowMillis}. */
  public boolean validAt(long nowMillis) {
    return nowMillis <= validUntilMillis;
  }
}
