package io.roster.node.store.hazelcast;

import com.hazelcast.core.ReadOnly;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.roster.node.domain.ServiceState;
import java.util.Map;

/** Reads a service's revision; run over every entry to compare a follower's view with the store. */
final class ReadRevision extends ServiceProcessor<Long> implements ReadOnly {

  @Override
  public Long process(Map.Entry<String, ServiceState> entry) {
    ServiceState state = entry.getValue();
    return state == null ? 0L : state.revision();
  }

  @Override
  public EntryProcessor<String, ServiceState, Long> getBackupProcessor() {
    return null;
  }

  @Override
  public int getClassId() {
    return RegistrySerialization.READ_REVISION;
  }

  @Override
  public void writeData(ObjectDataOutput out) {}

  @Override
  public void readData(ObjectDataInput in) {}
}
