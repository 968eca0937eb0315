package io.roster.node.domain;

import java.util.Map;

/** Builders of valid {@link InstanceSpec}s for the domain tests. */
final class Specs {

  static final ServiceKey SERVICE = new ServiceKey("default", "orders");

  private Specs() {}

  /** A valid spec of {@link #SERVICE} with the given instance id and default values. */
  static InstanceSpec spec(String instanceId) {
    return builder(instanceId).build();
  }

  static Builder builder(String instanceId) {
    return new Builder(instanceId);
  }

  /** Mutable builder; every field starts at a valid default. */
  static final class Builder {
    private final String instanceId;
    private ServiceKey service = SERVICE;
    private String host = "10.0.0.1";
    private int port = 8080;
    private Map<String, Integer> ports = Map.of();
    private int weight = InstanceSpec.DEFAULT_WEIGHT;
    private String zone = "zone-a";
    private String version = "1.0.0";
    private Map<String, String> metadata = Map.of();
    private InstanceStatus initialStatus = InstanceStatus.UP;

    private Builder(String instanceId) {
      this.instanceId = instanceId;
    }

    Builder service(ServiceKey service) {
      this.service = service;
      return this;
    }

    Builder host(String host) {
      this.host = host;
      return this;
    }

    Builder port(int port) {
      this.port = port;
      return this;
    }

    Builder ports(Map<String, Integer> ports) {
      this.ports = ports;
      return this;
    }

    Builder weight(int weight) {
      this.weight = weight;
      return this;
    }

    Builder zone(String zone) {
      this.zone = zone;
      return this;
    }

    Builder version(String version) {
      this.version = version;
      return this;
    }

    Builder metadata(Map<String, String> metadata) {
      this.metadata = metadata;
      return this;
    }

    Builder initialStatus(InstanceStatus initialStatus) {
      this.initialStatus = initialStatus;
      return this;
    }

    InstanceSpec build() {
      return new InstanceSpec(
          new InstanceKey(service.namespace(), service.service(), instanceId),
          host,
          port,
          ports,
          weight,
          zone,
          version,
          metadata,
          initialStatus);
    }
  }
}
