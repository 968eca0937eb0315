package io.roster.client;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * The instances of one service at one revision, as the client's cache holds them: an immutable
 * snapshot, replaced whole on every change, so readers never lock and never see half an update.
 *
 * <p>{@link #instances()} holds every instance the registry lists, healthy or not; {@link
 * #healthy()} those a caller may use (healthy, UP or DRAINING, as the registry's Discover answers).
 * {@link #age()} says how stale the snapshot may be: zero while the client's watch is connected,
 * otherwise the time since a registry node last confirmed it.
 */
public final class ServiceEndpoints {

  private static final Comparator<ServiceInstance> BY_ID =
      Comparator.comparing(ServiceInstance::instanceId);

  private final String namespace;
  private final String service;
  private final long revision;
  private final List<ServiceInstance> instances;
  private final List<ServiceInstance> healthy;
  private final Duration age;

  private ServiceEndpoints(
      String namespace,
      String service,
      long revision,
      List<ServiceInstance> instances,
      List<ServiceInstance> healthy,
      Duration age) {
    this.namespace = namespace;
    this.service = service;
    this.revision = revision;
    this.instances = instances;
    this.healthy = healthy;
    this.age = age;
  }

  /**
   * A snapshot of {@code instances} at {@code revision}, confirmed just now (age zero). For tests
   * and for strategies used without a client.
   */
  public static ServiceEndpoints of(
      String namespace, String service, long revision, List<ServiceInstance> instances) {
    List<ServiceInstance> sorted = new ArrayList<>(instances);
    sorted.sort(BY_ID);
    List<ServiceInstance> healthy = new ArrayList<>();
    for (ServiceInstance instance : sorted) {
      if (instance.isHealthy() && instance.status() != InstanceStatus.OUT_OF_SERVICE) {
        healthy.add(instance);
      }
    }
    return new ServiceEndpoints(
        Objects.requireNonNull(namespace, "namespace"),
        Objects.requireNonNull(service, "service"),
        revision,
        List.copyOf(sorted),
        List.copyOf(healthy),
        Duration.ZERO);
  }

  /** The same snapshot, said to be {@code age} old. Shares the instance lists. */
  public ServiceEndpoints withAge(Duration age) {
    if (age.equals(this.age)) {
      return this;
    }
    if (age.isNegative()) {
      throw new IllegalArgumentException("age is negative: " + age);
    }
    return new ServiceEndpoints(namespace, service, revision, instances, healthy, age);
  }

  public String namespace() {
    return namespace;
  }

  public String service() {
    return service;
  }

  /** The service's revision this snapshot reflects; 0 when the service never had an instance. */
  public long revision() {
    return revision;
  }

  /** Every instance listed, healthy or not, ordered by instance id. */
  public List<ServiceInstance> instances() {
    return instances;
  }

  /** The healthy instances that are UP or DRAINING (DRAINING ones take no new work). */
  public List<ServiceInstance> healthy() {
    return healthy;
  }

  /**
   * How stale this snapshot may be: zero while the client's watch stream is connected, otherwise
   * the time since a registry node last confirmed it (the stream broke, or the snapshot was loaded
   * from the snapshot file).
   */
  public Duration age() {
    return age;
  }

  /** Whether a connected watch stream stands behind this snapshot ({@link #age} is zero). */
  public boolean isLive() {
    return age.isZero();
  }

  @Override
  public String toString() {
    return namespace
        + "/"
        + service
        + "@"
        + revision
        + " "
        + instances
        + (age.isZero() ? "" : " (" + age.toMillis() + " ms old)");
  }
}
