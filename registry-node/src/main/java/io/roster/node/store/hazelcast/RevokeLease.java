package io.roster.node.store.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.roster.node.domain.LeaseTable;
import java.io.IOException;
import java.util.Map;

/** Ends a lease; drops the table when it holds no lease any more. */
final class RevokeLease extends LeaseProcessor<Boolean> {

  private String instanceId;
  private long epoch;

  RevokeLease() {}

  RevokeLease(String instanceId, long epoch) {
    this.instanceId = instanceId;
    this.epoch = epoch;
  }

  @Override
  public Boolean process(Map.Entry<String, LeaseTable> entry) {
    LeaseTable table = entry.getValue();
    if (table == null) {
      return Boolean.FALSE;
    }
    table.revoke(instanceId, epoch);
    entry.setValue(table.isEmpty() ? null : table);
    return Boolean.TRUE;
  }

  @Override
  public int getClassId() {
    return RegistrySerialization.REVOKE_LEASE;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(instanceId);
    out.writeLong(epoch);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    instanceId = in.readString();
    epoch = in.readLong();
  }
}
