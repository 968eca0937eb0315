package io.roster.node.api;

import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import io.roster.node.domain.DiscoveryQuery;
import io.roster.node.domain.InstanceKey;
import io.roster.node.domain.InstanceRecord;
import io.roster.node.domain.InstanceSpec;
import io.roster.node.domain.InstanceStatus;
import io.roster.node.domain.InstanceValidator;
import io.roster.node.domain.InvalidArgumentException;
import io.roster.node.domain.ServiceKey;
import io.roster.v1.ChangeType;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.HealthCondition;
import io.roster.v1.HealthState;
import io.roster.v1.Instance;
import io.roster.v1.InstanceChange;
import io.roster.v1.ListServicesRequest;
import io.roster.v1.RegisterRequest;
import io.roster.v1.WatchRequest;
import io.roster.v1.WatchTarget;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Translates between the wire types of {@code roster.v1} and the domain, validating every field on
 * the way in. Field names in error messages are the proto field paths a caller sent.
 *
 * <p>Every request is mapped here, whole, before a service acts on it: a request either maps to
 * valid domain values or is refused with an {@link InvalidArgumentException} naming its field, and
 * nothing else (the fuzz tests of {@code RequestMappingFuzzTest} hold it to that).
 *
 * <p>Stateless; safe on any thread.
 */
final class ProtoMapper {

  static final String LEASE_CONDITION = "lease";

  private ProtoMapper() {}

  /** A Register request, validated: the instance, and the lease TTL asked for (0: none asked). */
  record Registration(InstanceSpec spec, long requestedTtlMillis) {}

  /** A ListServices request, validated: names after {@code after} (empty: the first page). */
  record ServicesPage(String namespace, int pageSize, String after) {}

  static Registration toRegistration(RegisterRequest request) {
    if (!request.hasInstance()) {
      throw new InvalidArgumentException("instance", "is required");
    }
    InstanceSpec spec = toSpec(request.getInstance());
    long requestedTtlMillis =
        request.hasLeaseTtl() ? toMillis("lease_ttl", request.getLeaseTtl()) : 0;
    return new Registration(spec, requestedTtlMillis);
  }

  static DiscoveryQuery toQuery(DiscoverRequest request) {
    return new DiscoveryQuery(
        toServiceKey("namespace", request.getNamespace(), "service", request.getService()),
        InstanceValidator.zone("preferred_zone", request.getPreferredZone()),
        selector(request.getMetadataSelectorMap()),
        request.getIncludeUnhealthy(),
        InstanceValidator.version("version", request.getVersion()));
  }

  static ServicesPage toServicesPage(ListServicesRequest request) {
    String namespace = InstanceValidator.namespace("namespace", request.getNamespace());
    int pageSize = pageSize("page_size", request.getPageSize(), DiscoveryGrpcService.MAX_PAGE_SIZE);
    if (!request.getPageToken().isEmpty()) {
      // The token is the last service name of the page before.
      InstanceValidator.service("page_token", request.getPageToken());
    }
    return new ServicesPage(
        namespace,
        pageSize == 0 ? DiscoveryGrpcService.DEFAULT_PAGE_SIZE : pageSize,
        request.getPageToken());
  }

  /**
   * A uint32 page size of at most {@code max}. Java reads uint32 values of 2^31 and above as
   * negative ints, so it is compared unsigned and shown as sent.
   */
  static int pageSize(String field, int uint32, int max) {
    long pageSize = Integer.toUnsignedLong(uint32);
    if (pageSize > max) {
      throw new InvalidArgumentException(field, "must be at most " + max + ", got " + pageSize);
    }
    return (int) pageSize;
  }

