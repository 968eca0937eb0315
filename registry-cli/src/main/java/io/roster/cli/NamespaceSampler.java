package io.roster.cli;

import io.roster.v1.ClusterServiceGrpc;
import io.roster.v1.ClusterStatusRequest;
import io.roster.v1.ClusterStatusResponse;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.DiscoverResponse;
import io.roster.v1.ListServicesResponse;
import io.roster.v1.ServiceSummary;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads one {@link NamespaceSample} per call: ClusterStatus, every page of ListServices, and a
 * Discover (unhealthy instances included) of each service whose revision moved since the last call.
 * A service whose revision has not moved has the same instances, so a namespace at rest costs two
 * calls per refresh, however many services it has.
 *
 * <p>Threading: used by the command's thread only.
 */
final class NamespaceSampler {
  private final Targets targets;
  private final String namespace;
  private final Map<String, NamespaceSample.ServiceCounts> byService = new HashMap<>();
  private long incarnation = -1;

  NamespaceSampler(Targets targets, String namespace) {
    this.targets = targets;
    this.namespace = namespace;
  }

  NamespaceSample sample() {
    ClusterStatusResponse cluster =
        targets.call(
            ClusterServiceGrpc::newBlockingStub,
            s -> s.clusterStatus(ClusterStatusRequest.getDefaultInstance()));
    ListServicesResponse listed = DiscoveryCommands.Services.allServices(targets, namespace);
    if (listed.getIncarnation() != incarnation) {
      byService.clear(); // revisions of another incarnation say nothing about these
      incarnation = listed.getIncarnation();
    }
    List<NamespaceSample.ServiceCounts> services = new ArrayList<>();
    Map<String, NamespaceSample.ServiceCounts> kept = new HashMap<>();
    for (ServiceSummary summary : listed.getServicesList()) {
      NamespaceSample.ServiceCounts counts = byService.get(summary.getService());
      // Another node may be behind the one read last: a lower revision is no news.
      if (counts == null || summary.getRevision() > counts.revision()) {
        DiscoverResponse answer =
            DiscoveryCommands.Discover.allPages(
                targets,
                DiscoverRequest.newBuilder()
                    .setNamespace(namespace)
                    .setService(summary.getService())
                    .setIncludeUnhealthy(true)
                    .build());
        counts =
            NamespaceSample.ServiceCounts.of(
                summary.getService(), answer.getRevision(), answer.getInstancesList());
      }
      services.add(counts);
      kept.put(summary.getService(), counts);
    }
    byService.clear();
    byService.putAll(kept);
    return new NamespaceSample(
        Instant.now(),
        System.nanoTime(),
        namespace.isEmpty() ? "default" : namespace,
        cluster,
        listed.getIncarnation(),
        List.copyOf(services));
  }
}
