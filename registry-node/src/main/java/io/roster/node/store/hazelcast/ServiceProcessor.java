package io.roster.node.store.hazelcast;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;
import io.roster.node.domain.ServiceState;

/**
 * Base of the processors that run on a service's entry, on the partition thread that owns it: the
 * one place a service changes, so its changes are ordered without locks.
 *
 * <p>A processor that changes the state is deterministic (time is one of its fields), so the same
 * processor replayed on the backup replica reaches the same state; it is its own backup processor,
 * or a copy of itself without the writes that have a backup of their own ({@link
 * ApplyServiceWrites} leaves out the leases). Never query the services map with predicates that
 * walk a value's insides: the stored values are mutable objects that only partition threads may
 * change ({@link RevisionProjection} reads a single field and tolerates a stale read).
 */
abstract class ServiceProcessor<R>
    implements EntryProcessor<String, ServiceState, R>, IdentifiedDataSerializable {

  @Override
  public int getFactoryId() {
    return RegistrySerialization.FACTORY_ID;
  }

  /** Results travel as {@code long[]} so no further serializer is needed. */
  static long[] result(Enum<?> outcome, long revision, long epoch) {
    return new long[] {outcome.ordinal(), revision, epoch};
  }
}
