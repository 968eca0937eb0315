package io.roster.node.store.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.roster.node.domain.LeaderFence;
import io.roster.node.domain.LeaseTable;
import java.io.IOException;
import java.util.Map;

/** Removes a lease declared expired whose grace is over; answers whether it did. */
final class RevokeExpiredLease extends FencedLeaseProcessor<Boolean> {

  private String instanceId;
  private long epoch;
  private long nowMillis;
  private long graceMillis;
  private LeaderFence fence;

  RevokeExpiredLease() {}

  RevokeExpiredLease(
      String instanceId, long epoch, long nowMillis, long graceMillis, LeaderFence fence) {
    this.instanceId = instanceId;
    this.epoch = epoch;
    this.nowMillis = nowMillis;
    this.graceMillis = graceMillis;
    this.fence = fence;
  }

  @Override
  LeaderFence fence() {
    return fence;
  }

  @Override
  Boolean refusedAnswer() {
    return false;
  }

  @Override
  Boolean apply(Map.Entry<String, LeaseTable> entry) {
    LeaseTable table = entry.getValue();
    if (table == null) {
      return false;
    }
    long before = table.highestLeaderEpoch();
    boolean revoked = table.revokeExpired(instanceId, epoch, nowMillis, graceMillis, fence);
    if (revoked || table.highestLeaderEpoch() != before) {
      entry.setValue(table.isEmpty() ? null : table);
    }
    return revoked;
  }

  @Override
  RevokeExpiredLease forBackup() {
    return new RevokeExpiredLease(
        instanceId, epoch, nowMillis, graceMillis, fence.withoutMembers());
  }

  @Override
  public int getClassId() {
    return RegistrySerialization.REVOKE_EXPIRED_LEASE;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(instanceId);
    out.writeLong(epoch);
    out.writeLong(nowMillis);
    out.writeLong(graceMillis);
    RecordCodec.writeFence(out, fence);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    instanceId = in.readString();
    epoch = in.readLong();
    nowMillis = in.readLong();
    graceMillis = in.readLong();
    fence = RecordCodec.readFence(in);
  }
}
