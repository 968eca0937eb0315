package io.roster.node.store.hazelcast;

import com.hazelcast.core.ReadOnly;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.roster.node.domain.ExpiredLease;
import io.roster.node.domain.LeaseTable;
import io.roster.node.domain.ServiceKey;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * Finds the expired leases of one service, run over every entry by each entry's owner: the sweep
 * happens where the leases live, and only expired ones come back (null, and nothing sent, for a
 * service with none).
 */
final class FindExpiredLeases extends LeaseProcessor<byte[]> implements ReadOnly {

  private long nowMillis;
  private long slackMillis;

  FindExpiredLeases() {}

  FindExpiredLeases(long nowMillis, long slackMillis) {
    this.nowMillis = nowMillis;
    this.slackMillis = slackMillis;
  }

  @Override
  public byte[] process(Map.Entry<String, LeaseTable> entry) {
    LeaseTable table = entry.getValue();
    if (table == null) {
      return null;
    }
    List<ExpiredLease> expired =
        table.findExpired(ServiceKey.parse(entry.getKey()), nowMillis, slackMillis);
    if (expired.isEmpty()) {
      return null;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      RecordCodec.writeExpired(out, expired);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  @Override
  public EntryProcessor<String, LeaseTable, byte[]> getBackupProcessor() {
    return null;
  }

  @Override
  public int getClassId() {
    return RegistrySerialization.FIND_EXPIRED_LEASES;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeLong(nowMillis);
    out.writeLong(slackMillis);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    nowMillis = in.readLong();
    slackMillis = in.readLong();
  }
}
