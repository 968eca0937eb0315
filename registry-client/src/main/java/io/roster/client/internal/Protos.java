package io.roster.client.internal;

import io.roster.client.HealthState;
import io.roster.client.InstanceStatus;
import io.roster.client.ServiceInstance;
import io.roster.v1.Instance;

/** Converts between the client's {@link ServiceInstance} and the wire's {@link Instance}. */
public final class Protos {

  private Protos() {}

  /** The wire form, output-only fields included (the snapshot file keeps them). */
  public static Instance toProto(ServiceInstance instance) {
    return Instance.newBuilder()
        .setNamespace(instance.namespace())
        .setService(instance.service())
        .setInstanceId(instance.instanceId())
        .setHost(instance.host())
        .setPort(instance.port())
        .putAllPorts(instance.ports())
        .setWeight(instance.weight())
        .setZone(instance.zone())
        .setVersion(instance.version())
        .putAllMetadata(instance.metadata())
        .setStatus(toProto(instance.status()))
        .setHealth(toProto(instance.health()))
        .setEpoch(instance.epoch())
        .setRevision(instance.revision())
        .build();
  }

  public static ServiceInstance fromProto(Instance proto) {
    ServiceInstance.Builder b =
        ServiceInstance.builder(proto.getService(), proto.getHost(), portOf(proto))
            .namespace(proto.getNamespace())
            .instanceId(proto.getInstanceId())
            .weight(proto.hasWeight() ? proto.getWeight() : ServiceInstance.DEFAULT_WEIGHT)
            .zone(proto.getZone())
            .version(proto.getVersion())
            .metadata(proto.getMetadataMap())
            .status(fromProto(proto.getStatus()))
            .health(fromProto(proto.getHealth()))
            .epoch(proto.getEpoch())
            .revision(proto.getRevision());
    proto.getPortsMap().forEach((name, port) -> b.port(name, port));
    return b.build();
  }

  public static io.roster.v1.InstanceStatus toProto(InstanceStatus status) {
    return switch (status) {
      case UP -> io.roster.v1.InstanceStatus.INSTANCE_STATUS_UP;
      case DRAINING -> io.roster.v1.InstanceStatus.INSTANCE_STATUS_DRAINING;
      case OUT_OF_SERVICE -> io.roster.v1.InstanceStatus.INSTANCE_STATUS_OUT_OF_SERVICE;
    };
  }

  static InstanceStatus fromProto(io.roster.v1.InstanceStatus status) {
    return switch (status) {
      case INSTANCE_STATUS_DRAINING -> InstanceStatus.DRAINING;
      case INSTANCE_STATUS_OUT_OF_SERVICE -> InstanceStatus.OUT_OF_SERVICE;
      default -> InstanceStatus.UP; // unspecified means UP, as on Register
    };
  }

  static io.roster.v1.HealthState toProto(HealthState health) {
    return switch (health) {
      case HEALTHY -> io.roster.v1.HealthState.HEALTH_STATE_HEALTHY;
      case UNHEALTHY -> io.roster.v1.HealthState.HEALTH_STATE_UNHEALTHY;
      case UNKNOWN -> io.roster.v1.HealthState.HEALTH_STATE_UNSPECIFIED;
    };
  }

  static HealthState fromProto(io.roster.v1.HealthState health) {
    return switch (health) {
      case HEALTH_STATE_HEALTHY -> HealthState.HEALTHY;
      case HEALTH_STATE_UNHEALTHY -> HealthState.UNHEALTHY;
      default -> HealthState.UNKNOWN;
    };
  }

  /** A port the builder accepts even from a malformed record (the registry never sends one). */
  private static int portOf(Instance proto) {
    return proto.getPort() >= 1 && proto.getPort() <= 65_535 ? proto.getPort() : 1;
  }
}
