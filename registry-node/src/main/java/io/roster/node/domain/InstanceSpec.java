package io.roster.node.domain;

import java.util.Map;

/**
 * What an instance registers: where to reach it and how much traffic it takes, and who registered
 * it. Values are already validated (see {@link InstanceValidator}); maps are immutable.
 *
 * @param owner the principal that registered it, when access control is on: another principal may
 *     not register the same instance id unless it is an admin of the namespace; empty when access
 *     control is off (then anyone may)
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
    InstanceStatus initialStatus,
    String owner) {

  public static final int DEFAULT_WEIGHT = 100;

  public InstanceSpec {
    ports = Map.copyOf(ports);
    metadata = Map.copyOf(metadata);
  }

  /** A spec of no particular owner. */
  public InstanceSpec(
      InstanceKey key,
      String host,
      int port,
      Map<String, Integer> ports,
      int weight,
      String zone,
      String version,
      Map<String, String> metadata,
      InstanceStatus initialStatus) {
    this(key, host, port, ports, weight, zone, version, metadata, initialStatus, "");
  }

  /** This spec, registered by {@code principal}. */
  public InstanceSpec withOwner(String principal) {
    return new InstanceSpec(
        key, host, port, ports, weight, zone, version, metadata, initialStatus, principal);
  }
}
