package io.roster.node.store.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.roster.node.domain.LeaseTable;
import java.io.IOException;
import java.util.Map;

/** Gives an instance listed without a lease one that has already run out. */
final class AdoptLease extends LeaseProcessor<Boolean> {

  private String instanceId;
  private long epoch;
  private long ttlMillis;
  private long nowMillis;
  private long seq;

  AdoptLease() {}

  AdoptLease(String instanceId, long epoch, long ttlMillis, long nowMillis, long seq) {
    this.instanceId = instanceId;
    this.epoch = epoch;
    this.ttlMillis = ttlMillis;
    this.nowMillis = nowMillis;
    this.seq = seq;
  }

  @Override
  public Boolean process(Map.Entry<String, LeaseTable> entry) {
    LeaseTable table = entry.getValue() == null ? new LeaseTable() : entry.getValue();
    boolean adopted = table.adopt(instanceId, epoch, ttlMillis, nowMillis, seq);
    if (adopted) {
      entry.setValue(table);
    }
    return adopted;
  }

  @Override
  public int getClassId() {
    return RegistrySerialization.ADOPT_LEASE;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(instanceId);
    out.writeLong(epoch);
    out.writeLong(ttlMillis);
    out.writeLong(nowMillis);
    out.writeLong(seq);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    instanceId = in.readString();
    epoch = in.readLong();
    ttlMillis = in.readLong();
    nowMillis = in.readLong();
    seq = in.readLong();
  }
}
