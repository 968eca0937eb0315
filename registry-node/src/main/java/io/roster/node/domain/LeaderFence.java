package io.roster.node.domain;

/**
 * What every eviction carries so that only a current leader, acting on what it has seen, evicts:
 *
 * <ul>
 *   <li>its leader epoch: a newer leader's is higher; lease tables remember the highest they saw
 *       and refuse a lower one (a deposed leader's);
 *   <li>the end of its leader lease, after which it may already have lost its majority without
 *       knowing;
 *   <li>the membership it gave every lease a full TTL for: when a member leaves, renewals that were
 *       waiting on it are lost or come late, and the backups promoted in its place hold expiries
 *       from before it went quiet. An eviction decided before the leader has extended the leases
 *       for the new membership must not land, so the member that applies it refuses it when the
 *       members it sees are not these.
 * </ul>
 *
 * @param leaderEpoch grows by one with each change of leader
 * @param validUntilMillis end of the leader lease, in cluster-clock milliseconds
 * @param membersDigest digest of the members the leader extended every lease for; 0 where the store
 *     has no membership (one process)
 */
public record LeaderFence(long leaderEpoch, long validUntilMillis, long membersDigest) {

  /** A fence for a store without membership. */
  public LeaderFence(long leaderEpoch, long validUntilMillis) {
    this(leaderEpoch, validUntilMillis, 0);
  }

  /** This fence, checking no membership: for a replica that applies what its primary decided. */
  public LeaderFence withoutMembers() {
    return new LeaderFence(leaderEpoch, validUntilMillis);
  }

  /** Whether an eviction with this fence may still be applied at {@code nowMillis}. */
  public boolean validAt(long nowMillis) {
    return nowMillis <= validUntilMillis;
  }
}
