package io.roster.node.store.hazelcast;

import com.hazelcast.core.ReadOnly;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.roster.node.domain.ServiceDelta;
import io.roster.node.domain.ServiceKey;
import io.roster.node.domain.ServiceState;
import java.io.IOException;
import java.util.Map;

/**
 * Reads what changed in a service after a revision. Runs where the service lives, so only the
 * difference crosses the network, not the whole service.
 */
final class ReadChanges extends ServiceProcessor<ServiceDelta> implements ReadOnly {

  private long sinceRevision;

  ReadChanges() {}

  ReadChanges(long sinceRevision) {
    this.sinceRevision = sinceRevision;
  }

  @Override
  public ServiceDelta process(Map.Entry<String, ServiceState> entry) {
    ServiceState state = entry.getValue();
    if (state == null) {
      return new ServiceState(ServiceKey.parse(entry.getKey())).snapshot();
    }
    return state.changesSince(sinceRevision);
  }

  @Override
  public EntryProcessor<String, ServiceState, ServiceDelta> getBackupProcessor() {
    return null;
  }

  @Override
  public int getClassId() {
    return RegistrySerialization.READ_CHANGES;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeLong(sinceRevision);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    sinceRevision = in.readLong();
  }
}
