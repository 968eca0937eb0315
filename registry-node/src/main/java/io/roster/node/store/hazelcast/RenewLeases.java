package io.roster.node.store.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.roster.node.domain.LeaseTable;
import io.roster.node.domain.RenewResult;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Renews a batch of leases of the services of one partition: the heartbeats a node received for
 * that partition during one batching window, applied in one operation (and one backup). Answers,
 * per service, {@code [outcome, ttlMillis, epoch, revived, seq]} for each renewal in order.
 */
final class RenewLeases extends LeaseProcessor<long[]> {

  /** Per service key: instance ids and epochs, in arrival order. */
  private Map<String, List<Renewal>> renewals;

  private long nowMillis;

  RenewLeases() {}

  RenewLeases(Map<String, List<Renewal>> renewals, long nowMillis) {
    this.renewals = renewals;
    this.nowMillis = nowMillis;
  }

  static final int FIELDS = 5;

  @Override
  public long[] process(Map.Entry<String, LeaseTable> entry) {
    List<Renewal> forService = renewals.get(entry.getKey());
    LeaseTable table = entry.getValue();
    long[] results = new long[forService.size() * FIELDS];
    boolean changed = false;
    for (int i = 0; i < forService.size(); i++) {
      Renewal renewal = forService.get(i);
      RenewResult result =
          table == null
              ? RenewResult.notFound()
              : table.renew(renewal.instanceId(), renewal.epoch(), nowMillis);
      changed |= result.outcome() == RenewResult.Outcome.RENEWED;
      results[i * FIELDS] = result.outcome().ordinal();
      results[i * FIELDS + 1] = result.ttlMillis();
      results[i * FIELDS + 2] = result.currentEpoch();
      results[i * FIELDS + 3] = result.revived() ? 1 : 0;
      results[i * FIELDS + 4] = result.seq();
    }
    if (changed) {
      entry.setValue(table);
    }
    return results;
  }

  @Override
  public int getClassId() {
    return RegistrySerialization.RENEW_LEASES;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeLong(nowMillis);
    out.writeInt(renewals.size());
    for (Map.Entry<String, List<Renewal>> service : renewals.entrySet()) {
      out.writeString(service.getKey());
      out.writeInt(service.getValue().size());
      for (Renewal renewal : service.getValue()) {
        out.writeString(renewal.instanceId());
        out.writeLong(renewal.epoch());
      }
    }
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    nowMillis = in.readLong();
    int services = in.readInt();
    renewals = new HashMap<>(services * 2);
    for (int s = 0; s < services; s++) {
      String key = in.readString();
      int count = in.readInt();
      List<Renewal> list = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        list.add(new Renewal(in.readString(), in.readLong()));
      }
      renewals.put(key, list);
    }
  }

  /** One heartbeat: the lease's instance and the caller's epoch. */
  record Renewal(String instanceId, long epoch) {}
}
