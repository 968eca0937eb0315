package io.roster.node.store.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.roster.node.domain.LeaseTable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Grants and ends the leases that a batch of service writes called for ({@link
 * ApplyServiceWrites}), in the order of those writes; drops the table once it holds no lease.
 */
final class WriteLeases extends LeaseProcessor<Boolean> {

  private List<LeaseWrite> writes;

  WriteLeases() {}

  WriteLeases(List<LeaseWrite> writes) {
    this.writes = writes;
  }

  @Override
  public Boolean process(Map.Entry<String, LeaseTable> entry) {
    boolean held = entry.getValue() != null;
    LeaseTable table = held ? entry.getValue() : new LeaseTable();
    writes.forEach(write -> write.applyTo(table));
    if (!table.isEmpty()) {
      entry.setValue(table);
    } else if (held) {
      entry.setValue(null);
    }
    return Boolean.TRUE;
  }

  @Override
  public int getClassId() {
    return RegistrySerialization.WRITE_LEASES;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeInt(writes.size());
    for (LeaseWrite write : writes) {
      write.writeTo(out);
    }
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    int count = in.readInt();
    writes = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      writes.add(LeaseWrite.readFrom(in));
    }
  }
}
