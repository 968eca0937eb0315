package io.roster.node.store.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.roster.node.domain.LeaseTable;
import java.io.IOException;

/** A lease granted to a registration, or ended with its instance ({@link WriteLeases}). */
record LeaseWrite(boolean grant, String instanceId, long epoch, long ttlMillis, long nowMillis) {

  static LeaseWrite grant(String instanceId, long epoch, long ttlMillis, long nowMillis) {
    return new LeaseWrite(true, instanceId, epoch, ttlMillis, nowMillis);
  }

  /** Ends the lease of {@code epoch} or older; a newer registration keeps its own. */
  static LeaseWrite revoke(String instanceId, long epoch) {
    return new LeaseWrite(false, instanceId, epoch, 0, 0);
  }

  void applyTo(LeaseTable table) {
    if (grant) {
      table.grant(instanceId, epoch, ttlMillis, nowMillis);
    } else {
      table.revoke(instanceId, epoch);
    }
  }

  void writeTo(ObjectDataOutput out) throws IOException {
    out.writeBoolean(grant);
    out.writeString(instanceId);
    out.writeLong(epoch);
    out.writeLong(ttlMillis);
    out.writeLong(nowMillis);
  }

  static LeaseWrite readFrom(ObjectDataInput in) throws IOException {
    return new LeaseWrite(
        in.readBoolean(), in.readString(), in.readLong(), in.readLong(), in.readLong());
  }
}
