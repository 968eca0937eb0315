package io.roster.node;

import static io.roster.node.NodeCalls.allIds;
import static io.roster.node.NodeCalls.healthyIds;
import static io.roster.node.NodeCalls.register;
import static io.roster.node.NodeCalls.status;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roster.testing.Heartbeats;
import io.roster.testing.RosterCluster;
import io.roster.v1.ClusterStatusResponse;
import io.roster.v1.RegisterResponse;
import java.util.ArrayList;
import java.util.List;
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
      leases.add(register(cluster.node(i % 3), "mass", "m" + i, TTL_SECONDS));
    }
    await()
        .atMost(java.time.Duration.ofSeconds(20))
        .untilAsserted(() -> assertEquals(40, allIds(cluster.node(0), "mass").size()));

    // Nobody heartbeats: every lease expires at once, as in a network glitch.
    await("the leader reports evictions held back")
        .atMost(java.time.Duration.ofSeconds(TTL_SECONDS + 10))
        .until(() -> status(cluster.node(1)).getProtection().getHeldBack() > 0);
    ClusterStatusResponse status = status(cluster.node(1));
    assertTrue(status.getProtection().getActive());
    long unhealthy = 40 - healthyIds(cluster.node(2), "mass").size();
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
          .untilAsserted(() -> assertEquals(40, healthyIds(cluster.node(2), "mass").size()));
      await("nothing held back any more")
          .atMost(java.time.Duration.ofSeconds(20))
          .until(() -> status(cluster.node(0)).getProtection().getHeldBack() == 0);
    }
  }
}
