package io.roster.node.store.hazelcast;

import com.hazelcast.core.ReadOnly;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.roster.node.domain.LeaseTable;
import java.util.Map;

/** The {@link io.roster.node.domain.LeaseDigest} of one service's leases, run over every entry. */
final class DigestLeases extends LeaseProcessor<Long> implements ReadOnly {

  @Override
  public Long process(Map.Entry<String, LeaseTable> entry) {
    LeaseTable table = entry.getValue();
    return table == null || table.isEmpty() ? null : table.digest();
  }

  @Override
  public EntryProcessor<String, LeaseTable, Long> getBackupProcessor() {
    return null;
  }

  @Override
  public int getClassId() {
    return RegistrySerialization.DIGEST_LEASES;
  }

  @Override
  public void writeData(ObjectDataOutput out) {}

  @Override
  public void readData(ObjectDataInput in) {}
}
