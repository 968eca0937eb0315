package io.roster.node.domain;

import java.util.Map;

/**
 * What an instance registers: where to reach it and how much traffic it takes. Values are already
 * validated (see {@link InstanceValidator}); maps are immutable.
 */
public record InstanceSpec(
    InstanceKey key,
    String host,
    int port,
    Map<String, Integer> ports,
    int weight,
    String zone,
    String version,
    Map<String, String> metadata,
    InstanceStatus initialStatus) {

  public static final int DEFAULT_WEIGHT = 100;

  public InstanceSpec {
    ports = Map.copyOf(ports);
    metadata = Map.copyOf(metadata);
  }
}
