package io.roster.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import io.roster.testing.NodeProcess;
import io.roster.testing.RosterCluster;
import io.roster.v1.ChangeType;
import io.roster.v1.DeregisterRequest;
import io.roster.v1.Instance;
import io.roster.v1.InstanceChange;
import io.roster.v1.InstanceKey;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegistryServiceGrpc;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code roster watch} on a real three-node cluster whose node it watches on is killed: it resumes
 * on the next target from the last revision, so every change is printed once, none missed.
 */
@Timeout(240)
class WatchFailoverIT {
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
  void whenItsNodeIsKilledTheWatchResumesOnTheNextWithoutMissingOrRepeatingAChange()
      throws Exception {
    NodeProcess first = cluster.node(0);
    NodeProcess second = cluster.node(1);
    CliRun.SharedOutput out = new CliRun.SharedOutput();
    StopSignal stop = new StopSignal();
    CompletableFuture<CliRun> watching =
        CliRun.async(
            out,
            stop,
            "--target",
            first.apiAddress() + "," + second.apiAddress() + "," + cluster.node(2).apiAddress(),
            "watch",
            "--service",
            "failover");
    register(second, "10.0.0.1");
    await().atMost(java.time.Duration.ofSeconds(20)).until(() -> changes(out).size() == 1);

    first.kill();
    register(second, "10.0.0.2");
    RegistryServiceGrpc.newBlockingStub(second.channel())
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .deregister(
            DeregisterRequest.newBuilder()
                .setKey(
                    InstanceKey.newBuilder().setService("failover").setInstanceId("10.0.0.1:8080"))
                .build());
    await().atMost(java.time.Duration.ofSeconds(60)).until(() -> changes(out).size() >= 3);

    stop.stop();
    CliRun run = watching.get(10, TimeUnit.SECONDS);
    assertEquals(0, run.exitCode(), run.err());
    assertEquals(
        List.of(
            ChangeType.CHANGE_TYPE_ADDED + " 10.0.0.1:8080",
            ChangeType.CHANGE_TYPE_ADDED + " 10.0.0.2:8080",
            ChangeType.CHANGE_TYPE_REMOVED + " 10.0.0.1:8080"),
        changes(out).stream()
            .map(change -> change.getType() + " " + change.getInstance().getInstanceId())
            .toList());
    assertTrue(
        run.err().contains("watch stream to " + first.apiAddress() + " ended")
            && run.err().contains("resuming on " + second.apiAddress()),
        run.err());
  }

  private static List<InstanceChange> changes(CliRun.SharedOutput out) {
    return out.lines().stream()
        .map(line -> CliRun.parse(line, InstanceChange.getDefaultInstance()))
        .toList();
  }

  private static void register(NodeProcess node, String host) {
    RegistryServiceGrpc.newBlockingStub(node.channel())
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .register(
            RegisterRequest.newBuilder()
                .setInstance(
                    Instance.newBuilder().setService("failover").setHost(host).setPort(8080))
                .setLeaseTtl(Duration.newBuilder().setSeconds(120))
                .build());
  }
}
