package io.roster.node.domain;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * An immutable picture of one service at one revision, as a node serves it to readers. A new view
 * replaces the old one whole, so readers never lock and never see half a change.
 *
 * <p>What a change costs: the instances are held in a {@link PersistentSortedMap} by id, which a
 * new view shares with the one before it except along the paths to the instances that changed, so
 * {@link #apply} of a difference of k changes costs O(k log n) for n instances, not a copy of the
 * service (which made one register into a service of 10,000 instances cost every node
 * milliseconds). {@link #instances()} is a view of that map, not a copy; whatever walks the whole
 * service (a Discover answer, a Watch snapshot) costs O(n) once per view or per snapshot, never per
 * change.
 */
public final class ServiceView {

  private static final Comparator<InstanceRecord> BY_ID =
      Comparator.comparing(InstanceRecord::instanceId);

  private final ServiceKey key;
  private final long revision;
  private final PersistentSortedMap<String, InstanceRecord> byId;

  /** How many instances are in each {@link Health}; kept per change. */
  private final HealthCounts counts;

  /**
   * @param key the service
   * @param revision the service's revision this view reflects
   * @param instances every instance, healthy or not, in any order; of two with one id, the later
   */
  public ServiceView(ServiceKey key, long revision, List<InstanceRecord> instances) {
    this(key, revision, sortedById(instances));
  }

  private ServiceView(
      ServiceKey key, long revision, PersistentSortedMap<String, InstanceRecord> byId) {
    this(key, revision, byId, HealthCounts.of(byId.values()));
  }

  private ServiceView(
      ServiceKey key,
      long revision,
      PersistentSortedMap<String, InstanceRecord> byId,
      HealthCounts counts) {
    this.key = key;
    this.revision = revision;
    this.byId = byId;
    this.counts = counts;
  }

  public static ServiceView empty(ServiceKey key) {
    return new ServiceView(key, 0, PersistentSortedMap.empty(), HealthCounts.NONE);
  }

  public ServiceKey key() {
    return key;
  }

  public long revision() {
    return revision;
  }

  /**
   * Every instance, healthy or not, ordered by instance id: an unmodifiable view, O(1) to take and
   * to size, O(log n) per {@code get(i)}, O(n) to walk.
   */
  public List<InstanceRecord> instances() {
    return byId.values();
  }

  /** How many instances the service has, healthy or not. */
  public int size() {
    return byId.size();
  }

  public boolean isEmpty() {
    return byId.isEmpty();
  }

  /** The instance with this id, or null; O(log n). */
  public InstanceRecord find(String instanceId) {
    return byId.get(instanceId);
  }

  /** How many instances are healthy and take work (DRAINING counts); O(1), kept per change. */
  public int healthyCount() {
    return counts.up() + counts.draining();
  }

  /** How many instances are in {@code health}; O(1), kept per change. */
  public int count(Health health) {
    return switch (health) {
      case HEALTHY -> counts.up();
      case DRAINING -> counts.draining();
      case OUT_OF_SERVICE -> byId.size() - counts.up() - counts.draining() - counts.unhealthy();
      case UNHEALTHY -> counts.unhealthy();
    };
  }

  /** Where an instance stands, as an operator counts them: each instance is in exactly one. */
  public enum Health {
    /** Its lease is renewed and it takes work (UP). */
    HEALTHY,
    /** Its lease is renewed and it is DRAINING: listed, marked, no new work. */
    DRAINING,
    /** Its lease is renewed and it is OUT_OF_SERVICE. */
    OUT_OF_SERVICE,
    /** Its lease ran out, whatever its status. */
    UNHEALTHY;

    /** The health of {@code record}. */
    public static Health of(InstanceRecord record) {
      if (!record.healthy()) {
        return UNHEALTHY;
      }
      return switch (record.status()) {
        case UP -> HEALTHY;
        case DRAINING -> DRAINING;
        case OUT_OF_SERVICE -> OUT_OF_SERVICE;
      };
    }
  }

  /**
   * The instances a query asks for. With a preferred zone, only that zone's instances are returned
   * when it has at least one matching serving instance; otherwise every zone's, flagged as a
   * fallback, so a caller never gets an empty answer while another zone could serve it.
   */
  public Selection select(DiscoveryQuery query) {
    List<InstanceRecord> matching = new ArrayList<>();
    for (InstanceRecord record : byId.values()) {
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
   * in revision order, each in O(log n), sharing everything else with this view. A delta that is
   * not newer than this view changes nothing (it raced with a newer one), and returns this very
   * view.
   */
  public ServiceView apply(ServiceDelta delta) {
    if (delta.revision() <= revision) {
      return this;
    }
    if (delta.snapshot()) {
      return new ServiceView(key, delta.revision(), delta.upserts());
    }
    PersistentSortedMap<String, InstanceRecord> next = byId;
    HealthCounts nextCounts = counts;
    for (Removal removal : delta.removals()) {
      InstanceRecord held = next.get(removal.instanceId());
      if (held != null && held.revision() < removal.revision()) {
        next = next.remove(removal.instanceId());
        nextCounts = nextCounts.add(held, -1);
      }
    }
    for (InstanceRecord record : delta.upserts()) {
      InstanceRecord held = next.get(record.instanceId());
      if (held == null || held.revision() < record.revision()) {
        next = next.put(record.instanceId(), record);
        nextCounts = nextCounts.add(record, 1);
        if (held != null) {
          nextCounts = nextCounts.add(held, -1);
        }
      }
    }
    return new ServiceView(key, delta.revision(), next, nextCounts);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof ServiceView view
        && view.revision == revision
        && view.key.equals(key)
        && view.size() == size()
        && view.instances().equals(instances());
  }

  @Override
  public int hashCode() {
    return Objects.hash(key, revision, size());
  }

  @Override
  public String toString() {
    return "ServiceView[" + key + "@" + revision + ", " + size() + " instances]";
  }

  /**
   * Instances picked by a query.
   *
   * @param instances the instances, ordered by instance id
   * @param zoneFallback whether the preferred zone could not serve and all zones were used
   */
  public record Selection(List<InstanceRecord> instances, boolean zoneFallback) {}

  /** The instances by id; of two with one id, the later in the list. */
  private static PersistentSortedMap<String, InstanceRecord> sortedById(
      List<InstanceRecord> instances) {
    List<InstanceRecord> sorted = new ArrayList<>(instances);
    sorted.sort(BY_ID); // stable: of two with one id, the later stays later
    List<InstanceRecord> distinct = new ArrayList<>(sorted.size());
    for (InstanceRecord record : sorted) {
      int last = distinct.size() - 1;
      if (last >= 0 && distinct.get(last).instanceId().equals(record.instanceId())) {
        distinct.set(last, record);
      } else {
        distinct.add(record);
      }
    }
    return PersistentSortedMap.ofSorted(distinct, InstanceRecord::instanceId);
  }

  /**
   * Instances by health, but for OUT_OF_SERVICE (the size less the rest): what {@link
   * #healthyCount} and {@link #count} read without walking the service.
   */
  private record HealthCounts(int up, int draining, int unhealthy) {
    static final HealthCounts NONE = new HealthCounts(0, 0, 0);

    static HealthCounts of(List<InstanceRecord> instances) {
      HealthCounts counts = NONE;
      for (InstanceRecord record : instances) {
        counts = counts.add(record, 1);
      }
      return counts;
    }

    /** These counts with {@code record} added ({@code sign} 1) or taken away (-1). */
    HealthCounts add(InstanceRecord record, int sign) {
      return switch (Health.of(record)) {
        case HEALTHY -> new HealthCounts(up + sign, draining, unhealthy);
        case DRAINING -> new HealthCounts(up, draining + sign, unhealthy);
        case UNHEALTHY -> new HealthCounts(up, draining, unhealthy + sign);
        case OUT_OF_SERVICE -> this;
      };
    }
  }
}
