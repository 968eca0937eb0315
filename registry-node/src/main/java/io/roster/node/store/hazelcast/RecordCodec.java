package io.roster.node.store.hazelcast;

import com.google.common.collect.Interner;
import com.google.common.collect.Interners;
import io.roster.node.domain.ExpiredLease;
import io.roster.node.domain.InstanceKey;
import io.roster.node.domain.InstanceRecord;
import io.roster.node.domain.InstanceSpec;
import io.roster.node.domain.InstanceStatus;
import io.roster.node.domain.LeaderFence;
import io.roster.node.domain.Lease;
import io.roster.node.domain.LeaseCondition;
import io.roster.node.domain.LeaseTable;
import io.roster.node.domain.Removal;
import io.roster.node.domain.ServiceDelta;
import io.roster.node.domain.ServiceKey;
import io.roster.node.domain.ServiceState;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The binary form of the registry's state, as it travels between members (backups, migrations,
 * deltas). The service key is written once per state, not once per instance.
 *
 * <p>Every top-level structure starts with its format version; a node refuses a version it does not
 * know, with a message saying to run one release across the cluster (rolling upgrades across a
 * format change are not supported yet).
 */
final class RecordCodec {

  /** Format version written first in every top-level structure. */
  static final int FORMAT = 3;

  private static final Interner<String> SHARED_TEXT = Interners.newWeakInterner();

  private static final InstanceStatus[] STATUSES = InstanceStatus.values();

  private RecordCodec() {}

  static void writeState(DataOutput out, ServiceState state) throws IOException {
    out.writeByte(FORMAT);
    writeKey(out, state.key());
    out.writeLong(state.revision());
    out.writeLong(state.compactedRevision());
    out.writeLong(state.committedAtMillis());
    out.writeInt(state.instances().size());
    for (InstanceRecord record : state.instances()) {
      writeRecord(out, record);
    }
    out.writeInt(state.removals().size());
    for (Removal removal : state.removals()) {
      out.writeLong(removal.revision());
      out.writeUTF(removal.instanceId());
    }
  }

  static ServiceState readState(DataInput in) throws IOException {
    checkFormat(in.readByte());
    ServiceKey key = readKey(in);
    long revision = in.readLong();
    long compacted = in.readLong();
    long committedAt = in.readLong();
    List<InstanceRecord> instances = readRecords(in, key);
    int removalCount = in.readInt();
    List<Removal> removals = new ArrayList<>(removalCount);
    for (int i = 0; i < removalCount; i++) {
      long removedAt = in.readLong();
      removals.add(new Removal(removedAt, in.readUTF()));
    }
    return new ServiceState(key, revision, instances, removals, compacted, committedAt);
  }

  static void writeDelta(DataOutput out, ServiceDelta delta) throws IOException {
    out.writeByte(FORMAT);
    writeKey(out, delta.key());
    out.writeLong(delta.revision());
    out.writeBoolean(delta.snapshot());
    out.writeLong(delta.committedAtMillis());
    out.writeInt(delta.upserts().size());
    for (InstanceRecord record : delta.upserts()) {
      writeRecord(out, record);
    }
    out.writeInt(delta.removals().size());
    for (Removal removal : delta.removals()) {
      out.writeLong(removal.revision());
      out.writeUTF(removal.instanceId());
    }
  }

  static ServiceDelta readDelta(DataInput in) throws IOException {
    checkFormat(in.readByte());
    ServiceKey key = readKey(in);
    long revision = in.readLong();
    boolean snapshot = in.readBoolean();
    long committedAt = in.readLong();
    List<InstanceRecord> upserts = readRecords(in, key);
    int removalCount = in.readInt();
    List<Removal> removals = new ArrayList<>(removalCount);
    for (int i = 0; i < removalCount; i++) {
      long removedAt = in.readLong();
      removals.add(new Removal(removedAt, in.readUTF()));
    }
    return new ServiceDelta(key, revision, snapshot, upserts, removals, committedAt);
  }

  static void writeLeases(DataOutput out, LeaseTable table) throws IOException {
    out.writeByte(FORMAT);
    out.writeLong(table.highestLeaderEpoch());
    out.writeInt(table.leases().size());
    for (Map.Entry<String, Lease> entry : table.entries()) {
      out.writeUTF(entry.getKey());
      Lease lease = entry.getValue();
      out.writeLong(lease.epoch());
      out.writeLong(lease.ttlMillis());
      out.writeLong(lease.expiresAtMillis());
      out.writeBoolean(lease.expired());
      out.writeLong(lease.seq());
    }
  }

  static LeaseTable readLeases(DataInput in) throws IOException {
    checkFormat(in.readByte());
    long highestLeaderEpoch = in.readLong();
    int count = in.readInt();
    Map<String, Lease> leases = new HashMap<>(count * 2);
    for (int i = 0; i < count; i++) {
      leases.put(
          in.readUTF(),
          new Lease(in.readLong(), in.readLong(), in.readLong(), in.readBoolean(), in.readLong()));
    }
    return new LeaseTable(leases, highestLeaderEpoch);
  }

  static void writeExpired(DataOutput out, List<ExpiredLease> expired) throws IOException {
    out.writeInt(expired.size());
    for (ExpiredLease lease : expired) {
      writeKey(out, lease.key().serviceKey());
      out.writeUTF(lease.key().instanceId());
      out.writeLong(lease.epoch());
      out.writeLong(lease.expiresAtMillis());
      out.writeBoolean(lease.declared());
      out.writeLong(lease.seq());
    }
  }

