package io.roster.client;

import java.util.List;
import java.util.Objects;

/**
 * Spreads over every routable endpoint, healthy or not, when too few are healthy: then the
 * registry's health is more likely wrong than most instances dead at once (a glitch between them
 * and the registry), and the few healthy ones would be crushed by all the traffic anyway.
 */
final class PanicThresholdStrategy extends EndpointStrategy {

  private final double minHealthyShare;
  private final EndpointStrategy within;

  PanicThresholdStrategy(double minHealthyShare, EndpointStrategy within) {
    this.minHealthyShare = minHealthyShare;
    this.within = Objects.requireNonNull(within, "within");
  }

  @Override
  EndpointPicker newPicker(List<ServiceInstance> instances) {
    int routable = 0;
    int healthy = 0;
    for (ServiceInstance instance : instances) {
      if (instance.isRoutable()) {
        routable++;
        if (instance.isHealthy()) {
          healthy++;
        }
      }
    }
    if (routable > 0 && healthy < minHealthyShare * routable) {
      return within.newPanicPicker(instances);
    }
    return within.newPicker(instances);
  }

  @Override
  EndpointPicker newPanicPicker(List<ServiceInstance> instances) {
    return within.newPanicPicker(instances);
  }
}
