package io.roster.node.store.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.roster.node.domain.LeaseTable;
import java.io.IOException;
import java.util.Map;

/** Grants the lease of a new registration. */
final class GrantLease extends LeaseProcessor<Boolean> {

  private String instanceId;
  private long epoch;
  private long ttlMillis;
  private long nowMillis;

  GrantLease() {}

  GrantLease(String instanceId, long epoch, long ttlMillis, long nowMillis) {
    this.instanceId = instanceId;
    this.epoch = epoch;
    this.ttlMillis = ttlMillis;
    this.nowMillis = nowMillis;
  }

  @Override
  public Boolean process(Map.Entry<String, LeaseTable> entry) {
    LeaseTable table = entry.getValue() == null ? new LeaseTable() : entry.getValue();
    table.grant(instanceId, epoch, ttlMillis, nowMillis);
    entry.setValue(table);
    return Boolean.TRUE;
  }

  @Override
  public int getClassId() {
    return RegistrySerialization.GRANT_LEASE;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(instanceId);
    out.writeLong(epoch);
    out.writeLong(ttlMillis);
    out.writeLong(nowMillis);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    instanceId = in.readString();
    epoch = in.readLong();
    ttlMillis = in.readLong();
    nowMillis = in.readLong();
  }
}
