package io.roster.node.store.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.roster.node.domain.MutationResult;
import io.roster.node.domain.ServiceState;
import java.io.IOException;
import java.util.Map;

/** Removes an instance; answers {@code [outcome, revision, epoch]}. */
final class DeregisterInstance extends ServiceProcessor<long[]> {

  private String instanceId;
  private long epoch;

  DeregisterInstance() {}

  DeregisterInstance(String instanceId, long epoch) {
    this.instanceId = instanceId;
    this.epoch = epoch;
  }

  @Override
  public long[] process(Map.Entry<String, ServiceState> entry) {
    ServiceState state = entry.getValue();
    if (state == null) {
      return result(MutationResult.Outcome.NOT_FOUND, 0, 0);
    }
    MutationResult outcome = state.deregister(instanceId, epoch);
    if (outcome.outcome() == MutationResult.Outcome.APPLIED) {
      entry.setValue(state);
    }
    return result(outcome.outcome(), outcome.revision(), outcome.currentEpoch());
  }

  @Override
  public int getClassId() {
    return RegistrySerialization.DEREGISTER_INSTANCE;
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
