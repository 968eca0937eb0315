package io.roster.node.store.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.roster.node.domain.LeaseCondition;
import io.roster.node.domain.MutationResult;
import io.roster.node.domain.ServiceState;
import java.io.IOException;
import java.util.Map;

/** Records an instance's lease condition; answers {@code [outcome, revision, epoch]}. */
final class SetLeaseCondition extends ServiceProcessor<long[]> {

  private String instanceId;
  private long epoch;
  private LeaseCondition condition;

  SetLeaseCondition() {}

  SetLeaseCondition(String instanceId, long epoch, LeaseCondition condition) {
    this.instanceId = instanceId;
    this.epoch = epoch;
    this.condition = condition;
  }

  @Override
  public long[] process(Map.Entry<String, ServiceState> entry) {
    ServiceState state = entry.getValue();
    if (state == null) {
      return result(MutationResult.Outcome.NOT_FOUND, 0, 0);
    }
    MutationResult outcome = state.setLease(instanceId, epoch, condition);
    if (outcome.outcome() == MutationResult.Outcome.APPLIED) {
      entry.setValue(state);
    }
    return result(outcome.outcome(), outcome.revision(), outcome.currentEpoch());
  }

  @Override
  public int getClassId() {
    return RegistrySerialization.SET_LEASE_CONDITION;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(instanceId);
    out.writeLong(epoch);
    RecordCodec.writeCondition(out, condition);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    instanceId = in.readString();
    epoch = in.readLong();
    condition = RecordCodec.readCondition(in);
  }
}
