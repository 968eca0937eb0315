package io.roster.node;

import static io.roster.node.NodeCalls.register;
import static io.roster.node.NodeCalls.status;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.roster.testing.Heartbeats;
import io.roster.testing.NodeProcess;
import io.roster.testing.RosterCluster;
import io.roster.v1.ClusterServiceGrpc;
import io.roster.v1.ClusterStatusRequest;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.DiscoveryServiceGrpc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * ClusterStatus and Discover are answered from each node's memory, so a member that hangs (SIGSTOP:
 * its sockets stay open and nothing answers) must not slow them on the healthy nodes, while
 * instances keep heartbeating through them and the hung member still owns partitions, until the
 * others remove it and after. Every read is sent with the deadline a caller would set (400 ms for
 * ClusterStatus, 1 s for Discover) and must be answered within it.
 */
@Timeout(300)
class ReadsWhileAMemberHangsIT {

  private static final int INSTANCES = 300;
  private static final int SERVICES = 30;

  private static RosterCluster cluster;
  private static volatile long pausedAtNanos;

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
  void healthyNodesAnswerReadsInTimeWhileAMemberHangs() {
    NodeProcess hung = cluster.node(2);
    List<ManagedChannel> healthy = List.of(cluster.node(0).channel(), cluster.node(1).channel());
    List<String> late = new CopyOnWriteArrayList<>();
    List<Long> reads = new CopyOnWriteArrayList<>();
    ScheduledExecutorService readers = Executors.newScheduledThreadPool(2);
    try (Heartbeats heartbeats =
        new Heartbeats(() -> healthy, Duration.ofMillis(2_500), Duration.ofMinutes(3))) {
      for (int i = 0; i < INSTANCES; i++) {
        heartbeats.keep(register(cluster.node(i % 2), "hang-read-" + (i % SERVICES), "r" + i, 10));
      }
      for (int n = 0; n < 2; n++) {
        // The reads share the heartbeats' connection, as a client's calls to one node do.
        ManagedChannel channel = healthy.get(n);
        String node = "node" + (n + 1);
        readers.scheduleWithFixedDelay(
            () -> read(channel, node, late, reads), 0, 100, TimeUnit.MILLISECONDS);
      }
      await("reads answered before the hang")
          .atMost(Duration.ofSeconds(10))
          .until(() -> reads.size() > 20);
      late.clear();

      pausedAtNanos = System.nanoTime();
      hung.pause();
      try {
        await("the others remove the hung member")
            .atMost(Duration.ofSeconds(60))
            .ignoreExceptions()
            .until(() -> status(cluster.node(0)).getMembersCount() == 2);
        int before = reads.size();
        await("reads go on after the removal")
            .atMost(Duration.ofSeconds(10))
            .until(() -> reads.size() > before + 20);
      } finally {
        hung.resume();
      }
    } finally {
      readers.shutdownNow();
    }
    assertTrue(late.isEmpty(), late.size() + " reads late or failed: " + first(late, 10));
  }

  private static void read(
      ManagedChannel channel, String node, List<String> late, List<Long> reads) {
    long started = System.nanoTime();
    try {
      ClusterServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(400, TimeUnit.MILLISECONDS)
          .clusterStatus(ClusterStatusRequest.getDefaultInstance());
    } catch (StatusRuntimeException e) {
      late.add(node + " ClusterStatus at " + sincePause() + ": " + e.getStatus());
    }
    try {
      DiscoveryServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(1, TimeUnit.SECONDS)
          .discover(DiscoverRequest.newBuilder().setService("hang-read-7").build());
    } catch (StatusRuntimeException e) {
      late.add(node + " Discover at " + sincePause() + ": " + e.getStatus());
    }
    reads.add((System.nanoTime() - started) / 1_000_000);
  }

  /** Milliseconds since the member was stopped, for the failure message. */
  private static String sincePause() {
    return pausedAtNanos == 0
        ? "before the stop"
        : "+" + (System.nanoTime() - pausedAtNanos) / 1_000_000 + " ms";
  }

  private static List<String> first(List<String> all, int count) {
    return new ArrayList<>(all.subList(0, Math.min(count, all.size())));
  }
}
