package io.roster.node.cluster;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import java.io.IOException;
import java.util.Map;
import java.util.UUID;

/**
 * Makes a member the recorded leader: the epoch grows by one when the leader changes and stays when
 * the same member claims again (a claim retried after a timeout). Answers the epoch.
 */
final class ClaimLeadership
    implements EntryProcessor<String, long[], Long>, IdentifiedDataSerializable {

  private UUID member;
  private long nowMillis;

  ClaimLeadership() {}

  ClaimLeadership(UUID member, long nowMillis) {
    this.member = member;
    this.nowMillis = nowMillis;
  }

  @Override
  public Long process(Map.Entry<String, long[]> entry) {
    LeaderRecord held = LeaderRecord.fromArray(entry.getValue());
    if (held != null && held.leader().equals(member)) {
      return held.epoch();
    }
    long epoch = held == null ? 1 : held.epoch() + 1;
    entry.setValue(new LeaderRecord(epoch, member, 0, nowMillis, nowMillis).toArray());
    return epoch;
  }

  @Override
  public int getFactoryId() {
    return ClusterSerialization.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return ClusterSerialization.CLAIM_LEADERSHIP;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeLong(member.getMostSignificantBits());
    out.writeLong(member.getLeastSignificantBits());
    out.writeLong(nowMillis);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    member = new UUID(in.readLong(), in.readLong());
    nowMillis = in.readLong();
  }
}
