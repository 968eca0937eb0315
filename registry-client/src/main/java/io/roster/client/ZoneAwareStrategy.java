package io.roster.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Keeps requests in the caller's zone while that zone is healthy enough, so calls stay local
 * (cheaper and faster), and spills to every zone when it is not, so the survivors of a failing zone
 * are not crushed by all of its callers.
 */
final class ZoneAwareStrategy extends EndpointStrategy {

  private final String zone;
  private final double minHealthyShare;
  private final EndpointStrategy within;

  ZoneAwareStrategy(String zone, double minHealthyShare, EndpointStrategy within) {
    this.zone = Objects.requireNonNull(zone, "zone");
    this.minHealthyShare = minHealthyShare;
    this.within = Objects.requireNonNull(within, "within");
  }

  @Override
  EndpointPicker newPicker(List<ServiceInstance> instances) {
    List<ServiceInstance> local = new ArrayList<>();
    int routable = 0;
    int healthy = 0;
    for (ServiceInstance instance : instances) {
      if (instance.zone().equals(zone)) {
        local.add(instance);
        if (instance.isRoutable()) {
          routable++;
          if (instance.isHealthy()) {
            healthy++;
          }
        }
      }
    }
    if (healthy > 0 && healthy >= minHealthyShare * routable) {
      return within.newPicker(local);
    }
    return within.newPicker(instances);
  }

  @Override
  EndpointPicker newPanicPicker(List<ServiceInstance> instances) {
    // In panic the registry's health is in doubt, so the zone's share is too: spread over all.
    return within.newPanicPicker(instances);
  }
}
