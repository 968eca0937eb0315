package io.roster.client;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One running copy of a service: what an instance registers, and what discovery returns.
 *
 * <p>Immutable. Build one to register with {@link #builder(String, String, int)}; the registry
 * validates every field (see {@code roster/v1/instance.proto} for the rules) and answers {@link
 * RosterException.Code#INVALID_ARGUMENT} naming the field it refused. The fields {@link #health},
 * {@link #epoch} and {@link #revision} are set by the registry: they are ignored on registration.
 */
public final class ServiceInstance {

  /** The registry's default weight, used when none is set. */
  public static final int DEFAULT_WEIGHT = 100;

  /** The largest weight the registry accepts. */
  public static final int MAX_WEIGHT = 10_000;

  private final String namespace;
  private final String service;
  private final String instanceId;
  private final String host;
  private final int port;
  private final Map<String, Integer> ports;
  private final int weight;
  private final String zone;
  private final String version;
  private final Map<String, String> metadata;
  private final InstanceStatus status;
  private final HealthState health;
  private final long epoch;
  private final long revision;

  private ServiceInstance(Builder b) {
    this.namespace = b.namespace;
    this.service = b.service;
    this.instanceId = b.instanceId;
    this.host = b.host;
    this.port = b.port;
    this.ports = Map.copyOf(b.ports);
    this.weight = b.weight;
    this.zone = b.zone;
    this.version = b.version;
    this.metadata = Map.copyOf(b.metadata);
    this.status = b.status;
    this.health = b.health;
    this.epoch = b.epoch;
    this.revision = b.revision;
  }

  /**
   * Starts an instance of {@code service} reachable at {@code host:port}.
   *
   * @throws IllegalArgumentException when a value can never be valid (empty service or host, port
   *     outside 1-65535)
   */
  public static Builder builder(String service, String host, int port) {
    return new Builder().service(service).host(host).port(port);
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.namespace = namespace;
    b.service = service;
    b.instanceId = instanceId;
    b.host = host;
    b.port = port;
    b.ports.putAll(ports);
    b.weight = weight;
    b.zone = zone;
    b.version = version;
    b.metadata.putAll(metadata);
    b.status = status;
    b.health = health;
    b.epoch = epoch;
    b.revision = revision;
    return b;
  }

  /** Namespace; empty means the client's. */
  public String namespace() {
    return namespace;
  }

  public String service() {
    return service;
  }

  /**
   * Id within the service; empty before registration means "host:port" (the registry's default).
   */
  public String instanceId() {
    return instanceId;
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  /** "host:port", with brackets around an IPv6 literal. */
  public String address() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  /** Further named ports, e.g. {"metrics": 9090}. */
  public Map<String, Integer> ports() {
    return ports;
  }

  /** Share of traffic relative to the other instances; 0 keeps it listed with no traffic. */
  public int weight() {
    return weight;
  }

  /** Failure domain (availability zone, rack); empty when none. */
  public String zone() {
    return zone;
  }

  public String version() {
    return version;
  }

  public Map<String, String> metadata() {
    return metadata;
  }

  public InstanceStatus status() {
    return status;
  }

  /** The registry's view of its heartbeats; {@link HealthState#UNKNOWN} before registration. */
  public HealthState health() {
    return health;
  }

  public boolean isHealthy() {
    return health == HealthState.HEALTHY;
  }

  /**
   * Whether new work may go to it at all: status UP and weight above 0, healthy or not. DRAINING,
   * OUT_OF_SERVICE and weight-0 instances never get new work, whatever the strategy.
   */
  public boolean isRoutable() {
    return status == InstanceStatus.UP && weight > 0;
  }

  /** Registration epoch, higher at each registration of the instance; 0 before registration. */
  public long epoch() {
    return epoch;
  }

  /** Revision of the service at which this instance last changed; 0 before registration. */
  public long revision() {
    return revision;
  }

  @Override
  public boolean equals(Object other) {
    if (this == other) {
      return true;
    }
    if (!(other instanceof ServiceInstance that)) {
      return false;
    }
    return port == that.port
        && weight == that.weight
        && epoch == that.epoch
        && revision == that.revision
        && namespace.equals(that.namespace)
        && service.equals(that.service)
        && instanceId.equals(that.instanceId)
        && host.equals(that.host)
        && ports.equals(that.ports)
        && zone.equals(that.zone)
        && version.equals(that.version)
        && metadata.equals(that.metadata)
        && status == that.status
        && health == that.health;
  }

  @Override
  public int hashCode() {
    return Objects.hash(namespace, service, instanceId, host, port, weight, status, health, epoch);
  }

  @Override
  public String toString() {
    return service
        + "/"
        + (instanceId.isEmpty() ? address() : instanceId)
        + "{"
        + address()
        + ", weight="
        + weight
        + (zone.isEmpty() ? "" : ", zone=" + zone)
        + ", "
        + status
        + ", "
        + health
        + (epoch == 0 ? "" : ", epoch=" + epoch)
        + "}";
  }

  /** Builds a {@link ServiceInstance}. Not thread-safe. */
  public static final class Builder {
    private String namespace = "";
    private String service = "";
    private String instanceId = "";
    private String host = "";
    private int port;
    private final Map<String, Integer> ports = new TreeMap<>();
    private int weight = DEFAULT_WEIGHT;
    private String zone = "";
    private String version = "";
    private final Map<String, String> metadata = new TreeMap<>();
    private InstanceStatus status = InstanceStatus.UP;
    private HealthState health = HealthState.UNKNOWN;
    private long epoch;
    private long revision;

    private Builder() {}

    /** Namespace; default (empty): the client's namespace. */
    public Builder namespace(String namespace) {
      this.namespace = Objects.requireNonNull(namespace, "namespace");
      return this;
    }

    public Builder service(String service) {
      this.service = requireText(service, "service");
      return this;
    }

    /** Id within the service; default (empty): "host:port", assigned by the registry. */
    public Builder instanceId(String instanceId) {
      this.instanceId = Objects.requireNonNull(instanceId, "instanceId");
      return this;
    }

    public Builder host(String host) {
      this.host = requireText(host, "host");
      return this;
    }

    public Builder port(int port) {
      this.port = requirePort(port, "port");
      return this;
    }

    /** A further named port, e.g. {@code port("metrics", 9090)}. */
    public Builder port(String name, int port) {
      ports.put(requireText(name, "port name"), requirePort(port, "port " + name));
      return this;
    }

    /** Share of traffic, 0-10000; default 100. 0 keeps the instance listed with no traffic. */
    public Builder weight(int weight) {
      if (weight < 0 || weight > MAX_WEIGHT) {
        throw new IllegalArgumentException(
            "weight must be 0-" + MAX_WEIGHT + ", got " + weight + " (default 100)");
      }
      this.weight = weight;
      return this;
    }

    public Builder zone(String zone) {
      this.zone = Objects.requireNonNull(zone, "zone");
      return this;
    }

    public Builder version(String version) {
      this.version = Objects.requireNonNull(version, "version");
      return this;
    }

    public Builder metadata(String key, String value) {
      metadata.put(requireText(key, "metadata key"), Objects.requireNonNull(value, "value"));
      return this;
    }

    public Builder metadata(Map<String, String> entries) {
      entries.forEach(this::metadata);
      return this;
    }

    /** Status on registration; default UP. */
    public Builder status(InstanceStatus status) {
      this.status = Objects.requireNonNull(status, "status");
      return this;
    }

    /** Set by the registry; a value given on registration is ignored. */
    public Builder health(HealthState health) {
      this.health = Objects.requireNonNull(health, "health");
      return this;
    }

    /** Set by the registry; a value given on registration is ignored. */
    public Builder epoch(long epoch) {
      this.epoch = epoch;
      return this;
    }

    /** Set by the registry; a value given on registration is ignored. */
    public Builder revision(long revision) {
      this.revision = revision;
      return this;
    }

    public ServiceInstance build() {
      if (service.isEmpty() || host.isEmpty() || port == 0) {
        throw new IllegalStateException("service, host and port are required");
      }
      return new ServiceInstance(this);
    }

    private static String requireText(String value, String what) {
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException(what + " must not be empty");
      }
      return value;
    }

    private static int requirePort(int port, String what) {
      if (port < 1 || port > 65_535) {
        throw new IllegalArgumentException(what + " must be 1-65535, got " + port);
      }
      return port;
    }
  }
}
