package io.roster.node;

import static io.roster.node.NodeCalls.discover;
import static io.roster.node.NodeCalls.register;
import static io.roster.node.NodeCalls.status;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.roster.testing.Heartbeats;
import io.roster.testing.NodeProcess;
import io.roster.testing.RosterCluster;
import io.roster.v1.ClusterStatusResponse;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.HealthState;
import io.roster.v1.Instance;
import io.roster.v1.InstanceChange;
import io.roster.v1.RegisterResponse;
import io.roster.v1.WatchRequest;
import io.roster.v1.WatchResponse;
import io.roster.v1.WatchTarget;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The owner of a service's partitions hangs (SIGSTOP: sockets open, nothing answers) while its
 * instances heartbeat, five times in a row, a follower each time. The others remove it after the
 * silence limit and promote its partitions' backups; renewals that were waiting on it come late or
 * are retried on the new owner, and a sweep may have been waiting on it too. None of that may have
 * the leader declare a live instance expired: once, late renewal batches moved expiries backwards
 * and a sweep decided before the member left declared leases from promoted backups.
 *
 * <p>Watched three ways: a Watch stream on the leader (which is never stopped) records every
 * instance it ever reports unhealthy; at the end every node's {@code roster_evictions_total} for
 * the declared-expired step must be 0, and every instance must be listed healthy on every node.
 *
 * <p>Whether a run meets those races depends on timing this test does not control (when the
 * leader's sweep started, whether a retried renewal lands before or after the leader extends the
 * leases): before the fix it passed in each run made on a shared 2-core machine. The races
 * themselves are pinned by {@code LeaseTableTest} and {@code HazelcastRegistryStoreTest}; this test
 * guards the whole path between real processes.
 */
@Timeout(360)
class PausedOwnerIT {

  /**
   * Thirty services: a service's leases live in one Hazelcast partition, so with this many each of
   * the three members owns the partitions of about ten, and each stop hangs the owner of some (the
   * chance that a member owns none is (2/3)^30, about 5 in a million).
   */
  private static final int SERVICES = 30;

  /** Ten a service: renewal batches of several leases wait on the stopped owner each time. */
  private static final int INSTANCES = 300;

  /** The default lease TTL. */
  private static final long TTL_SECONDS = 10;

  /**
   * A quarter of the TTL: a lease outlives a round lost to a heartbeat that waited on the stopped
   * node for its deadline and failed over.
   */
  private static final Duration HEARTBEAT_PERIOD = Duration.ofMillis(2_500);

  private static final int ROUNDS = 5;

  /**
   * How long a stopped node stays stopped after the others removed it: renewals and sweeps that
   * were waiting on it land in this time, and the leader's sweeps run on the two left.
   */
  private static final Duration STOPPED_AFTER_REMOVAL = Duration.ofSeconds(5);

  /** The local profile declares a member dead after 10 s of silence; allow a loaded machine. */
  private static final Duration REMOVAL_TIMEOUT = Duration.ofSeconds(45);

  private static RosterCluster cluster;

  /** The node stopped now, which heartbeats keep away from; null between rounds. */
  private static volatile NodeProcess stopped;

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
  void noLiveInstanceIsDeclaredExpiredWhenTheOwnerOfItsPartitionsHangsFiveTimes() {
    NodeProcess leader = cluster.node(0);
    await("node1 leads")
        .atMost(Duration.ofSeconds(30))
        .ignoreExceptions()
        .until(() -> isLeader(status(leader)));
    WatchRecorder watch = WatchRecorder.watchEveryService(leader);
    // One client per node, as instances spread over the nodes: each heartbeats its home node first
    // and fails over to the others, never to the stopped one.
    List<Heartbeats> clients = new ArrayList<>();
    for (int home = 0; home < 3; home++) {
      clients.add(new Heartbeats(targetsFrom(home), HEARTBEAT_PERIOD, Duration.ofMinutes(6)));
    }
    try {
      for (int i = 0; i < INSTANCES; i++) {
        RegisterResponse lease =
            register(cluster.node(i % 3), service(i % SERVICES), "p" + i, TTL_SECONDS);
        clients.get(i % 3).keep(lease);
      }
      await("every instance registered and healthy on every node")
          .atMost(Duration.ofSeconds(60))
          .ignoreExceptions()
          .until(() -> cluster.nodes().stream().allMatch(PausedOwnerIT::allHealthy));
      await("the leader's Watch reports every instance")
          .atMost(Duration.ofSeconds(30))
          .until(() -> watch.reported.size() == INSTANCES);

      for (int round = 0; round < ROUNDS; round++) {
        NodeProcess follower = cluster.node(1 + round % 2);
        NodeProcess other = cluster.node(2 - round % 2);
        stopped = follower;
        long stoppedAt = System.nanoTime();
        follower.pause();

        await(follower.name() + " removed by the others")
            .atMost(REMOVAL_TIMEOUT)
            .ignoreExceptions()
            .failFast(watch::assertNoneUnhealthy)
            .until(
                () ->
                    status(leader).getMembersCount() == 2 && status(other).getMembersCount() == 2);
        long removedAt = System.nanoTime();
        await(follower.name() + " stays stopped, removed, and nobody is declared expired")
            .during(STOPPED_AFTER_REMOVAL)
            .atMost(STOPPED_AFTER_REMOVAL.plusSeconds(10))
            .ignoreExceptions()
            .failFast(watch::assertNoneUnhealthy)
            .until(() -> status(leader).getMembersCount() == 2);

        // Woken rather than killed and started again: SIGCONT is how a long GC pause ends, the
        // node rejoins through Hazelcast's split-brain merge with its stale partitions (about 5 s
        // here; a restart took 2-3 s, no saving worth the loss), and its counters survive.
        follower.resume();
        long resumedAt = System.nanoTime();
        cluster.awaitFormed(3);
        long rejoinedAt = System.nanoTime();
        stopped = null;
        System.out.printf(
            "round %d: %s removed %d ms after SIGSTOP, back %d ms after SIGCONT%n",
            round + 1,
            follower.name(),
            millis(removedAt - stoppedAt),
            millis(rejoinedAt - resumedAt));
        await("every instance healthy on every node after round " + (round + 1))
            .atMost(Duration.ofSeconds(30))
            .ignoreExceptions()
            .failFast(watch::assertNoneUnhealthy)
            .until(() -> cluster.nodes().stream().allMatch(PausedOwnerIT::allHealthy));
      }

      watch.assertNoneUnhealthy();
      assertNull(watch.failure.get(), "the Watch on the leader, never stopped, stayed open");
      long declared = 0;
      for (NodeProcess node : cluster.nodes()) {
        declared += declaredExpired(node);
      }
      assertEquals(0, declared, "leases declared expired, summed over the nodes");
      for (NodeProcess node : cluster.nodes()) {
        assertTrue(allHealthy(node), "every instance listed healthy on " + node.name());
      }
    } finally {
      stopped = null;
      clients.forEach(Heartbeats::close);
      watch.close();
      System.out.printf(
          "heartbeats answered %d, failed on every target %d%n",
          clients.stream().mapToInt(Heartbeats::sent).sum(),
          clients.stream().mapToInt(Heartbeats::failed).sum());
    }
  }

