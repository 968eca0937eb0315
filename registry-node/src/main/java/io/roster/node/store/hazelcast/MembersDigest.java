package io.roster.node.store.hazelcast;

import com.hazelcast.cluster.Member;
import java.util.Collection;
import java.util.UUID;

/**
 * A 64-bit digest of a set of members, by their ids, in any order: what a {@code LeaderFence}
 * carries so that the member applying an eviction can tell whether it sees the membership the
 * leader decided under. Never 0, which a fence uses for "no membership to check".
 */
public final class MembersDigest {

  private MembersDigest() {}

  public static long of(Collection<Member> members) {
    long sum = 0;
    for (Member member : members) {
      UUID id = member.getUuid();
      sum += mix(id.getMostSignificantBits() ^ mix(id.getLeastSignificantBits()));
    }
    long digest = mix(sum + members.size());
    return digest == 0 ? 1 : digest;
  }

  /** The finalizer of SplitMix64: spreads every input bit over the output. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
