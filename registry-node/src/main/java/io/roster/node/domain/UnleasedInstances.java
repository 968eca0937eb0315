package io.roster.node.domain;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds instances the registry lists without a lease, which no sweep of leases can see: the node
 * that took the registration died between writing the instance and granting its lease, or a lease
 * entry was lost otherwise. If the instance's process died too, nothing would ever renew or evict
 * it, and it would be listed as healthy for good.
 *
 * <p>Each check compares per service the digest of the instances listed with that of the leases
 * held, and lists leases only where they differ. A registration in flight is briefly listed without
 * its lease, so an instance counts as unleased only when two checks in a row find it so, with the
 * same epoch: it then gets a lease that has already run out, and the sweep treats it like any
 * instance whose heartbeats stopped (budget, grace and all).
 *
 * <p>Not thread-safe: used by the leader's eviction thread only.
 */
public final class UnleasedInstances {

  private Map<InstanceKey, Long> missingAtLastCheck = Map.of();

  /** The services whose listed instances and held leases differ. */
  public static Set<ServiceKey> differing(
      Collection<ServiceView> services, Map<ServiceKey, Long> leaseDigests) {
    Set<ServiceKey> differing = new HashSet<>();
    for (ServiceView service : services) {
      if (service.isEmpty()) {
        continue;
      }
      long listed = LeaseDigest.ofInstances(service.instances());
      if (listed != leaseDigests.getOrDefault(service.key(), 0L)) {
        differing.add(service.key());
      }
    }
    return differing;
  }

  /**
   * Records which instances of {@code services} have no lease of their epoch (or a newer one) in
   * {@code leasedEpochs}, and answers those that had none at the previous check either.
   */
  public List<InstanceRecord> confirm(
      Collection<ServiceView> services, Map<ServiceKey, Map<String, Long>> leasedEpochs) {
    Map<InstanceKey, Long> missing = new HashMap<>();
    List<InstanceRecord> confirmed = new ArrayList<>();
    for (ServiceView service : services) {
      Map<String, Long> leased = leasedEpochs.getOrDefault(service.key(), Map.of());
      for (InstanceRecord instance : service.instances()) {
        Long epoch = leased.get(instance.instanceId());
        if (epoch != null && epoch >= instance.epoch()) {
          continue;
        }
        missing.put(instance.key(), instance.epoch());
        if (Long.valueOf(instance.epoch()).equals(missingAtLastCheck.get(instance.key()))) {
          confirmed.add(instance);
        }
      }
    }
    missingAtLastCheck = missing;
    return confirmed;
  }

  /** Forgets what the last check found: nothing differs now. */
  public void clear() {
    missingAtLastCheck = Map.of();
  }
}
