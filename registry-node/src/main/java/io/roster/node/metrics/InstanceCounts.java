package io.roster.node.metrics;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.roster.node.domain.ServiceView;
import io.roster.node.view.LocalView;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code roster_instances{namespace,health}} and {@code roster_services{namespace}}, counted from
 * this node's view when Prometheus scrapes: O(services), since each {@link ServiceView} keeps its
 * counts by health as it changes.
 *
 * <p>A collector of the Prometheus client's own, not Micrometer gauges: the namespaces come and go
 * with registrations, and Micrometer has no gauge whose label values are found at scrape time.
 *
 * <p>Namespaces are named by callers, so their number is bounded here: the {@value #MAX_NAMESPACES}
 * largest are reported by name and the rest together as {@value #OTHER}.
 *
 * <p>Threading: {@link #collect} on the scraping thread (an event loop); the view is read without
 * locks.
 */
final class InstanceCounts implements MultiCollector {

  static final int MAX_NAMESPACES = 100;
  static final String OTHER = "other";

  private static final ServiceView.Health[] HEALTHS = ServiceView.Health.values();

  private final LocalView view;

  InstanceCounts(LocalView view) {
    this.view = view;
  }

  @Override
  public MetricSnapshots collect() {
    Map<String, long[]> byNamespace = new HashMap<>();
    for (ServiceView service : view.all()) {
      if (service.isEmpty()) {
        continue;
      }
      long[] counts =
          byNamespace.computeIfAbsent(
              service.key().namespace(), ignored -> new long[HEALTHS.length + 1]);
      for (ServiceView.Health health : HEALTHS) {
        counts[health.ordinal()] += service.count(health);
      }
      counts[HEALTHS.length]++; // services
    }
    Map<String, long[]> reported = boundedNamespaces(byNamespace);
    GaugeSnapshot.Builder instances =
        GaugeSnapshot.builder()
            .name("roster_instances")
            .help(
                "Instances in this node's view, by namespace and health: healthy, draining,"
                    + " out_of_service (leases renewed) or unhealthy (lease ran out)");
    GaugeSnapshot.Builder services =
        GaugeSnapshot.builder()
            .name("roster_services")
            .help("Services with at least one instance in this node's view, by namespace");
    for (Map.Entry<String, long[]> namespace : reported.entrySet()) {
      long[] counts = namespace.getValue();
      for (ServiceView.Health health : HEALTHS) {
        instances.dataPoint(
            GaugeSnapshot.GaugeDataPointSnapshot.builder()
                .labels(
                    Labels.of(
                        "namespace",
                        namespace.getKey(),
                        "health",
                        health.name().toLowerCase(Locale.ROOT)))
                .value(counts[health.ordinal()])
                .build());
      }
      services.dataPoint(
          GaugeSnapshot.GaugeDataPointSnapshot.builder()
              .labels(Labels.of("namespace", namespace.getKey()))
              .value(counts[HEALTHS.length])
              .build());
    }
    return MetricSnapshots.of(instances.build(), services.build());
  }

  /** The largest namespaces by instances, the rest summed as {@value #OTHER}. */
  private static Map<String, long[]> boundedNamespaces(Map<String, long[]> byNamespace) {
    if (byNamespace.size() <= MAX_NAMESPACES) {
      return byNamespace;
    }
    List<Map.Entry<String, long[]>> largest = new ArrayList<>(byNamespace.entrySet());
    largest.sort((a, b) -> Long.compare(total(b.getValue()), total(a.getValue())));
    Map<String, long[]> bounded = new HashMap<>();
    long[] other = new long[HEALTHS.length + 1];
    for (int i = 0; i < largest.size(); i++) {
      Map.Entry<String, long[]> namespace = largest.get(i);
      if (i < MAX_NAMESPACES - 1 && !namespace.getKey().equals(OTHER)) {
        bounded.put(namespace.getKey(), namespace.getValue());
      } else {
        for (int j = 0; j < other.length; j++) {
          other[j] += namespace.getValue()[j];
        }
      }
    }
    bounded.put(OTHER, other);
    return bounded;
  }

  private static long total(long[] counts) {
    long total = 0;
    for (int i = 0; i < HEALTHS.length; i++) {
      total += counts[i];
    }
    return total;
  }
}
