package io.roster.node;

import static io.roster.node.NodeCalls.discover;
import static io.roster.node.NodeCalls.register;
import static io.roster.node.NodeCalls.status;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.roster.testing.Heartbeats;
import io.roster.testing.NodeProcess;
import io.roster.testing.RosterCluster;
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
 * The leader hangs (SIGSTOP: sockets open, nothing answers), as a process stuck in a long GC would,
 * while instances with the default 10 s TTL heartbeat through another node. The others declare it
 * dead after the silence limit, elect a new leader and evict nobody who heartbeats; when it wakes
 * up it finds itself deposed, evicts nothing, and rejoins.
 */
@Timeout(300)
class HungNodeIT {

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
  void hungLeaderIsReplacedWithoutEvictingAnyoneAndRejoinsWhenItWakes() {
    NodeProcess hung = cluster.node(0);
    NodeProcess healthy = cluster.node(1);
    await()
        .atMost(java.time.Duration.ofSeconds(30))
        .ignoreExceptions()
        .until(() -> status(healthy).getLeaderEpoch() >= 1);
    long epochBefore = status(healthy).getLeaderEpoch();
    List<RegisterResponse> leases = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      leases.add(register(healthy, "hang", "i" + i, 10));
    }
    AtomicBoolean unhealthySeen = new AtomicBoolean();
    ScheduledExecutorService watcher = Executors.newSingleThreadScheduledExecutor();
    try (Heartbeats heartbeats =
        new Heartbeats(
            () -> List.of(healthy.channel()),
            java.time.Duration.ofMillis(1_000),
            java.time.Duration.ofMinutes(3))) {
      leases.forEach(heartbeats::keep);
      watcher.scheduleAtFixedRate(
          () -> {
            try {
              for (Instance instance : discover(cluster.node(2), "hang")) {
                if (instance.getHealth() == HealthState.HEALTH_STATE_UNHEALTHY) {
                  unhealthySeen.set(true);
                }
              }
            } catch (RuntimeException ignored) {
              // A node busy with the failover; the next poll looks again.
            }
          },
          0,
          200,
          TimeUnit.MILLISECONDS);

      hung.pause();

      await("the others replace the hung leader")
          .atMost(java.time.Duration.ofSeconds(60))
          .ignoreExceptions()
          .until(
              () -> status(healthy),
              s -> s.getMembersCount() == 2 && s.getLeaderEpoch() > epochBefore);
      // Longer than a TTL past the takeover: every heartbeating instance must still be healthy.
      await("nobody heartbeating is evicted")
          .during(java.time.Duration.ofSeconds(12))
          .atMost(java.time.Duration.ofSeconds(15))
          .ignoreExceptions()
          .until(
              () ->
                  discover(healthy, "hang").stream()
                      .allMatch(i -> i.getHealth() == HealthState.HEALTH_STATE_HEALTHY));

      hung.resume();

      await("the woken node rejoins")
          .atMost(java.time.Duration.ofSeconds(90))
          .ignoreExceptions()
          .until(
              () -> status(hung).getMembersCount() == 3 && status(healthy).getMembersCount() == 3);
      await("it serves every instance, healthy")
          .atMost(java.time.Duration.ofSeconds(30))
          .ignoreExceptions()
          .until(
              () ->
                  discover(hung, "hang").size() == 30
                      && discover(hung, "hang").stream()
                          .allMatch(i -> i.getHealth() == HealthState.HEALTH_STATE_HEALTHY));
    } finally {
      watcher.shutdownNow();
    }
    assertFalse(unhealthySeen.get(), "no heartbeating instance was ever marked unhealthy");
  }
}
