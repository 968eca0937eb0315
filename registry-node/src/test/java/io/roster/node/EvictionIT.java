package io.roster.node;

import static io.roster.node.NodeCalls.allIds;
import static io.roster.node.NodeCalls.health;
import static io.roster.node.NodeCalls.healthyIds;
import static io.roster.node.NodeCalls.register;
import static io.roster.node.NodeCalls.registry;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.roster.testing.Heartbeats;
import io.roster.testing.RosterCluster;
import io.roster.v1.HealthState;
import io.roster.v1.HeartbeatRequest;
import io.roster.v1.RegisterResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Leader-driven eviction on three real nodes: an instance whose heartbeats stop is marked
 * unhealthy, then removed after the grace; one that keeps heartbeating never is; a mass loss of
 * heartbeats is held back by the budget and heals when heartbeats return. Leases of 2 s and a grace
 * of 3 s keep it quick.
 */
@Timeout(300)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EvictionIT {

  private static final long TTL_SECONDS = 2;
  private static final long GRACE_MILLIS = 3_000;
  private static RosterCluster cluster;

  @BeforeAll
  static void startCluster() {
    cluster = RosterCluster.builder().size(3).flags("--eviction.grace-ms=" + GRACE_MILLIS).start();
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Order(1)
  void expiredLeaseIsMarkedUnhealthyThenRemovedWhileAHeartbeatingOneStays() {
    RegisterResponse silent = register(cluster.node(0), "expiry", "silent", TTL_SECONDS);
    RegisterResponse alive = register(cluster.node(1), "expiry", "alive", TTL_SECONDS);
    long registered = System.nanoTime();
    try (Heartbeats heartbeats =
        new Heartbeats(
                () -> List.of(cluster.node(2).channel()),
                java.time.Duration.ofMillis(500),
                java.time.Duration.ofMinutes(2))
            .keep(alive)) {

      await("silent marked unhealthy on every node")
          .atMost(java.time.Duration.ofSeconds(TTL_SECONDS + 8))
          .pollInterval(java.time.Duration.ofMillis(50))
          .until(
              () ->
                  health(cluster.node(0), "expiry", "silent") == HealthState.HEALTH_STATE_UNHEALTHY
                      && health(cluster.node(1), "expiry", "silent")
                          == HealthState.HEALTH_STATE_UNHEALTHY
                      && health(cluster.node(2), "expiry", "silent")
                          == HealthState.HEALTH_STATE_UNHEALTHY);
      long unhealthyAfter = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - registered);
      assertEquals(
          List.of("alive"),
          healthyIds(cluster.node(0), "expiry"),
          "unhealthy instances leave healthy results");

      await("silent removed after the grace")
          .atMost(java.time.Duration.ofMillis(GRACE_MILLIS + 8_000))
          .pollInterval(java.time.Duration.ofMillis(100))
          .until(() -> !allIds(cluster.node(1), "expiry").contains("silent"));
      long removedAfter = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - registered);
      System.out.printf(
          "TTL %d s: unhealthy after %d ms, removed after %d ms (grace %d ms)%n",
          TTL_SECONDS, unhealthyAfter, removedAfter, GRACE_MILLIS);

      assertEquals(HealthState.HEALTH_STATE_HEALTHY, health(cluster.node(0), "expiry", "alive"));
      assertTrue(heartbeats.sent() > 0);
    }
    StatusRuntimeException gone =
        org.junit.jupiter.api.Assertions.assertThrows(
            StatusRuntimeException.class,
            () ->
                registry(cluster.node(0))
                    .heartbeat(
                        HeartbeatRequest.newBuilder()
                            .setLeaseId(silent.getLeaseId())
                            .setEpoch(silent.getEpoch())
                            .build()));
    assertEquals(Status.Code.NOT_FOUND, gone.getStatus().getCode());
  }

  @Test
  @Order(2)
  void heartbeatsThatComeBackHealTheInstance() {
    RegisterResponse lease = register(cluster.node(0), "revival", "r1", TTL_SECONDS);
    await()
        .atMost(java.time.Duration.ofSeconds(TTL_SECONDS + 8))
        .until(
            () -> health(cluster.node(1), "revival", "r1") == HealthState.HEALTH_STATE_UNHEALTHY);

    registry(cluster.node(2))
        .heartbeat(
            HeartbeatRequest.newBuilder()
                .setLeaseId(lease.getLeaseId())
                .setEpoch(lease.getEpoch())
                .build());

    await()
        .atMost(java.time.Duration.ofSeconds(10))
        .until(() -> health(cluster.node(0), "revival", "r1") == HealthState.HEALTH_STATE_HEALTHY);
  }
}
