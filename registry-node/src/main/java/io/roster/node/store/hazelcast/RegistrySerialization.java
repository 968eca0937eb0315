package io.roster.node.store.hazelcast;

import com.hazelcast.config.SerializationConfig;
import com.hazelcast.config.SerializerConfig;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializableFactory;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import com.hazelcast.nio.serialization.StreamSerializer;
import io.roster.node.domain.LeaseTable;
import io.roster.node.domain.ServiceDelta;
import io.roster.node.domain.ServiceState;
import java.io.IOException;
import java.util.function.Supplier;

/**
 * Registers how the registry's values and entry processors travel between members. Entry processors
 * are {@link IdentifiedDataSerializable}: a heartbeat batch is sent often, and a class id costs two
 * ints where a class name costs dozens of bytes and a reflective lookup.
 */
public final class RegistrySerialization {

  static final int FACTORY_ID = 7_401;

  // 1, 2, 3, 6, 8 and 13 were the processors of one write each (register, deregister, set status,
  // grant and revoke a lease, set a lease condition), before ApplyServiceWrites and WriteLeases:
  // never use them again.
  static final int READ_CHANGES = 4;
  static final int READ_REVISION = 5;
  static final int RENEW_LEASES = 7;
  static final int FIND_EXPIRED_LEASES = 9;
  static final int DECLARE_EXPIRED = 10;
  static final int REVOKE_EXPIRED_LEASE = 11;
  static final int EXTEND_LEASES = 12;
  static final int DIGEST_LEASES = 14;
  static final int READ_LEASE_EPOCHS = 15;
  static final int ADOPT_LEASE = 16;
  static final int APPLY_SERVICE_WRITES = 17;
  static final int WRITE_LEASES = 18;

  private static final int SERVICE_STATE_TYPE = 7_401;
  private static final int LEASE_TABLE_TYPE = 7_402;
  private static final int SERVICE_DELTA_TYPE = 7_403;

  private RegistrySerialization() {}

  /** Adds the registry's serializers and factory to a member's configuration. */
  public static void configure(SerializationConfig config) {
    config.addDataSerializableFactory(FACTORY_ID, new Factory());
    config.addSerializerConfig(
        new SerializerConfig()
            .setTypeClass(ServiceState.class)
            .setImplementation(
                serializer(SERVICE_STATE_TYPE, RecordCodec::writeState, RecordCodec::readState)));
    config.addSerializerConfig(
        new SerializerConfig()
            .setTypeClass(LeaseTable.class)
            .setImplementation(
                serializer(LEASE_TABLE_TYPE, RecordCodec::writeLeases, RecordCodec::readLeases)));
    config.addSerializerConfig(
        new SerializerConfig()
            .setTypeClass(ServiceDelta.class)
            .setImplementation(
                serializer(SERVICE_DELTA_TYPE, RecordCodec::writeDelta, RecordCodec::readDelta)));
  }

  private static final class Factory implements DataSerializableFactory {
    @Override
    public IdentifiedDataSerializable create(int classId) {
      Supplier<IdentifiedDataSerializable> constructor =
          switch (classId) {
            case READ_CHANGES -> ReadChanges::new;
            case READ_REVISION -> RevisionProjection::new;
            case RENEW_LEASES -> RenewLeases::new;
            case FIND_EXPIRED_LEASES -> FindExpiredLeases::new;
            case DECLARE_EXPIRED -> DeclareExpired::new;
            case REVOKE_EXPIRED_LEASE -> RevokeExpiredLease::new;
            case EXTEND_LEASES -> ExtendLeases::new;
            case DIGEST_LEASES -> DigestLeases::new;
            case READ_LEASE_EPOCHS -> ReadLeaseEpochs::new;
            case ADOPT_LEASE -> AdoptLease::new;
            case APPLY_SERVICE_WRITES -> ApplyServiceWrites::new;
            case WRITE_LEASES -> WriteLeases::new;
            default -> null;
          };
      return constructor == null ? null : constructor.get();
    }
  }

  interface Writer<T> {
    void write(ObjectDataOutput out, T value) throws IOException;
  }

  interface Reader<T> {
    T read(ObjectDataInput in) throws IOException;
  }

  private static <T> StreamSerializer<T> serializer(
      int typeId, Writer<T> writer, Reader<T> reader) {
    return new StreamSerializer<>() {
      @Override
      public void write(ObjectDataOutput out, T value) throws IOException {
        writer.write(out, value);
      }

      @Override
      public T read(ObjectDataInput in) throws IOException {
        return reader.read(in);
      }

      @Override
      public int getTypeId() {
        return typeId;
      }
    };
  }
}