  private static String service(int index) {
    return "paused-" + index;
  }

  private static long millis(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }

  private static boolean isLeader(ClusterStatusResponse status) {
    return status.getLeaderEpoch() >= 1
        && status.getMembersList().stream().anyMatch(m -> m.getLocal() && m.getLeader());
  }

  /**
   * The nodes a client whose home is node {@code home} tries, in order, leaving out a stopped one.
   */
  private static Supplier<List<ManagedChannel>> targetsFrom(int home) {
    return () -> {
      List<ManagedChannel> targets = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        NodeProcess node = cluster.node((home + i) % 3);
        if (node != stopped) {
          targets.add(node.channel());
        }
      }
      return targets;
    };
  }

  /** Every instance of every service listed, and healthy, on {@code node}. */
  private static boolean allHealthy(NodeProcess node) {
    int healthy = 0;
    for (int s = 0; s < SERVICES; s++) {
      for (Instance instance : discover(node, service(s))) {
        if (instance.getHealth() != HealthState.HEALTH_STATE_HEALTHY) {
          return false;
        }
        healthy++;
      }
    }
    return healthy == INSTANCES;
  }

  /** The node's count of leases the leader declared expired, from its Prometheus metrics. */
  private static long declaredExpired(NodeProcess node) {
    return (long) NodeCalls.metric(node, "roster_evictions_total{step=\"declared-expired\"}");
  }

  /**
   * A Watch stream on every service that records each instance it reports, and each time it reports
   * one unhealthy, in a snapshot or a change. gRPC calls it on its own threads.
   */
  private static final class WatchRecorder implements StreamObserver<WatchResponse> {
    final Set<String> reported = ConcurrentHashMap.newKeySet();
    final List<String> unhealthy = new CopyOnWriteArrayList<>();
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Context.CancellableContext stream = Context.current().withCancellation();

    static WatchRecorder watchEveryService(NodeProcess node) {
      WatchRequest.Builder request = WatchRequest.newBuilder();
      for (int s = 0; s < SERVICES; s++) {
        request.addTargets(WatchTarget.newBuilder().setService(service(s)));
      }
      WatchRecorder recorder = new WatchRecorder();
      recorder.stream.run(
          () -> DiscoveryServiceGrpc.newStub(node.channel()).watch(request.build(), recorder));
      return recorder;
    }

    @Override
    public void onNext(WatchResponse message) {
      if (message.hasSnapshot()) {
        message.getSnapshot().getInstancesList().forEach(i -> check(i, message.getRevision()));
      }
      for (InstanceChange change : message.getChanges().getChangesList()) {
        check(change.getInstance(), change.getRevision());
      }
    }

    void assertNoneUnhealthy() {
      assertEquals(List.of(), unhealthy, "instances the leader's Watch reported unhealthy");
    }

    private void check(Instance instance, long revision) {
      reported.add(instance.getInstanceId());
      if (instance.getHealth() == HealthState.HEALTH_STATE_UNHEALTHY) {
        unhealthy.add(
            instance.getService()
                + "/"
                + instance.getInstanceId()
                + " at revision "
                + revision
                + " "
                + instance.getConditionsList().stream()
                    .map(c -> c.getType() + ": " + c.getReason())
                    .toList());
      }
    }

    @Override
    public void onError(Throwable t) {
      failure.compareAndSet(null, t);
    }

    @Override
    public void onCompleted() {
      failure.compareAndSet(null, new IllegalStateException("the node ended the Watch"));
    }

    void close() {
      stream.cancel(null);
    }
  }
}
