package io.roster.node.store.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.roster.node.domain.LeaderFence;
import io.roster.node.domain.LeaseTable;
import java.io.IOException;
import java.util.Map;

/** Declares one lease expired if it still is; answers the new health sequence or -1. */
final class DeclareExpired extends FencedLeaseProcessor<Long> {

  private String instanceId;
  private long epoch;
  private long nowMillis;
  private LeaderFence fence;

  DeclareExpired() {}

  DeclareExpired(String instanceId, long epoch, long nowMillis, LeaderFence fence) {
    this.instanceId = instanceId;
    this.epoch = epoch;
    this.nowMillis = nowMillis;
    this.fence = fence;
  }

  @Override
  LeaderFence fence() {
    return fence;
  }

  @Override
  Long refusedAnswer() {
    return -1L;
  }

  @Override
  Long apply(Map.Entry<String, LeaseTable> entry) {
    LeaseTable table = entry.getValue();
    if (table == null) {
      return -1L;
    }
    long before = table.highestLeaderEpoch();
    long seq = table.declareExpired(instanceId, epoch, nowMillis, fence);
    if (seq >= 0 || table.highestLeaderEpoch() != before) {
      entry.setValue(table);
    }
    return seq;
  }

  @Override
  DeclareExpired forBackup() {
    return new DeclareExpired(instanceId, epoch, nowMillis, fence.withoutMembers());
  }

  @Override
  public int getClassId() {
    return RegistrySerialization.DECLARE_EXPIRED;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(instanceId);
    out.writeLong(epoch);
    out.writeLong(nowMillis);
    RecordCodec.writeFence(out, fence);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    instanceId = in.readString();
    epoch = in.readLong();
    nowMillis = in.readLong();
    fence = RecordCodec.readFence(in);
  }
}
