package io.roster.node.domain;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * An immutable picture of one service at one revision, as a node serves it to readers. A new view
 * replaces the old one whole, so readers never lock and never see half a change.
 */
public final class ServiceView {

  private final ServiceKey key;
  private final long revision;
  private final List<InstanceRecord> instances;
  private final Map<String, InstanceRecord> byId;

  /**
   * @param key the service
   * @param revision the service's revision this view reflects
   * @param instances every instance, healthy or not, ordered by instance id
   */
  public ServiceView(ServiceKey key, long revision, List<InstanceRecord> instances) {
    this.key = key;
    this.revision = revision;
    this.instances = List.copyOf(instances);
    Map<String, InstanceRecord> index = new HashMap<>(instances.size() * 2);
    for (InstanceRecord record : instances) {
      index.put(record.instanceId(), record);
    }
    this.byId = index;
  }

  public static ServiceView empty(ServiceKey key) {
    return new ServiceView(key, 0, List.of());
  }

  public ServiceKey key() {
    return key;
  }

  public long revision() {
    return revision;
  }

  /** Every instance, healthy or not, ordered by instance id. */
  public List<InstanceRecord> instances() {
    return instances;
  }

  /** The instance with this id, or null. */
  public InstanceRecord find(String instanceId) {
    return byId.get(instanceId);
  }

  public int healthyCount() {
    int healthy = 0;
    for (InstanceRecord record : instances) {
      if (record.serving()) {
        healthy++;
      }
    }
    return healthy;
  }

  /**
   * The instances a query asks for. With a preferred zone, only that zone's instances are returned
   * when it has at least one matching serving instance; otherwise every zone's, flagged as a
   * fallback, so a caller never gets an empty answer while another zone could serve it.
   */
  public Selection select(DiscoveryQuery query) {
    List<InstanceRecord> matching = new ArrayList<>();
    for (InstanceRecord record : instances) {
      if (query.matches(record)) {
        matching.add(record);
      }
    }
    if (query.preferredZone().isEmpty()) {
      return new Selection(matching, false);
    }
    List<InstanceRecord> inZone = new ArrayList<>();
    boolean zoneCanServe = false;
    for (InstanceRecord record : matching) {
      if (query.preferredZone().equals(record.spec().zone())) {
        inZone.add(record);
        zoneCanServe |= record.serving();
      }
    }
    return zoneCanServe ? new Selection(inZone, false) : new Selection(matching, true);
  }

  /**
   * Applies a delta. A snapshot replaces everything; a difference applies its upserts and removals
   * in revision order. A delta that is not newer than this view changes nothing (it raced with a
   * newer one), and returns this very view.
   */
  public ServiceView apply(ServiceDelta delta) {
    if (delta.revision() <= revision) {
      return this;
    }
    List<InstanceRecord> next;
    if (delta.snapshot()) {
      next = new ArrayList<>(delta.upserts());
    } else {
      TreeMap<String, InstanceRecord> merged = new TreeMap<>(byId);
      for (Removal removal : delta.removals()) {
        InstanceRecord held = merged.get(removal.instanceId());
        if (held != null && held.revision() < removal.revision()) {
          merged.remove(removal.instanceId());
        }
      }
      for (InstanceRecord record : delta.upserts()) {
        InstanceRecord held = merged.get(record.instanceId());
        if (held == null || held.revision() < record.revision()) {
          merged.put(record.instanceId(), record);
        }
      }
      next = new ArrayList<>(merged.values());
    }
    next.sort((a, b) -> a.instanceId().compareTo(b.instanceId()));
    return new ServiceView(key, delta.revision(), Collections.unmodifiableList(next));
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof ServiceView view
        && view.revision == revision
        && view.key.equals(key)
        && view.instances.equals(instances);
  }

  @Override
  public int hashCode() {
    return Objects.hash(key, revision, instances);
  }

  @Override
  public String toString() {
    return "ServiceView[" + key + "@" + revision + ", " + instances.size() + " instances]";
  }

  /**
   * Instances picked by a query.
   *
   * @param instances the instances, ordered by instance id
   * @param zoneFallback whether the preferred zone could not serve and all zones were used
   */
  public record Selection(List<InstanceRecord> instances, boolean zoneFallback) {}
}
