package io.roster.node;

import static io.roster.node.NodeCalls.discover;
import static io.roster.node.NodeCalls.health;
import static io.roster.node.NodeCalls.register;
import static io.roster.node.NodeCalls.status;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.roster.testing.Heartbeats;
import io.roster.testing.NetworkPartition;
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
 * The leader is cut off from the two other nodes (iptables rules on loopback that the test makes
 * and removes; only member traffic is cut, clients reach every node). While cut off it evicts
 * nothing, though from where it stands heartbeats stopped; the majority elects a new leader, keeps
 * every heartbeating instance healthy and still evicts the silent one; after the cut heals, the
 * sides merge and every registration, from either side, is everywhere.
 */
@Timeout(300)
class PartitionIT {

  private static RosterCluster cluster;

  @BeforeAll
  static void startCluster() {
    String unavailable = NetworkPartition.unavailableReason();
    assumeTrue(unavailable == null, () -> "skipped: " + unavailable);
    cluster = RosterCluster.builder().size(3).distinctLoopbackHosts().node1Leads().start();
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void cutOffLeaderEvictsNothingAndTheSidesMergeWithoutLoss() {
    NodeProcess cutOff = cluster.node(0);
    NodeProcess majority = cluster.node(1);
    NodeProcess other = cluster.node(2);
    List<RegisterResponse> alive = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      alive.add(register(i % 2 == 0 ? majority : other, "split", "alive-" + i, 5));
    }
    RegisterResponse silent = register(majority, "split", "silent", 5);
    assertTrue(silent.getEpoch() > 0);
    AtomicBoolean unhealthySeen = new AtomicBoolean();
    ScheduledExecutorService watcher = Executors.newSingleThreadScheduledExecutor();

    try (Heartbeats heartbeats =
            new Heartbeats(
                () -> List.of(majority.channel()),
                java.time.Duration.ofMillis(500),
                java.time.Duration.ofMinutes(3));
        NetworkPartition partition = new NetworkPartition()) {
      alive.forEach(heartbeats::keep);
      await()
          .atMost(java.time.Duration.ofSeconds(10))
          .until(() -> discover(cutOff, "split").size() == 31);
      watcher.scheduleAtFixedRate(
          () -> {
            for (NodeProcess node : cluster.nodes()) {
              try {
                for (Instance instance : discover(node, "split")) {
                  if (instance.getInstanceId().startsWith("alive")
                      && instance.getHealth() == HealthState.HEALTH_STATE_UNHEALTHY) {
                    unhealthySeen.set(true);
                  }
                }
              } catch (RuntimeException ignored) {
                // A node busy with the partition; the next poll looks again.
              }
            }
          },
          0,
          200,
          TimeUnit.MILLISECONDS);

      partition.cut(List.of(cutOff), List.of(majority, other));

      await("the majority elects its own leader")
          .atMost(java.time.Duration.ofSeconds(60))
          .ignoreExceptions()
          .until(
              () -> status(majority),
              s -> s.getMembersCount() == 2 && s.getQuorum().getHasQuorum());
      await("the cut-off node knows it is a minority")
          .atMost(java.time.Duration.ofSeconds(60))
          .ignoreExceptions()
          .until(() -> !status(cutOff).getQuorum().getHasQuorum());
      ClusterStatusResponse minority = status(cutOff);
      assertTrue(minority.getProtection().getActive(), "minority holds evictions: " + minority);
      StatusRuntimeException refused =
          assertThrows(
              StatusRuntimeException.class,
              () -> register(cutOff, "split", "registered-on-minority", 60));
      assertEquals(
          Status.Code.UNAVAILABLE,
          refused.getStatus().getCode(),
          "a minority refuses writes so clients move to the majority");

      await("the majority still evicts the silent instance")
          .atMost(java.time.Duration.ofSeconds(30))
          .ignoreExceptions()
          .until(() -> health(majority, "split", "silent") == HealthState.HEALTH_STATE_UNHEALTHY);
      RegisterResponse duringSplit = register(majority, "split", "registered-during-split", 60);
      heartbeats.keep(duringSplit);
      // The cut-off side sees no heartbeat for longer than the 5 s TTL: it must evict nothing.
      await("the minority marks nobody unhealthy")
          .during(java.time.Duration.ofSeconds(7))
          .atMost(java.time.Duration.ofSeconds(10))
          .ignoreExceptions()
          .until(
              () ->
                  discover(cutOff, "split").stream()
                      .filter(i -> i.getInstanceId().startsWith("alive"))
                      .allMatch(i -> i.getHealth() == HealthState.HEALTH_STATE_HEALTHY));

      partition.heal();

      await("the sides merge into one cluster")
          .atMost(java.time.Duration.ofSeconds(90))
          .ignoreExceptions()
          .until(
              () ->
                  status(cutOff).getMembersCount() == 3 && status(majority).getMembersCount() == 3);
      for (NodeProcess node : cluster.nodes()) {
        await("every registration on " + node.name() + " after the merge")
            .atMost(java.time.Duration.ofSeconds(30))
            .ignoreExceptions()
            .until(
                () -> {
                  List<Instance> found = discover(node, "split");
                  return found.stream().filter(i -> i.getInstanceId().startsWith("alive")).count()
                          == 30
                      && found.stream()
                          .anyMatch(i -> i.getInstanceId().equals("registered-during-split"));
                });
      }
      await("heartbeating instances healthy everywhere after the merge")
          .atMost(java.time.Duration.ofSeconds(30))
          .ignoreExceptions()
          .until(
              () ->
                  cluster.nodes().stream()
                      .allMatch(
                          node ->
                              discover(node, "split").stream()
                                  .filter(i -> i.getInstanceId().startsWith("alive"))
                                  .allMatch(
                                      i -> i.getHealth() == HealthState.HEALTH_STATE_HEALTHY)));
    } finally {
      watcher.shutdownNow();
    }
    assertFalse(unhealthySeen.get(), "no heartbeating instance was ever marked unhealthy");
    assertEquals(3, status(majority).getMembersCount());
  }
}
