package io.roster.node.store.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import io.roster.node.domain.InstanceRecord;
import io.roster.node.domain.InstanceSpec;
import io.roster.node.domain.InstanceStatus;
import io.roster.node.domain.LeaseCondition;
import io.roster.node.domain.MutationResult;
import io.roster.node.domain.ServiceState;
import java.io.IOException;
import java.util.List;

/**
 * One write to a service's state, as {@link ApplyServiceWrites} carries it. Deterministic (time is
 * a field), so the backup replica applying the same write to the same state decides the same.
 */
sealed interface ServiceWrite {

  /** Answered in the outcome field of a registration refused: the id is another owner's. */
  long OWNED_BY_ANOTHER = -1;

  /**
   * Applies this write to {@code state}; puts {@code [outcome, revision, epoch]} into {@code
   * results} at {@code at} (the outcome is a {@link MutationResult.Outcome} ordinal, or {@link
   * #OWNED_BY_ANOTHER}), and adds the writes it needs on the service's lease table to {@code
   * leases}. Answers whether the state changed.
   */
  boolean apply(ServiceState state, long[] results, int at, List<LeaseWrite> leases);

  void writeTo(ObjectDataOutput out) throws IOException;

  static ServiceWrite readFrom(ObjectDataInput in) throws IOException {
    byte kind = in.readByte();
    return switch (kind) {
      case Register.KIND ->
          new Register(RecordCodec.readSpec(in), in.readLong(), in.readLong(), in.readBoolean());
      case Deregister.KIND -> new Deregister(in.readString(), in.readLong());
      case SetStatus.KIND ->
          new SetStatus(in.readString(), InstanceStatus.values()[in.readByte()], in.readLong());
      case SetLease.KIND ->
          new SetLease(in.readString(), in.readLong(), RecordCodec.readCondition(in));
      default -> throw new IOException("unknown service write kind " + kind);
    };
  }

  /**
   * Registers an instance (again), its epoch the new revision, and grants its lease; refused when
   * the id is another owner's and may not be taken over.
   */
  record Register(InstanceSpec spec, long ttlMillis, long nowMillis, boolean mayTakeOver)
      implements ServiceWrite {
    static final byte KIND = 1;

    @Override
    public boolean apply(ServiceState state, long[] results, int at, List<LeaseWrite> leases) {
      if (!mayTakeOver && state.ownedByAnother(spec)) {
        put(results, at, OWNED_BY_ANOTHER, state.revision(), 0);
        return false;
      }
      InstanceRecord record = state.register(spec, nowMillis);
      leases.add(LeaseWrite.grant(spec.key().instanceId(), record.epoch(), ttlMillis, nowMillis));
      put(results, at, MutationResult.Outcome.APPLIED.ordinal(), record.revision(), record.epoch());
      return true;
    }

    @Override
    public void writeTo(ObjectDataOutput out) throws IOException {
      out.writeByte(KIND);
      RecordCodec.writeSpec(out, spec);
      out.writeLong(ttlMillis);
      out.writeLong(nowMillis);
      out.writeBoolean(mayTakeOver);
    }
  }

  /** Removes an instance and ends its lease; epoch 0 removes whatever epoch is current. */
  record Deregister(String instanceId, long epoch) implements ServiceWrite {
    static final byte KIND = 2;

    @Override
    public boolean apply(ServiceState state, long[] results, int at, List<LeaseWrite> leases) {
      MutationResult result = state.deregister(instanceId, epoch);
      if (result.outcome() == MutationResult.Outcome.APPLIED) {
        leases.add(LeaseWrite.revoke(instanceId, result.currentEpoch()));
      }
      return put(results, at, result);
    }

    @Override
    public void writeTo(ObjectDataOutput out) throws IOException {
      out.writeByte(KIND);
      out.writeString(instanceId);
      out.writeLong(epoch);
    }
  }

  /** Sets whether an instance takes work; epoch 0 matches any epoch. */
  record SetStatus(String instanceId, InstanceStatus status, long epoch) implements ServiceWrite {
    static final byte KIND = 3;

    @Override
    public boolean apply(ServiceState state, long[] results, int at, List<LeaseWrite> leases) {
      return put(results, at, state.setStatus(instanceId, status, epoch));
    }

    @Override
    public void writeTo(ObjectDataOutput out) throws IOException {
      out.writeByte(KIND);
      out.writeString(instanceId);
      out.writeByte(status.ordinal());
      out.writeLong(epoch);
    }
  }

  /** Records the condition of an instance's lease, when newer than the one it holds. */
  record SetLease(String instanceId, long epoch, LeaseCondition condition) implements ServiceWrite {
    static final byte KIND = 4;

    @Override
    public boolean apply(ServiceState state, long[] results, int at, List<LeaseWrite> leases) {
      return put(results, at, state.setLease(instanceId, epoch, condition));
    }

    @Override
    public void writeTo(ObjectDataOutput out) throws IOException {
      out.writeByte(KIND);
      out.writeString(instanceId);
      out.writeLong(epoch);
      RecordCodec.writeCondition(out, condition);
    }
  }

  private static boolean put(long[] results, int at, MutationResult result) {
    put(results, at, result.outcome().ordinal(), result.revision(), result.currentEpoch());
    return result.outcome() == MutationResult.Outcome.APPLIED;
  }

  private static void put(long[] results, int at, long outcome, long revision, long epoch) {
    results[at] = outcome;
    results[at + 1] = revision;
    results[at + 2] = epoch;
  }
}
