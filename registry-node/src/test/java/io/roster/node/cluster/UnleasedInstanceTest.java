package io.roster.node.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.roster.node.RegistryNode;
import io.roster.node.SingleNode;
import io.roster.node.store.hazelcast.HazelcastRegistryStore;
import io.roster.testing.Instances;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.HealthState;
import io.roster.v1.Instance;
import io.roster.v1.RegistryServiceGrpc;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An instance whose lease is gone while it stays listed (the node that took its registration died
 * between the two writes, or the lease entry was deleted over the member port) and whose process is
 * gone too: nothing renews it and no sweep of leases sees it. The leader finds it, gives it a lease
 * that has run out, and evicts it like any other: unhealthy, then removed.
 */
@Timeout(120)
class UnleasedInstanceTest {

  private static RegistryNode node;
  private static ManagedChannel channel;

  @BeforeAll
  static void startNode() {
    node =
        SingleNode.start(
            "unleased",
            "--eviction.unleased-check-interval-ms=300",
            "--eviction.grace-ms=1000",
            "--lease.min-ttl-ms=1000");
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", node.apiPort()).usePlaintext().build();
  }

  @AfterAll
  static void stopNode() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (node != null) {
      node.close();
    }
  }

  @Test
  void anInstanceListedWithoutALeaseIsDeclaredExpiredThenRemoved() throws Exception {
    RegistryServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .register(Instances.register(Instances.of("ghosts").setInstanceId("ghost")));
    RegistryServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .register(Instances.register(Instances.of("ghosts").setInstanceId("kept")));
    assertEquals(2, discover().size());

    // The lease table entry of the service goes; "kept" registers again and so has a lease.
    node.hazelcast().getMap(HazelcastRegistryStore.LEASES_MAP).remove("default/ghosts");
    RegistryServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .register(Instances.register(Instances.of("ghosts").setInstanceId("kept")));

    await("the ghost is declared expired")
        .atMost(Duration.ofSeconds(30))
        .until(() -> health("ghost") == HealthState.HEALTH_STATE_UNHEALTHY);
    await("then removed after the grace")
        .atMost(Duration.ofSeconds(30))
        .until(() -> discover().stream().noneMatch(i -> i.getInstanceId().equals("ghost")));
    assertEquals(HealthState.HEALTH_STATE_HEALTHY, health("kept"), "the one with a lease stays");
    assertTrue(metrics().contains("roster_eviction_unleased_total 1.0"), "counted once");
  }

  private static String metrics() throws Exception {
    // HTTP/1.1, as Prometheus scrapes: Vert.x 5.0.7 stalls answers of tens of KB on a
    // connection upgraded to h2c, which the JDK client asks for by default.
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .build()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.apiPort() + "/metrics"))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private static HealthState health(String id) {
    return discover().stream()
        .filter(i -> i.getInstanceId().equals(id))
        .map(Instance::getHealth)
        .findFirst()
        .orElse(HealthState.HEALTH_STATE_UNSPECIFIED);
  }

  private static List<Instance> discover() {
    return DiscoveryServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .discover(
            DiscoverRequest.newBuilder().setService("ghosts").setIncludeUnhealthy(true).build())
        .getInstancesList();
  }
}
