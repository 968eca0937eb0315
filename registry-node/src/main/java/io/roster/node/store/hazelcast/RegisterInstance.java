package io.roster.node.store.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.roster.node.domain.InstanceRecord;
import io.roster.node.domain.InstanceSpec;
import io.roster.node.domain.LeaseTable;
import io.roster.node.domain.ServiceKey;
import io.roster.node.domain.ServiceState;
import java.io.IOException;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers an instance and grants its lease in one step on the partition's owner; answers the new
 * revision, which is also the new epoch.
 *
 * <p>The lease lives in another map ({@value HazelcastRegistryStore#LEASES_MAP}, which has no
 * listeners, so renewals wake nobody) but in the same partition, so the owner grants it right here,
 * on the same partition thread, before this operation answers: one call from the node instead of
 * two in a row, and no moment at which another operation on the service sees the instance without
 * its lease. Hazelcast runs an operation on a partition from that partition's own thread in place.
 * The two writes still reach the backup replica as two backups: an owner that dies between sending
 * them can leave the promoted replica with the instance and no lease, which the leader's check for
 * unleased instances repairs.
 *
 * <p>On the backup replica only the instance is written (the grant has its own backup).
 */
final class RegisterInstance extends ServiceProcessor<Long> implements HazelcastInstanceAware {

  private static final Logger log = LoggerFactory.getLogger(RegisterInstance.class);

  /** Answered instead of a revision when the id is another owner's and may not be taken over. */
  static final long OWNED_BY_ANOTHER = -1;

  private InstanceSpec spec;
  private long ttlMillis;
  private long nowMillis;
  private boolean mayTakeOver;
  private boolean grant;
  private transient HazelcastInstance hazelcast;

  RegisterInstance() {}

  RegisterInstance(InstanceSpec spec, long ttlMillis, long nowMillis, boolean mayTakeOver) {
    this(spec, ttlMillis, nowMillis, mayTakeOver, true);
  }

  private RegisterInstance(
      InstanceSpec spec, long ttlMillis, long nowMillis, boolean mayTakeOver, boolean grant) {
    this.spec = spec;
    this.ttlMillis = ttlMillis;
    this.nowMillis = nowMillis;
    this.mayTakeOver = mayTakeOver;
    this.grant = grant;
  }

  @Override
  public void setHazelcastInstance(HazelcastInstance hazelcast) {
    this.hazelcast = hazelcast;
  }

  @Override
  public Long process(Map.Entry<String, ServiceState> entry) {
    ServiceState state = entry.getValue();
    if (state == null) {
      state = new ServiceState(ServiceKey.parse(entry.getKey()));
    }
    // The backup replica holds the same state and decides the same: it refuses too.
    if (!mayTakeOver && state.ownedByAnother(spec)) {
      return OWNED_BY_ANOTHER;
    }
    InstanceRecord record = state.register(spec, nowMillis);
    entry.setValue(state);
    if (grant) {
      hazelcast
          .<String, LeaseTable>getMap(HazelcastRegistryStore.LEASES_MAP)
          .submitToKey(
              entry.getKey(),
              new GrantLease(spec.key().instanceId(), record.revision(), ttlMillis, nowMillis))
          .whenComplete(
              (granted, failure) -> {
                if (failure != null) {
                  log.debug(
                      "granting the lease of {} failed; its next heartbeat asks it to register"
                          + " again: {}",
                      spec.key(),
                      failure.toString());
                }
              });
    }
    return record.revision();
  }

  @Override
  public RegisterInstance getBackupProcessor() {
    return new RegisterInstance(spec, ttlMillis, nowMillis, mayTakeOver, false);
  }

  @Override
  public int getClassId() {
    return RegistrySerialization.REGISTER_INSTANCE;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    RecordCodec.writeSpec(out, spec);
    out.writeLong(ttlMillis);
    out.writeLong(nowMillis);
    out.writeBoolean(mayTakeOver);
    out.writeBoolean(grant);
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    spec = RecordCodec.readSpec(in);
    ttlMillis = in.readLong();
    nowMillis = in.readLong();
    mayTakeOver = in.readBoolean();
    grant = in.readBoolean();
  }
}
