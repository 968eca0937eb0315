package io.roster.node.cluster;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import java.io.IOException;
import java.util.Map;

/**
 * Records what the leader's budget holds back, so every node reports it in ClusterStatus. Ignored
 * unless written under the current epoch (a deposed leader's report is stale).
 */
final class PublishProtection
    implements EntryProcessor<String, long[], Boolean>, IdentifiedDataSerializable {

  private long epoch;
  private long heldBack;
  private long nowMillis;

  PublishProtection() {}

  PublishProtection(long epoch, long heldBack, long nowMillis) {
    this.epoch = epoch;
    this.heldBack = heldBack;
    this.nowMillis = nowMillis;
  }

  @Override
  public Boolean process(Map.Entry<String, long[]> entry) {
    LeaderRecord held = LeaderRecord.fromArray(entry.getValue());
    if (held == null || held.epoch() != epoch) {
      return false;
    }
    entry.setValue(
        new LeaderRecord(epoch, held.leader(), heldBack, nowMillis, held.sinceMillis()).toArray());
    return true;
  }

  @Override
  public int getFactoryId() {
    return ClusterSerialization.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return ClusterSerialization.PUBLISH_PROTECTION;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeLong(epoch);
    out.writeLong(heldBack);
    out.writeLong(nowMillis);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    epoch = in.readLong();
    heldBack = in.readLong();
    nowMillis = in.readLong();
  }
}