  static List<ExpiredLease> readExpired(DataInput in) throws IOException {
    int count = in.readInt();
    List<ExpiredLease> expired = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      ServiceKey service = readKey(in);
      InstanceKey key = new InstanceKey(service.namespace(), service.service(), in.readUTF());
      expired.add(
          new ExpiredLease(key, in.readLong(), in.readLong(), in.readBoolean(), in.readLong()));
    }
    return expired;
  }

  static void writeFence(DataOutput out, LeaderFence fence) throws IOException {
    out.writeLong(fence.leaderEpoch());
    out.writeLong(fence.validUntilMillis());
    out.writeLong(fence.membersDigest());
  }

  static LeaderFence readFence(DataInput in) throws IOException {
    return new LeaderFence(in.readLong(), in.readLong(), in.readLong());
  }

  static void writeCondition(DataOutput out, LeaseCondition lease) throws IOException {
    out.writeBoolean(lease.healthy());
    out.writeUTF(lease.reason());
    out.writeUTF(lease.message());
    out.writeLong(lease.sinceMillis());
    out.writeLong(lease.seq());
  }

  static LeaseCondition readCondition(DataInput in) throws IOException {
    return new LeaseCondition(
        in.readBoolean(), in.readUTF(), in.readUTF(), in.readLong(), in.readLong());
  }

  static void writeSpec(DataOutput out, InstanceSpec spec) throws IOException {
    writeKey(out, spec.key().serviceKey());
    writeSpecBody(out, spec);
  }

  static InstanceSpec readSpec(DataInput in) throws IOException {
    return readSpecBody(in, readKey(in));
  }

  static void writeKey(DataOutput out, ServiceKey key) throws IOException {
    out.writeUTF(key.namespace());
    out.writeUTF(key.service());
  }

  static ServiceKey readKey(DataInput in) throws IOException {
    return new ServiceKey(in.readUTF(), in.readUTF());
  }

  private static List<InstanceRecord> readRecords(DataInput in, ServiceKey key) throws IOException {
    int count = in.readInt();
    List<InstanceRecord> records = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      records.add(readRecord(in, key));
    }
    return records;
  }

  private static void writeRecord(DataOutput out, InstanceRecord record) throws IOException {
    writeSpecBody(out, record.spec());
    out.writeByte(record.status().ordinal());
    writeCondition(out, record.lease());
    out.writeLong(record.epoch());
    out.writeLong(record.revision());
    out.writeLong(record.registeredAtMillis());
  }

  private static InstanceRecord readRecord(DataInput in, ServiceKey key) throws IOException {
    InstanceSpec spec = readSpecBody(in, key);
    InstanceStatus status = STATUSES[in.readByte()];
    LeaseCondition lease = readCondition(in);
    return new InstanceRecord(spec, status, lease, in.readLong(), in.readLong(), in.readLong());
  }

  private static void writeSpecBody(DataOutput out, InstanceSpec spec) throws IOException {
    out.writeUTF(spec.key().instanceId());
    out.writeUTF(spec.host());
    out.writeShort(spec.port());
    out.writeByte(spec.ports().size());
    for (Map.Entry<String, Integer> port : spec.ports().entrySet()) {
      out.writeUTF(port.getKey());
      out.writeShort(port.getValue());
    }
    out.writeShort(spec.weight());
    out.writeUTF(spec.zone());
    out.writeUTF(spec.version());
    out.writeByte(spec.metadata().size());
    for (Map.Entry<String, String> entry : spec.metadata().entrySet()) {
      out.writeUTF(entry.getKey());
      out.writeUTF(entry.getValue());
    }
    out.writeByte(spec.initialStatus().ordinal());
    out.writeUTF(spec.owner());
  }

  private static InstanceSpec readSpecBody(DataInput in, ServiceKey key) throws IOException {
    InstanceKey instanceKey = new InstanceKey(key.namespace(), key.service(), in.readUTF());
    String host = in.readUTF();
    int port = in.readUnsignedShort();
    int portCount = in.readUnsignedByte();
    Map<String, Integer> ports = new LinkedHashMap<>();
    for (int i = 0; i < portCount; i++) {
      ports.put(shared(in.readUTF()), in.readUnsignedShort());
    }
    int weight = in.readUnsignedShort();
    String zone = shared(in.readUTF());
    String version = shared(in.readUTF());
    int metadataCount = in.readUnsignedByte();
    Map<String, String> metadata = new LinkedHashMap<>();
    for (int i = 0; i < metadataCount; i++) {
      metadata.put(shared(in.readUTF()), shared(in.readUTF()));
    }
    InstanceStatus initialStatus = STATUSES[in.readByte()];
    String owner = shared(in.readUTF());
    return new InstanceSpec(
        instanceKey, host, port, ports, weight, zone, version, metadata, initialStatus, owner);
  }

  /**
   * The one copy of a text that many instances repeat (zone, version, port names, metadata keys and
   * most values). Every node decodes each instance into its view and each backup into its copy:
   * without this, each record held its own copies of "zone-a", "1.4.2" or "team", about 50 bytes
   * each. Weak, so a text no instance uses any more is collected.
   */
  private static String shared(String text) {
    return SHARED_TEXT.intern(text);
  }

  private static void checkFormat(byte format) throws IOException {
    if (format != FORMAT) {
      throw new IOException(
          "stored registry data has format "
              + format
              + ", this node reads format "
              + FORMAT
              + ": upgrade every node to the same release");
    }
  }
}
