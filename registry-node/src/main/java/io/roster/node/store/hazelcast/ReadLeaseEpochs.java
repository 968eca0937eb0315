package io.roster.node.store.hazelcast;

import com.hazelcast.core.ReadOnly;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.roster.node.domain.LeaseTable;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/** The epoch of each lease of one service, encoded as {@code count, (id, epoch)...}. */
final class ReadLeaseEpochs extends LeaseProcessor<byte[]> implements ReadOnly {

  @Override
  public byte[] process(Map.Entry<String, LeaseTable> entry) {
    LeaseTable table = entry.getValue();
    Map<String, Long> epochs = table == null ? Map.of() : table.epochs();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(epochs.size());
      for (Map.Entry<String, Long> lease : epochs.entrySet()) {
        out.writeUTF(lease.getKey());
        out.writeLong(lease.getValue());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  static Map<String, Long> decode(byte[] encoded) {
    Map<String, Long> epochs = new HashMap<>();
    if (encoded == null) {
      return epochs;
    }
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(encoded))) {
      int count = in.readInt();
      for (int i = 0; i < count; i++) {
        epochs.put(in.readUTF(), in.readLong());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return epochs;
  }

  @Override
  public EntryProcessor<String, LeaseTable, byte[]> getBackupProcessor() {
    return null;
  }

  @Override
  public int getClassId() {
    return RegistrySerialization.READ_LEASE_EPOCHS;
  }

  @Override
  public void writeData(ObjectDataOutput out) {}

  @Override
  public void readData(ObjectDataInput in) {}
}
