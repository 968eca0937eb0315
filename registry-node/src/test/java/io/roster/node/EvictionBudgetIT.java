package io.roster.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import io.roster.testing.Heartbeats;
import io.roster.testing.Instances;
import io.roster.testing.RosterCluster;
import io.roster.v1.ClusterServiceGrpc;
import io.roster.v1.ClusterStatusRequest;
import io.roster.v1.ClusterStatusResponse;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.HealthState;
import io.roster.v1.Instance;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Leader-driven eviction on three real nodes: an instance whose heartbeats stop is marked
 * unhealthy, then removed after the grace; one that keeps heartbeating never is; a mass loss of
 * heartbeats is held back by the budget and heals when heartbeats return. Leases of 2 s and a grace
 * of 3 s keep it quick.
 */
@Timeout(300)
class EvictionBudgetIT {

  private static final long TTL_SECONDS = 2;
  private static RosterCluster cluster;

  @BeforeAll
  static void startCluster() {
    cluster = RosterCluster.start(3);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void massLossOfHeartbeatsIsHeldBackByTheBudgetAndHealsWhenHeartbeatsReturn() {
    List<RegisterResponse> leases = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      leases.add(register(i % 3, "mass", "m" + i));
    }
    await()
        .atMost(java.time.Duration.ofSeconds(20))
        .untilAsserted(() -> assertEquals(40, allIds(0, "mass").size()));

    // Nobody heartbeats: every lease expires at once, as in a network glitch.
    await("the leader reports evictions held back")
        .atMost(java.time.Duration.ofSeconds(TTL_SECONDS + 10))
        .until(() -> status(1).getProtection().getHeldBack() > 0);
    ClusterStatusResponse status = status(1);
    assertTrue(status.getProtection().getActive());
    long unhealthy = 40 - healthyIds(2, "mass").size();
    // 15 % of 40 per minute is 6; a few more may have refilled while the test ran.
    assertTrue(unhealthy <= 8, "budget allows about 6 a minute, saw " + unhealthy);

    try (Heartbeats heartbeats =
        new Heartbeats(
            () -> List.of(cluster.node(0).channel()),
            java.time.Duration.ofMillis(500),
            java.time.Duration.ofMinutes(2))) {
      leases.forEach(heartbeats::keep);
      await("every instance healthy again once heartbeats return")
          .atMost(java.time.Duration.ofSeconds(20))
          .untilAsserted(() -> assertEquals(40, healthyIds(2, "mass").size()));
      await("nothing held back any more")
          .atMost(java.time.Duration.ofSeconds(20))
          .until(() -> status(0).getProtection().getHeldBack() == 0);
    }
  }

  private static RegisterResponse register(int node, String service, String id) {
    return registry(node)
        .register(
            RegisterRequest.newBuilder()
                .setInstance(Instances.of(service).setInstanceId(id))
                .setLeaseTtl(Duration.newBuilder().setSeconds(TTL_SECONDS))
                .build());
  }

  private static RegistryServiceGrpc.RegistryServiceBlockingStub registry(int node) {
    return RegistryServiceGrpc.newBlockingStub(cluster.node(node).channel())
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static List<Instance> discover(int node, String service, boolean includeUnhealthy) {
    return DiscoveryServiceGrpc.newBlockingStub(cluster.node(node).channel())
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .discover(
            DiscoverRequest.newBuilder()
                .setService(service)
                .setIncludeUnhealthy(includeUnhealthy)
                .build())
        .getInstancesList();
  }

  private static HealthState health(int node, String service, String id) {
    return discover(node, service, true).stream()
        .filter(i -> i.getInstanceId().equals(id))
        .map(Instance::getHealth)
        .findFirst()
        .orElse(HealthState.HEALTH_STATE_UNSPECIFIED);
  }

  private static List<String> healthyIds(int node, String service) {
    return discover(node, service, false).stream().map(Instance::getInstanceId).toList();
  }

  private static List<String> allIds(int node, String service) {
    return discover(node, service, true).stream().map(Instance::getInstanceId).toList();
  }

  private static ClusterStatusResponse status(int node) {
    return ClusterServiceGrpc.newBlockingStub(cluster.node(node).channel())
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .clusterStatus(ClusterStatusRequest.getDefaultInstance());
  }
}
