package io.roster.node.cluster;

import java.util.UUID;

/**
 * What the cluster knows of its leader, kept in {@link HazelcastConfigFactory#LEADERSHIP_MAP} under
 * one key and stored as a {@code long[]} (no serializer needed).
 *
 * @param epoch grows by one each time another member claims leadership
 * @param leader the member that claimed it last
 * @param heldBack evictions the leader's budget held back at its last sweep
 * @param updatedAtMillis when the leader last wrote the record (cluster clock)
 * @param sinceMillis when this leader claimed its epoch (cluster clock); 0 in a record written by a
 *     node from before this field (its array is one shorter)
 */
public record LeaderRecord(
    long epoch, UUID leader, long heldBack, long updatedAtMillis, long sinceMillis) {

  static final String KEY = "leader";

  long[] toArray() {
    return new long[] {
      epoch,
      leader.getMostSignificantBits(),
      leader.getLeastSignificantBits(),
      heldBack,
      updatedAtMillis,
      sinceMillis
    };
  }

  static LeaderRecord fromArray(long[] raw) {
    if (raw == null) {
      return null;
    }
    return new LeaderRecord(
        raw[0], new UUID(raw[1], raw[2]), raw[3], raw[4], raw.length > 5 ? raw[5] : 0);
  }
}
