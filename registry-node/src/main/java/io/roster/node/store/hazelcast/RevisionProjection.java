package io.roster.node.store.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import com.hazelcast.projection.Projection;
import io.roster.node.domain.ServiceState;
import java.util.Map;

/**
 * Reads every service's revision as {@code "revision key"}. A projection, not an entry processor:
 * Hazelcast counts it as a read, so a node on the minority side of a split (where split-brain
 * protection refuses writes) can still compare its view with the store. It reads one field of a
 * value that partition threads change; a stale read only delays a catch-up to the next resync.
 */
final class RevisionProjection
    implements Projection<Map.Entry<String, ServiceState>, String>, IdentifiedDataSerializable {

  @Override
  public String transform(Map.Entry<String, ServiceState> entry) {
    ServiceState state = entry.getValue();
    return (state == null ? 0 : state.revision()) + " " + entry.getKey();
  }

  static long revision(String projected) {
    return Long.parseLong(projected.substring(0, projected.indexOf(' ')));
  }

  static String key(String projected) {
    return projected.substring(projected.indexOf(' ') + 1);
  }

  @Override
  public int getFactoryId() {
    return RegistrySerialization.FACTORY_ID;
  }

  @Override
  public int getClassId() {
    return RegistrySerialization.READ_REVISION;
  }

  @Override
  public void writeData(ObjectDataOutput out) {}

  @Override
  public void readData(ObjectDataInput in) {}
}
