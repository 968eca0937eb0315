package io.roster.node.store.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.roster.node.domain.InstanceStatus;
import io.roster.node.domain.MutationResult;
import io.roster.node.domain.ServiceState;
import java.io.IOException;
import java.util.Map;

/** Sets an instance's status; answers {@code [outcome, revision, epoch]}. */
final class SetInstanceStatus extends ServiceProcessor<long[]> {

  private String instanceId;
  private InstanceStatus status;
  private long epoch;

  SetInstanceStatus() {}

  SetInstanceStatus(String instanceId, InstanceStatus status, long epoch) {
    this.instanceId = instanceId;
    this.status = status;
    this.epoch = epoch;
  }

  @Override
  public long[] process(Map.Entry<String, ServiceState> entry) {
    ServiceState state = entry.getValue();
    if (state == null) {
      return result(MutationResult.Outcome.NOT_FOUND, 0, 0);
    }
    MutationResult outcome = state.setStatus(instanceId, status, epoch);
    if (outcome.outcome() == MutationResult.Outcome.APPLIED) {
      entry.setValue(state);
    }
    return result(outcome.outcome(), outcome.revision(), outcome.currentEpoch());
  }

  @Override
  public int getClassId() {
    return RegistrySerialization.SET_INSTANCE_STATUS;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(instanceId);
    out.writeByte(status.ordinal());
    out.writeLong(epoch);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    instanceId = in.readString();
    status = InstanceStatus.values()[in.readByte()];
    epoch = in.readLong();
  }
}
