package io.roster.node;

import static io.roster.node.NodeCalls.discover;
import static io.roster.node.NodeCalls.register;
import static io.roster.node.NodeCalls.status;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roster.testing.Heartbeats;
import io.roster.testing.NodeProcess;
import io.roster.testing.RosterCluster;
import io.roster.v1.ClusterStatusResponse;
import io.roster.v1.HealthState;
import io.roster.v1.Instance;
import io.roster.v1.RegisterResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Kill -9 the leader while instances heartbeat through the survivors: leadership moves to exactly
 * one survivor with a higher epoch, no heartbeating instance is ever marked unhealthy, and an
 * instance whose heartbeats stopped is still evicted, by the new leader.
 */
@Timeout(300)
class LeaderFailoverIT {

  private static RosterCluster cluster;

  @BeforeAll
  static void startCluster() {
    cluster = RosterCluster.builder().size(3).node1Leads().start();
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void killingTheLeaderMovesLeadershipAndEvictionContinues() {
    ClusterStatusResponse before =
        await("the leader has claimed its epoch")
            .atMost(java.time.Duration.ofSeconds(30))
            .ignoreExceptions()
            .until(() -> status(cluster.node(1)), s -> s.getLeaderEpoch() >= 1);
    NodeProcess leader = cluster.node(0);
    assertTrue(
        before.getMembersList().stream()
            .anyMatch(m -> m.getLeader() && m.getApiAddress().equals(leader.apiAddress())),
        "node1 started first and leads: " + before);
    long epochBefore = before.getLeaderEpoch();

    List<RegisterResponse> alive = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      alive.add(register(cluster.node(1 + i % 2), "failover", "alive-" + i, 3));
    }
    RegisterResponse doomed = register(cluster.node(2), "failover", "doomed", 3);
    AtomicBoolean everUnhealthy = new AtomicBoolean();
    ScheduledExecutorService watcher = Executors.newSingleThreadScheduledExecutor();
    try (Heartbeats heartbeats =
        new Heartbeats(
            () -> List.of(cluster.node(1).channel()),
            java.time.Duration.ofMillis(500),
            java.time.Duration.ofMinutes(3))) {
      alive.forEach(heartbeats::keep);
      watcher.scheduleAtFixedRate(
          () -> {
            try {
              for (Instance instance : discover(cluster.node(2), "failover")) {
                if (instance.getInstanceId().startsWith("alive")
                    && instance.getHealth() == HealthState.HEALTH_STATE_UNHEALTHY) {
                  everUnhealthy.set(true);
                }
              }
            } catch (RuntimeException ignored) {
              // A node busy with the failover; the next poll looks again.
            }
          },
          0,
          100,
          TimeUnit.MILLISECONDS);

      long killed = System.nanoTime();
      leader.kill();

      ClusterStatusResponse after =
          await("a survivor leads with a higher epoch")
              .atMost(java.time.Duration.ofSeconds(30))
              .ignoreExceptions()
              .until(
                  () -> status(cluster.node(1)),
                  s ->
                      s.getMembersCount() == 2
                          && s.getLeaderEpoch() > epochBefore
                          && !s.getLeaderId().equals(before.getLeaderId()));
      System.out.printf(
          "leader killed: new leader at epoch %d after %d ms%n",
          after.getLeaderEpoch(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed));
      assertEquals(after.getLeaderId(), status(cluster.node(2)).getLeaderId(), "one leader");
      assertNotEquals(before.getLeaderId(), after.getLeaderId());

      await("the new leader evicts the instance whose heartbeats stopped")
          .atMost(java.time.Duration.ofSeconds(20))
          .ignoreExceptions()
          .until(
              () ->
                  discover(cluster.node(1), "failover").stream()
                      .anyMatch(
                          i ->
                              i.getInstanceId().equals("doomed")
                                  && i.getHealth() == HealthState.HEALTH_STATE_UNHEALTHY));
      assertTrue(doomed.getEpoch() > 0);
      assertEquals(
          20,
          discover(cluster.node(2), "failover").stream()
              .filter(i -> i.getInstanceId().startsWith("alive"))
              .filter(i -> i.getHealth() == HealthState.HEALTH_STATE_HEALTHY)
              .count());
    } finally {
      watcher.shutdownNow();
    }
    assertTrue(!everUnhealthy.get(), "no heartbeating instance was ever marked unhealthy");
  }
}
