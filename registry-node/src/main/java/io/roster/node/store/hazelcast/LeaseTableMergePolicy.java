package io.roster.node.store.hazelcast;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.spi.merge.MergingValue;
import com.hazelcast.spi.merge.SplitBrainMergePolicy;
import io.roster.node.domain.Lease;
import io.roster.node.domain.LeaseTable;
import java.util.HashMap;
import java.util.Map;

/**
 * Merges a service's leases when two sides of a healed network partition meet, keeping for each
 * instance the newer registration's lease, then the later expiry (see {@link
 * LeaseTable#mergeFrom}).
 */
public final class LeaseTableMergePolicy
    implements SplitBrainMergePolicy<LeaseTable, MergingValue<LeaseTable>, Object> {

  @Override
  public Object merge(MergingValue<LeaseTable> merging, MergingValue<LeaseTable> existing) {
    LeaseTable theirs = merging.getDeserializedValue();
    LeaseTable ours = existing == null ? null : existing.getDeserializedValue();
    if (ours == null) {
      return theirs;
    }
    if (theirs == null) {
      return ours;
    }
    Map<String, Lease> copy = new HashMap<>(ours.leases());
    LeaseTable merged = new LeaseTable(copy, ours.highestLeaderEpoch());
    merged.mergeFrom(theirs);
    return merged;
  }

  @Override
  public void writeData(ObjectDataOutput out) {}

  @Override
  public void readData(ObjectDataInput in) {}
}
