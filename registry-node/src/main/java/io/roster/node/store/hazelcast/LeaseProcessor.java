package io.roster.node.store.hazelcast;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import io.roster.node.domain.LeaseTable;

/**
 * Base of the processors on a service's lease table, which lives in the same partition as the
 * service. Deterministic (time is a field), so each is its own backup processor. The leases map has
 * no listeners: a renewal wakes nobody.
 */
abstract class LeaseProcessor<R>
    implements EntryProcessor<String, LeaseTable, R>, IdentifiedDataSerializable {

  @Override
  public int getFactoryId() {
    return RegistrySerialization.FACTORY_ID;
  }
}
