package io.roster.node.cluster;

import com.hazelcast.config.SerializationConfig;
import com.hazelcast.nio.serialization.DataSerializableFactory;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/** Registers how the cluster package's tasks and processors travel between members. */
final class ClusterSerialization {

  static final int FACTORY_ID = 7_402;
  static final int CLAIM_LEADERSHIP = 1;
  static final int PING = 2;
  static final int PUBLISH_PROTECTION = 3;

  private ClusterSerialization() {}

  static void configure(SerializationConfig config) {
    config.addDataSerializableFactory(FACTORY_ID, new Factory());
  }

  private static final class Factory implements DataSerializableFactory {
    @Override
    public IdentifiedDataSerializable create(int classId) {
      return switch (classId) {
        case CLAIM_LEADERSHIP -> new ClaimLeadership();
        case PING -> new Ping();
        case PUBLISH_PROTECTION -> new PublishProtection();
        default -> null;
      };
    }
  }
}
