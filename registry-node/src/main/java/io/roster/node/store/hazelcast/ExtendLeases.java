package io.roster.node.store.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.roster.node.domain.LeaseTable;
import java.io.IOException;
import java.util.Map;

/** Gives every live lease of a service at least a full TTL from now; run over every entry. */
final class ExtendLeases extends LeaseProcessor<Boolean> {

  private long nowMillis;

  ExtendLeases() {}

  ExtendLeases(long nowMillis) {
    this.nowMillis = nowMillis;
  }

  @Override
  public Boolean process(Map.Entry<String, LeaseTable> entry) {
    LeaseTable table = entry.getValue();
    if (table == null) {
      return null;
    }
    table.extendAll(nowMillis);
    entry.setValue(table);
    return null;
  }

  @Override
  public int getClassId() {
    return RegistrySerialization.EXTEND_LEASES;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeLong(nowMillis);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    nowMillis = in.readLong();
  }
}
