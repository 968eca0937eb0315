package io.roster.node;

import static io.roster.node.NodeCalls.discover;
import static io.roster.node.NodeCalls.register;
import static io.roster.node.NodeCalls.status;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.roster.testing.FreePorts;
import io.roster.testing.NodeProcess;
import io.roster.testing.RosterCluster;
import io.roster.v1.ClusterStatusResponse;
import io.roster.v1.HealthState;
import io.roster.v1.Instance;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a stranger on the member port can do, with real node processes and a real Hazelcast member
 * and client in this JVM: a lite member that joins a lone node of three (a minority) lends it no
 * quorum, so nothing is declared expired and writes stay refused; the node lists it as a stranger
 * and removes it; a Hazelcast client is refused outright.
 */
@Timeout(300)
class StrangerMembersIT {

  private static final long TTL_SECONDS = 3;

  private static RosterCluster cluster;

  @BeforeAll
  static void startCluster() {
    // Every node holds every partition (owner or backup), so the lone survivor keeps all data.
    cluster =
        RosterCluster.builder().size(3).node1Leads().flags("--cluster.backup-count=2").start();
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aStrangerLiteMemberLendsALoneNodeNoQuorumAndIsRemoved() throws IOException {
    NodeProcess survivor = cluster.node(0);
    register(survivor, "strangers", "victim", TTL_SECONDS);
    await().atMost(Duration.ofSeconds(30)).until(() -> discover(survivor, "strangers").size() == 1);
    cluster.node(1).kill();
    cluster.node(2).kill();
    await("the survivor knows it is alone")
        .atMost(Duration.ofSeconds(60))
        .ignoreExceptions()
        .until(() -> status(survivor).getMembersCount() == 1);

    HazelcastInstance stranger = Hazelcast.newHazelcastInstance(liteMember(survivor));
    try {
      await("the survivor sees the stranger, or has already removed it")
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  Files.readString(survivor.logFile())
                      .contains("is a lite member: not counted toward quorum"));
      ClusterStatusResponse seen = status(survivor);
      assertEquals(1, seen.getMembersCount(), "only Roster nodes are members: " + seen);
      assertFalse(seen.getQuorum().getHasQuorum(), "a lite member is no quorum: " + seen);

      // The victim's lease ran out long ago: a leader with a quorum would declare it expired.
      AtomicBoolean declared = new AtomicBoolean();
      await("well past the lease's TTL and several sweeps")
          .pollInterval(Duration.ofMillis(250))
          .during(Duration.ofSeconds(TTL_SECONDS + 5))
          .atMost(Duration.ofSeconds(TTL_SECONDS + 30))
          .until(
              () -> {
                List<Instance> listed = discover(survivor, "strangers", true);
                declared.compareAndSet(
                    false,
                    listed.size() != 1
                        || listed.get(0).getHealth() != HealthState.HEALTH_STATE_HEALTHY);
                return !declared.get();
              });
      StatusRuntimeException refused =
          assertThrows(
              StatusRuntimeException.class,
              () -> register(survivor, "strangers", "another", TTL_SECONDS));
      assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode());

      await("the master removes the stranger")
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> Files.readString(survivor.logFile()).contains("removing it from the cluster"));
    } finally {
      stranger.getLifecycleService().terminate();
    }
  }

  @Test
  void aHazelcastClientIsRefusedAtTheMemberPort() {
    NodeProcess node = cluster.node(0);
    ClientConfig config = new ClientConfig();
    config.setClusterName(cluster.clusterName());
    config.getNetworkConfig().addAddress(node.host() + ":" + node.clusterPort());
    config
        .getConnectionStrategyConfig()
        .getConnectionRetryConfig()
        .setClusterConnectTimeoutMillis(5_000);
    config.setProperty("hazelcast.logging.type", "slf4j");

    assertThrows(IllegalStateException.class, () -> HazelcastClient.newHazelcastClient(config));
    assertTrue(node.isAlive());
  }

  /** A lite member with the cluster's name, joining {@code node}: all a stranger needs to know. */
  private static Config liteMember(NodeProcess node) {
    Config config = new Config();
    config.setClusterName(cluster.clusterName());
    config.setLiteMember(true);
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.wait.seconds.before.join", "1");
    config.getNetworkConfig().setPort(FreePorts.next()).setPortAutoIncrement(false);
    config.getNetworkConfig().setPublicAddress("127.0.0.1");
    JoinConfig join = config.getNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).addMember(node.host() + ":" + node.clusterPort());
    return config;
  }
}
