package io.roster.node.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionFunction;
import java.util.Collection;

/**
 * Hazelcast's split-brain protection for the registry maps: writes are allowed while at least
 * {@code quorumSize} Roster nodes ({@link MemberIdentity}) are members, however many other members
 * joined. Hazelcast's own count took every member, so a stranger's lite member could lend a lone
 * node the majority it lacks.
 */
final class TrustedMajority implements SplitBrainProtectionFunction {

  private final MemberIdentity identity;
  private final int quorumSize;

  TrustedMajority(MemberIdentity identity, int quorumSize) {
    this.identity = identity;
    this.quorumSize = quorumSize;
  }

  @Override
  public boolean apply(Collection<Member> members) {
    int trusted = 0;
    for (Member member : members) {
      if (identity.trusts(member)) {
        trusted++;
      }
    }
    return trusted >= quorumSize;
  }
}
