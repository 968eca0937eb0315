package io.roster.node;

import static io.roster.node.NodeCalls.allIds;
import static io.roster.node.NodeCalls.deregister;
import static io.roster.node.NodeCalls.healthyIds;
import static io.roster.node.NodeCalls.metric;
import static io.roster.node.NodeCalls.register;
import static io.roster.node.NodeCalls.status;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roster.testing.Heartbeats;
import io.roster.testing.NodeProcess;
import io.roster.testing.RosterCluster;
import io.roster.v1.RegisterResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The eviction protection on three real nodes, with 2 s leases, while 100 instances of 20 other
 * services heartbeat throughout (with 6 s leases): a whole service that stops is a service failure
 * and goes unhealthy at TTL + one sweep, every instance; silence across many services is held back
 * by the budget, reported by every node, and heals when heartbeats return. Each test removes what
 * it registered, so the silence of one never counts in the other.
 */
@Timeout(300)
class EvictionProtectionIT {

  private static final long TTL_SECONDS = 2;

  /**
   * The steady instances' leases: longer, so that a heartbeat delayed by a loaded machine cannot
   * make one of them silent and change the shape of the silence under test.
   */
  private static final long STEADY_TTL_SECONDS = 6;

  private static final int STEADY_SERVICES = 20;
  private static final int STEADY_PER_SERVICE = 5;

  private static RosterCluster cluster;
  private static Heartbeats steady;
  private final List<RegisterResponse> registered = new ArrayList<>();
  private final List<String[]> toRemove = new ArrayList<>();

  @BeforeAll
  static void startCluster() {
    cluster = RosterCluster.start(3);
    steady =
        new Heartbeats(
            () -> List.of(cluster.node(0).channel(), cluster.node(1).channel()),
            Duration.ofMillis(500),
            Duration.ofMinutes(4));
    for (int s = 0; s < STEADY_SERVICES; s++) {
      for (int i = 0; i < STEADY_PER_SERVICE; i++) {
        steady.keep(register(cluster.node(i % 3), "steady-" + s, "i" + i, STEADY_TTL_SECONDS));
      }
    }
  }

  @AfterAll
  static void stopCluster() {
    if (steady != null) {
      steady.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @AfterEach
  void removeWhatTheTestRegistered() {
    for (String[] serviceAndId : toRemove) {
      deregister(cluster.node(0), serviceAndId[0], serviceAndId[1]);
    }
  }

  @Test
  void aWholeServiceThatStopsIsUnhealthyAtTtlPlusOneSweepWhileTheRestHeartbeats() {
    for (int i = 0; i < 40; i++) {
      registered.add(register(cluster.node(i % 3), "crashloop", "c" + i, TTL_SECONDS));
      toRemove.add(new String[] {"crashloop", "c" + i});
    }
    long registeredAt = System.nanoTime();

    // No heartbeat ever: every lease ends 2 s after registration, the sweep runs every 500 ms.
    await("all 40 unhealthy")
        .atMost(Duration.ofSeconds(TTL_SECONDS + 8))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> healthyIds(cluster.node(2), "crashloop").isEmpty());
    long tookMillis = (System.nanoTime() - registeredAt) / 1_000_000;

    assertEquals(40, allIds(cluster.node(2), "crashloop").size(), "listed as unhealthy");
    assertEquals(0, status(cluster.node(1)).getProtection().getHeldBack(), "nothing held back");
    assertSteadyAllHealthy();
    // 15 % of the service would be 6 a minute: all 40 went at once.
    assertTrue(tookMillis < (TTL_SECONDS + 6) * 1_000, "took " + tookMillis + " ms");
  }

  @Test
  void silenceAcrossManyServicesIsHeldBackReportedByEveryNodeAndHealsWhenHeartbeatsReturn() {
    // 80 silent instances over 20 services out of 40 (more than 15 % of them): the shape of lost
    // heartbeats. The budget is 15 % of the 180 instances, 27 in any minute.
    for (int s = 0; s < 20; s++) {
      for (int i = 0; i < 4; i++) {
        registered.add(register(cluster.node(i % 3), "spread-" + s, "s" + i, TTL_SECONDS));
        toRemove.add(new String[] {"spread-" + s, "s" + i});
      }
    }

    await("every node reports evictions held back")
        .atMost(Duration.ofSeconds(TTL_SECONDS + 10))
        .ignoreExceptions()
        .until(
            () ->
                cluster.nodes().stream()
                    .allMatch(
                        node ->
                            status(node).getProtection().getHeldBack() > 0
                                && status(node).getProtection().getActive()
                                && metric(node, "roster_eviction_held_back") > 0));
    int unhealthy = 80 - healthy("spread-", 20);
    assertTrue(unhealthy <= 27, "the budget allows 27 in any minute, saw " + unhealthy);
    assertSteadyAllHealthy();

    try (Heartbeats back =
        new Heartbeats(
            () -> List.of(cluster.node(0).channel()),
            Duration.ofMillis(500),
            Duration.ofMinutes(2))) {
      registered.forEach(back::keep);
      await("every instance healthy again once heartbeats return")
          .atMost(Duration.ofSeconds(20))
          .until(() -> healthy("spread-", 20) == 80);
      await("nothing held back any more, on every node")
          .atMost(Duration.ofSeconds(20))
          .ignoreExceptions()
          .until(
              () ->
                  cluster.nodes().stream()
                      .allMatch(
                          node ->
                              status(node).getProtection().getHeldBack() == 0
                                  && metric(node, "roster_eviction_held_back") == 0));
    }
  }

  private static int healthy(String prefix, int services) {
    int healthy = 0;
    for (int s = 0; s < services; s++) {
      healthy += healthyIds(cluster.node(2), prefix + s).size();
    }
    return healthy;
  }

  private static void assertSteadyAllHealthy() {
    NodeProcess node = cluster.node(2);
    assertEquals(
        STEADY_SERVICES * STEADY_PER_SERVICE,
        healthy("steady-", STEADY_SERVICES),
        "no heartbeating instance may be declared expired");
    assertTrue(allIds(node, "steady-0").size() == STEADY_PER_SERVICE);
  }
}
