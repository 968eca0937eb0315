package io.roster.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.stub.StreamObserver;
import io.roster.testing.Instances;
import io.roster.testing.NodeProcess;
import io.roster.testing.RosterCluster;
import io.roster.v1.ChangeType;
import io.roster.v1.DeregisterRequest;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.InstanceChange;
import io.roster.v1.InstanceKey;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import io.roster.v1.WatchRequest;
import io.roster.v1.WatchResponse;
import io.roster.v1.WatchTarget;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/** Watch across three real nodes: changes reach every node's watchers; resume after a kill. */
@Timeout(300)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class WatchIT {

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
  @Order(1)
  void aChangeMadeOnNode1ReachesWatchersOnNodes2And3() {
    Collector on2 = watch(cluster.node(1), "orders", 0);
    Collector on3 = watch(cluster.node(2), "orders", 0);
    on2.awaitMessages(1);
    on3.awaitMessages(1);

    register(cluster.node(0), "orders", "o1");

    for (Collector collector : List.of(on2, on3)) {
      InstanceChange change = collector.awaitChange("o1");
      assertEquals(ChangeType.CHANGE_TYPE_ADDED, change.getType());
    }
  }

  @Test
  @Order(2)
  void aWatcherWhoseNodeIsKilledResumesOnAnotherWithExactlyWhatItMissed() {
    register(cluster.node(0), "payments", "p1");
    register(cluster.node(0), "payments", "p2");
    Collector onDoomed = watch(cluster.node(2), "payments", 0);
    onDoomed.awaitMessages(1);
    long seen = onDoomed.lastRevision();
    Set<String> held = onDoomed.state();
    assertEquals(Set.of("p1", "p2"), held);

    cluster.node(2).kill();
    await().atMost(Duration.ofSeconds(30)).until(() -> onDoomed.error.get() != null);
    // Changes made while the watcher has no stream.
    register(cluster.node(0), "payments", "p3");
    RegistryServiceGrpc.newBlockingStub(cluster.node(1).channel())
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .deregister(
            DeregisterRequest.newBuilder()
                .setKey(InstanceKey.newBuilder().setService("payments").setInstanceId("p1"))
                .build());

    Collector resumed = watch(cluster.node(1), "payments", seen);
    WatchResponse missed = resumed.awaitMessages(1).get(0);

    assertTrue(missed.hasChanges(), "the other node serves the difference: " + missed);
    assertTrue(missed.getRevision() > seen);
    Set<String> after = new TreeSet<>(held);
    apply(after, missed);
    assertEquals(Set.of("p2", "p3"), after, "exactly what was missed, applied, gives the truth");
  }

  private static void apply(Set<String> held, WatchResponse message) {
    if (message.hasSnapshot()) {
      held.clear();
      message.getSnapshot().getInstancesList().forEach(i -> held.add(i.getInstanceId()));
      return;
    }
    for (InstanceChange change : message.getChanges().getChangesList()) {
      if (change.getType() == ChangeType.CHANGE_TYPE_REMOVED) {
        held.remove(change.getInstance().getInstanceId());
      } else {
        held.add(change.getInstance().getInstanceId());
      }
    }
  }

  private static RegisterResponse register(NodeProcess node, String service, String id) {
    return RegistryServiceGrpc.newBlockingStub(node.channel())
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .register(Instances.register(Instances.of(service).setInstanceId(id)));
  }

  private static Collector watch(NodeProcess node, String service, long from) {
    Collector collector = new Collector();
    DiscoveryServiceGrpc.newStub(node.channel())
        .watch(
            WatchRequest.newBuilder()
                .addTargets(WatchTarget.newBuilder().setService(service).setFromRevision(from))
                .build(),
            collector);
    return collector;
  }

  /** Collects one Watch stream. */
  private static final class Collector implements StreamObserver<WatchResponse> {
    final List<WatchResponse> received = new CopyOnWriteArrayList<>();
    final AtomicReference<Throwable> error = new AtomicReference<>();

    @Override
    public void onNext(WatchResponse value) {
      received.add(value);
    }

    @Override
    public void onError(Throwable t) {
      error.set(t);
    }

    @Override
    public void onCompleted() {}

    List<WatchResponse> awaitMessages(int count) {
      return await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> received, list -> list.size() >= count);
    }

    InstanceChange awaitChange(String id) {
      InstanceChange found =
          await()
              .atMost(Duration.ofSeconds(20))
              .until(
                  () ->
                      received.stream()
                          .flatMap(r -> r.getChanges().getChangesList().stream())
                          .filter(c -> c.getInstance().getInstanceId().equals(id))
                          .findFirst()
                          .orElse(null),
                  change -> change != null);
      assertNotNull(found);
      return found;
    }

    long lastRevision() {
      return received.get(received.size() - 1).getRevision();
    }

    Set<String> state() {
      Set<String> held = new TreeSet<>();
      received.forEach(message -> apply(held, message));
      return held;
    }
  }
}