  /**
   * The services a Watch follows, in the order named, each with where to start from. The number of
   * targets is checked before any of them is read: a request naming 100,000 services is refused at
   * once, holding nothing.
   */
  static Map<ServiceKey, WatchHub.From> toWatchTargets(WatchRequest request) {
    String namespace = InstanceValidator.namespace("namespace", request.getNamespace());
    int count = request.getTargetsCount();
    if (count < 1 || count > DiscoveryGrpcService.MAX_WATCH_TARGETS) {
      throw new InvalidArgumentException(
          "targets",
          "must name 1-" + DiscoveryGrpcService.MAX_WATCH_TARGETS + " services, got " + count);
    }
    Map<ServiceKey, WatchHub.From> targets = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      WatchTarget target = request.getTargets(i);
      String field = "targets[" + i + "]";
      ServiceKey key =
          new ServiceKey(
              namespace, InstanceValidator.service(field + ".service", target.getService()));
      if (targets.containsKey(key)) {
        throw new InvalidArgumentException(
            field + ".service", "names " + key.service() + " a second time");
      }
      targets.put(
          key,
          new WatchHub.From(
              counter(field + ".from_revision", target.getFromRevision()),
              target.getIncarnation()));
    }
    return targets;
  }

  static InstanceSpec toSpec(Instance instance) {
    String namespace = InstanceValidator.namespace("instance.namespace", instance.getNamespace());
    String service = InstanceValidator.service("instance.service", instance.getService());
    String host = InstanceValidator.host("instance.host", instance.getHost());
    int port = InstanceValidator.port("instance.port", Integer.toUnsignedLong(instance.getPort()));
    String instanceId =
        instance.getInstanceId().isEmpty()
            ? InstanceValidator.defaultInstanceId("instance.instance_id", host, port)
            : InstanceValidator.instanceId("instance.instance_id", instance.getInstanceId());
    int weight =
        instance.hasWeight()
            ? InstanceValidator.weight(
                "instance.weight", Integer.toUnsignedLong(instance.getWeight()))
            : InstanceSpec.DEFAULT_WEIGHT;
    return new InstanceSpec(
        new InstanceKey(namespace, service, instanceId),
        host,
        port,
        InstanceValidator.namedPorts("instance.ports", instance.getPortsMap()),
        weight,
        InstanceValidator.zone("instance.zone", instance.getZone()),
        InstanceValidator.version("instance.version", instance.getVersion()),
        InstanceValidator.metadata("instance.metadata", instance.getMetadataMap()),
        registerStatus(instance.getStatus()));
  }

  static InstanceKey toKey(String field, io.roster.v1.InstanceKey key) {
    return new InstanceKey(
        InstanceValidator.namespace(field + ".namespace", key.getNamespace()),
        InstanceValidator.service(field + ".service", key.getService()),
        InstanceValidator.instanceId(field + ".instance_id", key.getInstanceId()));
  }

  static ServiceKey toServiceKey(
      String namespaceField, String namespace, String serviceField, String service) {
    return new ServiceKey(
        InstanceValidator.namespace(namespaceField, namespace),
        InstanceValidator.service(serviceField, service));
  }

  /**
   * A uint64 epoch or revision from the wire. Java reads uint64 as a signed long, so values of 2^63
   * and above arrive negative, and would compare below every real one and print negative. No epoch
   * or revision the registry hands out comes near 2^63: such a value was never one of ours, and is
   * refused, printed as the caller sent it.
   */
  static long counter(String field, long value) {
    if (value < 0) {
      throw new InvalidArgumentException(
          field,
          "must be below 2^63 (a value this registry returned), got "
              + Long.toUnsignedString(value));
    }
    return value;
  }

  static InstanceStatus toStatus(String field, io.roster.v1.InstanceStatus status) {
    return switch (status) {
      case INSTANCE_STATUS_UP -> InstanceStatus.UP;
      case INSTANCE_STATUS_DRAINING -> InstanceStatus.DRAINING;
      case INSTANCE_STATUS_OUT_OF_SERVICE -> InstanceStatus.OUT_OF_SERVICE;
      default ->
          throw new InvalidArgumentException(
              field, "must be one of INSTANCE_STATUS_UP, _DRAINING or _OUT_OF_SERVICE");
    };
  }

  static io.roster.v1.InstanceStatus toProto(InstanceStatus status) {
    return switch (status) {
      case UP -> io.roster.v1.InstanceStatus.INSTANCE_STATUS_UP;
      case DRAINING -> io.roster.v1.InstanceStatus.INSTANCE_STATUS_DRAINING;
      case OUT_OF_SERVICE -> io.roster.v1.InstanceStatus.INSTANCE_STATUS_OUT_OF_SERVICE;
    };
  }

  static Instance toProto(InstanceRecord record) {
    InstanceSpec spec = record.spec();
    HealthState health =
        record.healthy() ? HealthState.HEALTH_STATE_HEALTHY : HealthState.HEALTH_STATE_UNHEALTHY;
    return Instance.newBuilder()
        .setNamespace(spec.key().namespace())
        .setService(spec.key().service())
        .setInstanceId(spec.key().instanceId())
        .setHost(spec.host())
        .setPort(spec.port())
        .putAllPorts(spec.ports())
        .setWeight(spec.weight())
        .setZone(spec.zone())
        .setVersion(spec.version())
        .putAllMetadata(spec.metadata())
        .setStatus(toProto(record.status()))
        .setHealth(health)
        .addConditions(
            HealthCondition.newBuilder()
                .setType(LEASE_CONDITION)
                .setState(health)
                .setReason(record.lease().reason())
                .setMessage(record.lease().message())
                .setLastTransitionTime(timestamp(record.lease().sinceMillis())))
        .setEpoch(record.epoch())
        .setRevision(record.revision())
        .setRegisteredAt(timestamp(record.registeredAtMillis()))
        .build();
  }

  static InstanceChange toProto(io.roster.node.domain.InstanceChange change) {
    ChangeType type =
        switch (change.kind()) {
          case ADDED -> ChangeType.CHANGE_TYPE_ADDED;
          case UPDATED -> ChangeType.CHANGE_TYPE_UPDATED;
          case STATUS_CHANGED -> ChangeType.CHANGE_TYPE_STATUS_CHANGED;
          case HEALTH_CHANGED -> ChangeType.CHANGE_TYPE_HEALTH_CHANGED;
          case REMOVED -> ChangeType.CHANGE_TYPE_REMOVED;
        };
    return InstanceChange.newBuilder()
        .setType(type)
        .setInstance(toProto(change.record()))
        .setRevision(change.revision())
        .build();
  }

  /** Largest |seconds| of a valid google.protobuf.Duration (10,000 years), as its .proto says. */
  static final long MAX_DURATION_SECONDS = 315_576_000_000L;

  /**
   * A requested duration in milliseconds, 0 meaning "none asked". A Duration that is not one by its
   * .proto's rules (nanos outside -999,999,999..999,999,999, seconds and nanos of different signs,
   * seconds beyond 10,000 years) is refused, as is a negative one. A large valid one is returned as
   * is: the caller's policy lowers it to its bound (the .proto promises lowering, not refusal). A
   * positive duration under a millisecond counts as asked (1 ms, then raised), not as "none asked".
   */
  static long toMillis(String field, Duration duration) {
    long seconds = duration.getSeconds();
    int nanos = duration.getNanos();
    if (nanos <= -1_000_000_000 || nanos >= 1_000_000_000) {
      throw new InvalidArgumentException(
          field, "is not a valid Duration: nanos must be -999999999 to 999999999, got " + nanos);
    }
    if ((seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0)) {
      throw new InvalidArgumentException(
          field,
          "is not a valid Duration: seconds and nanos must have the same sign, got seconds "
              + seconds
              + " and nanos "
              + nanos);
    }
    if (seconds > MAX_DURATION_SECONDS || seconds < -MAX_DURATION_SECONDS) {
      throw new InvalidArgumentException(
          field,
          "is not a valid Duration: seconds must be within +/-"
              + MAX_DURATION_SECONDS
              + " (10,000 years), got "
              + seconds);
    }
    if (seconds < 0 || nanos < 0) {
      throw new InvalidArgumentException(field, "must not be negative");
    }
    long millis = seconds * 1000 + nanos / 1_000_000;
    return millis == 0 && nanos > 0 ? 1 : millis;
  }

  static Duration duration(long millis) {
    return Duration.newBuilder()
        .setSeconds(millis / 1000)
        .setNanos((int) (millis % 1000) * 1_000_000)
        .build();
  }

  static Timestamp timestamp(long millis) {
    return Timestamp.newBuilder()
        .setSeconds(Math.floorDiv(millis, 1000))
        .setNanos(Math.floorMod(millis, 1000) * 1_000_000)
        .build();
  }

  static Map<String, String> selector(Map<String, String> selector) {
    return InstanceValidator.selector("metadata_selector", selector);
  }

  private static InstanceStatus registerStatus(io.roster.v1.InstanceStatus status) {
    return status == io.roster.v1.InstanceStatus.INSTANCE_STATUS_UNSPECIFIED
        ? InstanceStatus.UP
        : toStatus("instance.status", status);
  }
}
