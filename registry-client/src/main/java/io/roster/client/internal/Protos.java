package io.roster.client.internal;

import io.roster.client.HealthState;
import io.roster.client.InstanceStatus;
import io.roster.client.ServiceInstance;
import io.roster.v1.Instance;

/**
 * Converts between the client's types ({@link ServiceInstance}, {@link java.time.Duration}) and the
 * wire's ({@link Instance}, {@code google.protobuf.Duration}). The durations are converted here
 * rather than with protobuf-java-util, which would put it (and its Gson) on every user's classpath
 * for two lines of arithmetic.
 */
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

  /** The wire form of a non-negative duration. */
  static com.google.protobuf.Duration toProto(java.time.Duration duration) {
    return com.google.protobuf.Duration.newBuilder()
        .setSeconds(duration.getSeconds())
        .setNanos(duration.getNano())
        .build();
  }

  /**
   * Nanoseconds of a duration a node sent, saturated at the bounds of a long rather than failing: a
   * node's hint of a thousand years means "not soon", not an error.
   */
  static long toNanos(com.google.protobuf.Duration duration) {
    try {
      return Math.addExact(
          Math.multiplyExact(duration.getSeconds(), 1_000_000_000L), duration.getNanos());
    } catch (ArithmeticException e) {
      return duration.getSeconds() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }

  /** A port the builder accepts even from a malformed record (the registry never sends one). */
  private static int portOf(Instance proto) {
    return proto.getPort() >= 1 && proto.getPort() <= 65_535 ? proto.getPort() : 1;
  }
}
