package io.roster.node.store.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.roster.node.domain.Lease;
import io.roster.node.domain.LeaseTable;
import io.roster.node.domain.RenewResult;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Renews a batch of leases: the heartbeats a node gathered for the services of one member (see
 * {@link RenewalBatcher}), applied per partition by Hazelcast. Answers, per service, {@code
 * [outcome, ttlMillis, epoch, revived, seq]} for each renewal in order.
 *
 * <p>Two kinds. {@link #extending} only moves expiries and has no backup: a backup replica is
 * promoted only when its owner left, and then the leader gives every live lease a full TTL anyway,
 * so a renewal the backup missed costs nothing. It leaves a lease the leader declared expired as it
 * is and answers {@link #REVIVAL_NEEDED}: reviving moves the lease's health sequence, which the
 * instance record is ordered by and which must survive the owner. {@link #reviving} does that, and
 * is backed up.
 */
final class RenewLeases extends LeaseProcessor<long[]> {

  /** Per service key: instance ids and epochs, in arrival order. */
  private Map<String, List<Renewal>> renewals;

  private long nowMillis;
  private boolean revive;

  RenewLeases() {}

  private RenewLeases(Map<String, List<Renewal>> renewals, long nowMillis, boolean revive) {
    this.renewals = renewals;
    this.nowMillis = nowMillis;
    this.revive = revive;
  }

  /** Extends the leases; declared ones are answered {@link #REVIVAL_NEEDED}. No backup. */
  static RenewLeases extending(Map<String, List<Renewal>> renewals, long nowMillis) {
    return new RenewLeases(renewals, nowMillis, false);
  }

  /** Renews and revives declared leases; backed up. */
  static RenewLeases reviving(Map<String, List<Renewal>> renewals, long nowMillis) {
    return new RenewLeases(renewals, nowMillis, true);
  }

  static final int FIELDS = 5;

  /** Outcome field of a renewal {@link #extending} left alone: send it {@link #reviving}. */
  static final long REVIVAL_NEEDED = -1;

  @Override
  public long[] process(Map.Entry<String, LeaseTable> entry) {
    List<Renewal> forService = renewals.get(entry.getKey());
    LeaseTable table = entry.getValue();
    long[] results = new long[forService.size() * FIELDS];
    boolean changed = false;
    for (int i = 0; i < forService.size(); i++) {
      Renewal renewal = forService.get(i);
      if (!revive && table != null && declared(table, renewal)) {
        results[i * FIELDS] = REVIVAL_NEEDED;
        continue;
      }
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

  private static boolean declared(LeaseTable table, Renewal renewal) {
    Lease held = table.get(renewal.instanceId());
    return held != null
        && held.expired()
        && (renewal.epoch() == 0 || renewal.epoch() == held.epoch());
  }

  @Override
  public RenewLeases getBackupProcessor() {
    return revive ? this : null;
  }

  @Override
  public int getClassId() {
    return RegistrySerialization.RENEW_LEASES;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeLong(nowMillis);
    out.writeBoolean(revive);
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
    revive = in.readBoolean();
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
