package io.roster.node.store.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.map.EntryProcessor;
import io.roster.node.domain.LeaderFence;
import io.roster.node.domain.LeaseTable;
import java.util.Map;

/**
 * Base of the leader's processors on a lease table (declare expired, revoke after the grace). They
 * carry a {@link LeaderFence}, and the member that owns the partition refuses them when the members
 * it sees are not those the fence was issued for: a member left since, its partitions' backups were
 * promoted with expiries from before it went quiet, and the leader has not yet given those leases
 * their full TTL. The leader's next sweep extends them first and decides again.
 *
 * <p>The check runs on the primary only. Its backup processor applies the primary's decision
 * without checking again (the backup member may see the membership change a moment sooner or
 * later), and there is no backup when the primary refused.
 */
abstract class FencedLeaseProcessor<R> extends LeaseProcessor<R> implements HazelcastInstanceAware {

  private transient HazelcastInstance hazelcast;
  private transient boolean refused;

  @Override
  public final void setHazelcastInstance(HazelcastInstance hazelcast) {
    this.hazelcast = hazelcast;
  }

  @Override
  public final R process(Map.Entry<String, LeaseTable> entry) {
    LeaderFence fence = fence();
    if (fence.membersDigest() != 0
        && (hazelcast == null
            || MembersDigest.of(hazelcast.getCluster().getMembers()) != fence.membersDigest())) {
      refused = true;
      return refusedAnswer();
    }
    return apply(entry);
  }

  @Override
  public final EntryProcessor<String, LeaseTable, R> getBackupProcessor() {
    return refused ? null : forBackup();
  }

  abstract LeaderFence fence();

  /** What the caller gets when the membership changed: the same as for any refused fence. */
  abstract R refusedAnswer();

  /** The processor's work, once the membership is the fenced one. */
  abstract R apply(Map.Entry<String, LeaseTable> entry);

  /** This processor with a fence that checks no membership: what the backup replica runs. */
  abstract FencedLeaseProcessor<R> forBackup();
}
