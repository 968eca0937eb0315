package io.roster.node.store.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.roster.node.domain.LeaseTable;
import io.roster.node.domain.RenewResult;
import java.io.IOException;
import java.util.Map;

/** Renews one lease; answers {@code [outcome, ttlMillis, epoch]}. */
final class RenewLease extends LeaseProcessor<long[]> {

  private String instanceId;
  private long epoch;
  private long nowMillis;

  RenewLease() {}

  RenewLease(String instanceId, long epoch, long nowMillis) {
    this.instanceId = instanceId;
    this.epoch = epoch;
    this.nowMillis = nowMillis;
  }

  @Override
  public long[] process(Map.Entry<String, LeaseTable> entry) {
    LeaseTable table = entry.getValue();
    RenewResult result =
        table == null ? RenewResult.notFound() : table.renew(instanceId, epoch, nowMillis);
    if (result.outcome() == RenewResult.Outcome.RENEWED) {
      entry.setValue(table);
    }
    return new long[] {result.outcome().ordinal(), result.ttlMillis(), result.currentEpoch()};
  }

  @Override
  public int getClassId() {
    return RegistrySerialization.RENEW_LEASE;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeString(instanceId);
    out.writeLong(epoch);
    out.writeLong(nowMillis);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    instanceId = in.readString();
    epoch = in.readLong();
    nowMillis = in.readLong();
  }
}
