package io.roster.node;

import com.google.protobuf.Duration;
import io.roster.testing.Instances;
import io.roster.testing.NodeProcess;
import io.roster.v1.ClusterServiceGrpc;
import io.roster.v1.ClusterStatusRequest;
import io.roster.v1.ClusterStatusResponse;
import io.roster.v1.DeregisterRequest;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.HealthState;
import io.roster.v1.Instance;
import io.roster.v1.InstanceKey;
import io.roster.v1.ListServicesRequest;
import io.roster.v1.ListServicesResponse;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The calls the cluster tests make to one node, each with a deadline. */
final class NodeCalls {

  // HTTP/1.1, as Prometheus scrapes: Vert.x 5.0.7 stalls answers of tens of KB on a
  // connection upgraded to h2c, which the JDK client asks for by default.
  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private NodeCalls() {}

  static RegistryServiceGrpc.RegistryServiceBlockingStub registry(NodeProcess node) {
    return RegistryServiceGrpc.newBlockingStub(node.channel())
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  /** Registers {@code id} with a lease of {@code ttlSeconds} (0: the node's default). */
  static RegisterResponse register(NodeProcess node, String service, String id, long ttlSeconds) {
    RegisterRequest.Builder request =
        RegisterRequest.newBuilder().setInstance(Instances.of(service).setInstanceId(id));
    if (ttlSeconds > 0) {
      request.setLeaseTtl(Duration.newBuilder().setSeconds(ttlSeconds));
    }
    return registry(node).register(request.build());
  }

  /** Every instance of the service, healthy or not. */
  static List<Instance> discover(NodeProcess node, String service) {
    return discover(node, service, true);
  }

  static List<Instance> discover(NodeProcess node, String service, boolean includeUnhealthy) {
    return DiscoveryServiceGrpc.newBlockingStub(node.channel())
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .discover(
            DiscoverRequest.newBuilder()
                .setService(service)
                .setIncludeUnhealthy(includeUnhealthy)
                .build())
        .getInstancesList();
  }

  /** The node's list of services, in one page (fails a test with more than 1,000). */
  static ListServicesResponse listServices(NodeProcess node) {
    ListServicesResponse services =
        DiscoveryServiceGrpc.newBlockingStub(node.channel())
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .listServices(ListServicesRequest.newBuilder().setPageSize(1000).build());
    if (!services.getNextPageToken().isEmpty()) {
      throw new AssertionError("more than one page of services on " + node.name());
    }
    return services;
  }

  static HealthState health(NodeProcess node, String service, String id) {
    return discover(node, service).stream()
        .filter(i -> i.getInstanceId().equals(id))
        .map(Instance::getHealth)
        .findFirst()
        .orElse(HealthState.HEALTH_STATE_UNSPECIFIED);
  }

  static List<String> healthyIds(NodeProcess node, String service) {
    return discover(node, service, false).stream().map(Instance::getInstanceId).toList();
  }

  static List<String> allIds(NodeProcess node, String service) {
    return discover(node, service).stream().map(Instance::getInstanceId).toList();
  }

  static void deregister(NodeProcess node, String service, String id) {
    registry(node)
        .deregister(
            DeregisterRequest.newBuilder()
                .setKey(InstanceKey.newBuilder().setService(service).setInstanceId(id))
                .build());
  }

  /**
   * The value of one sample of the node's Prometheus metrics, named with its labels as the node
   * prints them, e.g. {@code roster_eviction_held_back} or {@code
   * roster_evictions_total{step="removed"}}; fails when the node does not export it.
   */
  static double metric(NodeProcess node, String sample) {
    try {
      String text =
          HTTP.send(
                  HttpRequest.newBuilder(URI.create("http://" + node.apiAddress() + "/metrics"))
                      .timeout(java.time.Duration.ofSeconds(10))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      for (String line : text.split("\n")) {
        if (line.startsWith(sample + " ")) {
          return Double.parseDouble(line.substring(sample.length() + 1).trim());
        }
      }
      throw new AssertionError("no sample " + sample + " in the metrics of " + node.name());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static ClusterStatusResponse status(NodeProcess node) {
    return ClusterServiceGrpc.newBlockingStub(node.channel())
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .clusterStatus(ClusterStatusRequest.getDefaultInstance());
  }
}
