package io.roster.node.store.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.roster.node.domain.InstanceRecord;
import io.roster.node.domain.InstanceSpec;
import io.roster.node.domain.ServiceKey;
import io.roster.node.domain.ServiceState;
import java.io.IOException;
import java.util.Map;

/** Registers an instance; answers {@code [revision]}, which is also the new epoch. */
final class RegisterInstance extends ServiceProcessor<Long> {

  private InstanceSpec spec;
  private long nowMillis;

  RegisterInstance() {}

  RegisterInstance(InstanceSpec spec, long nowMillis) {
    this.spec = spec;
    this.nowMillis = nowMillis;
  }

  @Override
  public Long process(Map.Entry<String, ServiceState> entry) {
    ServiceState state = entry.getValue();
    if (state == null) {
      state = new ServiceState(ServiceKey.parse(entry.getKey()));
    }
    InstanceRecord record = state.register(spec, nowMillis);
    entry.setValue(state);
    return record.revision();
  }

  @Override
  public int getClassId() {
    return RegistrySerialization.REGISTER_INSTANCE;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    RecordCodec.writeSpec(out, spec);
    out.writeLong(nowMillis);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    spec = RecordCodec.readSpec(in);
    nowMillis = in.readLong();
  }
}
