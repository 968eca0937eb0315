package io.roster.node.domain;

import java.util.Map;

/**
 * A validated Discover request.
 *
 * @param service the service to look in
 * @param preferredZone only this zone when it has a matching serving instance; empty for none
 * @param metadataSelector pairs every returned instance's metadata must hold
 * @param includeUnhealthy also return unhealthy and OUT_OF_SERVICE instances
 * @param version only this exact version; empty for any
 */
public record DiscoveryQuery(
    ServiceKey service,
    String preferredZone,
    Map<String, String> metadataSelector,
    boolean includeUnhealthy,
    String version) {

  public DiscoveryQuery {
    metadataSelector = Map.copyOf(metadataSelector);
  }

  public static DiscoveryQuery all(ServiceKey service) {
    return new DiscoveryQuery(service, "", Map.of(), true, "");
  }

  boolean matches(InstanceRecord record) {
    if (!includeUnhealthy && !record.serving()) {
      return false;
    }
    if (!version.isEmpty() && !version.equals(record.spec().version())) {
      return false;
    }
    Map<String, String> metadata = record.spec().metadata();
    for (Map.Entry<String, String> wanted : metadataSelector.entrySet()) {
      if (!wanted.getValue().equals(metadata.get(wanted.getKey()))) {
        return false;
      }
    }
    return true;
  }
}
