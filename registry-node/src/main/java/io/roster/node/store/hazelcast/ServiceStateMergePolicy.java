package io.roster.node.store.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.spi.merge.MergingValue;
import com.hazelcast.spi.merge.SplitBrainMergePolicy;
import io.roster.node.domain.ServiceState;

/**
 * Merges a service's state when two sides of a healed network partition meet: every instance either
 * side kept survives (see {@link ServiceState#mergeFrom}). Hazelcast's default policy would keep
 * one side's entry whole and drop the registrations made on the other.
 */
public final class ServiceStateMergePolicy
    implements SplitBrainMergePolicy<ServiceState, MergingValue<ServiceState>, Object> {

  @Override
  public Object merge(MergingValue<ServiceState> merging, MergingValue<ServiceState> existing) {
    ServiceState theirs = merging.getDeserializedValue();
    ServiceState ours = existing == null ? null : existing.getDeserializedValue();
    if (ours == null) {
      return theirs;
    }
    if (theirs == null) {
      return ours;
    }
    ServiceState merged = ours.copy();
    merged.mergeFrom(theirs);
    return merged;
  }

  @Override
  public void writeData(ObjectDataOutput out) {}

  @Override
  public void readData(ObjectDataInput in) {}
}
