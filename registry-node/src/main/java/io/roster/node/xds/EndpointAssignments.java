package io.roster.node.xds;

import com.google.common.base.Preconditions;
import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import com.google.protobuf.Any;
import io.roster.node.domain.InstanceRecord;
import io.roster.node.domain.InstanceStatus;
import io.roster.node.domain.ServiceKey;
import io.roster.node.domain.ServiceView;
import java.lang.ref.WeakReference;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * ClusterLoadAssignments, each built and packed once per view of its service and client zone
 * ordering, then sent as the same message to every stream that follows it while that view lasts. A
 * change of a 10,000-instance service followed by a thousand streams costs one build per zone
 * ordering, not a thousand.
 *
 * <p>Zone ordering, as the Java client's zone-aware strategy does: a client's own zone comes first
 * (priority 0, every other zone priority 1) while at least {@value #MIN_HEALTHY_SHARE} of that
 * zone's instances that take calls are healthy, and at least one is; otherwise, or for a client
 * that names no zone, every instance is priority 0. So clients of a zone that cannot carry its load
 * spread over every zone at once, rather than when their zone's last connection fails. Clients of
 * zones that order alike share one assignment: at most one per zone of the service, plus one.
 *
 * <p>Never stale: an assignment is served only for the very {@link ServiceView} object it was built
 * from, compared by identity, and the registry incarnation it was built in. Least recently used
 * assignments go first once they weigh more than {@code maxBytes} in all; services never seen
 * (revision 0, an empty assignment) are not kept, so made-up names cannot fill it.
 *
 * <p>Threading: any thread. Two streams asking for the same stale assignment at once wait for one
 * build (the map's per-key lock), so a large service is not built twice.
 */
final class EndpointAssignments {

  /** Share of a zone's instances that must be healthy for its clients to stay in it. */
  static final double MIN_HEALTHY_SHARE = 0.7;

  /** Default bound: the assignment of a 10,000-instance service is about 1 MB. */
  static final long DEFAULT_MAX_BYTES = 32L * 1024 * 1024;

  /** Bookkeeping an entry costs beyond its message: keys, references, map entry. */
  static final int ENTRY_OVERHEAD_BYTES = 256;

  private final Cache<Key, Built> built;
  private final Map<ServiceKey, Zones> zones = new ConcurrentHashMap<>();

  EndpointAssignments(long maxBytes) {
    Preconditions.checkArgument(maxBytes >= 0, "maxBytes is negative: %s", maxBytes);
    this.built =
        CacheBuilder.newBuilder()
            .maximumWeight(maxBytes)
            .weigher((Key key, Built entry) -> entry.weight)
            .build();
  }

  /** The assignment named {@code name} of {@code view}, ordered for a client in {@code zone}. */
  XdsResource assignment(String name, ServiceView view, String zone, long incarnation) {
    String localZone = zone.isEmpty() || !preferred(view).contains(zone) ? "" : zone;
    if (view.revision() == 0) {
      return build(name, view, localZone, incarnation).resource;
    }
    Key key = new Key(name, localZone);
    Built held = built.getIfPresent(key);
    if (held != null && held.of(view, incarnation)) {
      return held.resource; // the common case: no lock
    }
    return built
        .asMap()
        .compute(
            key,
            (same, old) ->
                old != null && old.of(view, incarnation)
                    ? old
                    : build(name, view, localZone, incarnation))
        .resource;
  }

  /** Assignments held now (for tests). */
  long size() {
    built.cleanUp();
    return built.size();
  }

  /** The version of every assignment of {@code view}: the same on every node at that state. */
  static String version(ServiceView view, long incarnation) {
    return incarnation + "." + view.revision();
  }

  private static Built build(String name, ServiceView view, String localZone, long incarnation) {
    Any body = Any.pack(XdsResources.assignment(name, view, localZone));
    return new Built(
        view,
        incarnation,
        new XdsResource(name, version(view, incarnation), body),
        body.getSerializedSize() + name.length() * 2 + ENTRY_OVERHEAD_BYTES);
  }

  /** The zones whose clients get their own zone first in {@code view}; computed once per view. */
  private Set<String> preferred(ServiceView view) {
    Zones held = zones.get(view.key());
    if (held != null && held.of.get() == view) {
      return held.preferred;
    }
    Zones fresh = new Zones(new WeakReference<>(view), preferredZones(view));
    if (view.revision() > 0) {
      zones.put(view.key(), fresh);
    }
    return fresh.preferred;
  }

  static Set<String> preferredZones(ServiceView view) {
    Map<String, int[]> counts = new HashMap<>();
    for (InstanceRecord record : view.instances()) {
      if (!XdsResources.listed(record) || record.status() != InstanceStatus.UP) {
        continue; // only instances that take new calls count
      }
      int[] zone = counts.computeIfAbsent(record.spec().zone(), z -> new int[2]);
      zone[0]++;
      if (record.healthy()) {
        zone[1]++;
      }
    }
    Set<String> preferred = new HashSet<>();
    counts.forEach(
        (zone, count) -> {
          if (!zone.isEmpty() && count[1] > 0 && count[1] >= MIN_HEALTHY_SHARE * count[0]) {
            preferred.add(zone);
          }
        });
    return Set.copyOf(preferred);
  }

  private record Key(String name, String localZone) {}

  private record Zones(WeakReference<ServiceView> of, Set<String> preferred) {}

  private static final class Built {
    final WeakReference<ServiceView> builtFrom;
    final long incarnation;
    final XdsResource resource;
    final int weight;

    Built(ServiceView builtFrom, long incarnation, XdsResource resource, int weight) {
      this.builtFrom = new WeakReference<>(builtFrom);
      this.incarnation = incarnation;
      this.resource = resource;
      this.weight = weight;
    }

    boolean of(ServiceView view, long incarnation) {
      return builtFrom.get() == view && this.incarnation == incarnation;
    }
  }
}
