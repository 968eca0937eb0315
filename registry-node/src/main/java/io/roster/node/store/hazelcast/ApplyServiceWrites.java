package io.roster.node.store.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.roster.node.domain.LeaseTable;
import io.roster.node.domain.ServiceKey;
import io.roster.node.domain.ServiceState;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a batch of writes to one service (registrations, removals, status and lease conditions:
 * what {@link ServiceWriteBatcher} gathered for it), one after the other in arrival order, as one
 * change of the entry: one backup and one change event for the batch. Answers {@code [outcome,
 * revision, epoch]} for each write in order ({@link ServiceWrite#apply}); each write sees the state
 * the ones before it left, so the answers are those the writes would have had one at a time.
 *
 * <p>The service's leases live in another map ({@value HazelcastRegistryStore#LEASES_MAP}, which
 * has no listeners, so renewals wake nobody) but in the same partition, so the owner writes them
 * right here, on the same partition thread, before this operation answers: the leases granted to
 * the batch's registrations and ended with its removals, in one {@link WriteLeases}. Hazelcast runs
 * an operation on a partition from that partition's own thread in place. No operation on the
 * service therefore ever sees a registered instance without its lease, nor a removed one with it.
 * The two writes still reach the backup replica as two backups: an owner that dies between sending
 * them can leave the promoted replica with an instance and no lease, which the leader's check for
 * unleased instances repairs, or with a lease and no instance, which runs out and is evicted.
 *
 * <p>On the backup replica only the service is written (the lease writes have their own backup).
 */
final class ApplyServiceWrites extends ServiceProcessor<long[]> implements HazelcastInstanceAware {

  private static final Logger log = LoggerFactory.getLogger(ApplyServiceWrites.class);

  /** Longs answered per write. */
  static final int FIELDS = 3;

  private List<ServiceWrite> writes;
  private boolean writeLeases;

  /**
   * When the owner committed the writes (cluster clock): read by the owner as it applies them, and
   * handed to the backup replica in its copy of this processor, so both hold the same state.
   */
  private long committedAtMillis;

  private transient HazelcastInstance hazelcast;

  ApplyServiceWrites() {}

  ApplyServiceWrites(List<ServiceWrite> writes) {
    this(writes, true, 0);
  }

  private ApplyServiceWrites(
      List<ServiceWrite> writes, boolean writeLeases, long committedAtMillis) {
    this.writes = writes;
    this.writeLeases = writeLeases;
    this.committedAtMillis = committedAtMillis;
  }

  @Override
  public void setHazelcastInstance(HazelcastInstance hazelcast) {
    this.hazelcast = hazelcast;
  }

  @Override
  public long[] process(Map.Entry<String, ServiceState> entry) {
    ServiceState state = entry.getValue();
    if (state == null) {
      state = new ServiceState(ServiceKey.parse(entry.getKey()));
    }
    long[] results = new long[writes.size() * FIELDS];
    List<LeaseWrite> leaseWrites = new ArrayList<>();
    boolean changed = false;
    for (int i = 0; i < writes.size(); i++) {
      changed |= writes.get(i).apply(state, results, i * FIELDS, leaseWrites);
    }
    if (changed) {
      // The owner reads the time once; Hazelcast asks the processor that ran on the owner for its
      // backup processor, which carries this time to the replica.
      if (writeLeases) {
        committedAtMillis = hazelcast.getCluster().getClusterTime();
      }
      state.committed(committedAtMillis);
      entry.setValue(state);
    }
    if (writeLeases && !leaseWrites.isEmpty()) {
      writeLeases(entry.getKey(), leaseWrites);
    }
    return results;
  }

  private void writeLeases(String serviceKey, List<LeaseWrite> leaseWrites) {
    hazelcast
        .<String, LeaseTable>getMap(HazelcastRegistryStore.LEASES_MAP)
        .submitToKey(serviceKey, new WriteLeases(leaseWrites))
        .whenComplete(
            (written, failure) -> {
              if (failure != null) {
                log.debug(
                    "writing {} lease grants and removals of {} failed; a registration's next"
                        + " heartbeat asks it to register again, a removed one's lease runs out:"
                        + " {}",
                    leaseWrites.size(),
                    serviceKey,
                    failure.toString());
              }
            });
  }

  @Override
  public ApplyServiceWrites getBackupProcessor() {
    return new ApplyServiceWrites(writes, false, committedAtMillis);
  }

  @Override
  public int getClassId() {
    return RegistrySerialization.APPLY_SERVICE_WRITES;
  }

  @Override
  public void writeData(ObjectDataOutput out) throws IOException {
    out.writeBoolean(writeLeases);
    out.writeLong(committedAtMillis);
    out.writeInt(writes.size());
    for (ServiceWrite write : writes) {
      write.writeTo(out);
    }
  }

  @Override
  public void readData(ObjectDataInput in) throws IOException {
    writeLeases = in.readBoolean();
    committedAtMillis = in.readLong();
    int count = in.readInt();
    writes = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      writes.add(ServiceWrite.readFrom(in));
    }
  }
}
