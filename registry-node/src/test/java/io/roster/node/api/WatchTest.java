package io.roster.node.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.roster.node.RegistryNode;
import io.roster.node.SingleNode;
import io.roster.testing.Instances;
import io.roster.v1.ChangeType;
import io.roster.v1.DeregisterRequest;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.HeartbeatRequest;
import io.roster.v1.Instance;
import io.roster.v1.InstanceChange;
import io.roster.v1.InstanceKey;
import io.roster.v1.InstanceStatus;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import io.roster.v1.SetStatusRequest;
import io.roster.v1.WatchRequest;
import io.roster.v1.WatchResponse;
import io.roster.v1.WatchTarget;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Watch on one real node: snapshot then changes, resume, no heartbeat noise, overflow. */
@Timeout(120)
class WatchTest {

  private static final int QUEUE_LIMIT = 8;
  private static RegistryNode node;
  private static ManagedChannel channel;
  private static RegistryServiceGrpc.RegistryServiceBlockingStub registry;

  private final String service = "watched-" + UUID.randomUUID().toString().substring(0, 8);

  @BeforeAll
  static void startNode() {
    node = SingleNode.start("watch-test", "--watch.queue-limit=" + QUEUE_LIMIT);
    // A small flow-control window, so a caller that stops reading makes the node queue at once.
    channel =
        NettyChannelBuilder.forAddress("127.0.0.1", node.apiPort())
            .usePlaintext()
            .flowControlWindow(16 * 1024)
            .build();
    registry = RegistryServiceGrpc.newBlockingStub(channel).withDeadlineAfter(1, TimeUnit.MINUTES);
  }

  @AfterAll
  static void stopNode() {
    channel.shutdownNow();
    node.stop();
  }

  @Test
  void snapshotFirstThenEveryChangeInRevisionOrder() {
    register("a");
    Watcher watcher = watch(0);
    WatchResponse snapshot = watcher.await(1).get(0);
    assertTrue(snapshot.hasSnapshot());
    assertFalse(snapshot.getSnapshot().getReset());
    assertEquals(List.of("a"), ids(snapshot));

    register("b");
    setStatus("a", InstanceStatus.INSTANCE_STATUS_DRAINING);
    registry.deregister(DeregisterRequest.newBuilder().setKey(key("b")).build());

    List<InstanceChange> changes = watcher.changesAfterSnapshot(3);
    assertEquals(
        List.of(
            ChangeType.CHANGE_TYPE_ADDED,
            ChangeType.CHANGE_TYPE_STATUS_CHANGED,
            ChangeType.CHANGE_TYPE_REMOVED),
        changes.stream().map(InstanceChange::getType).toList());
    assertEquals(
        List.of("b", "a", "b"),
        changes.stream().map(c -> c.getInstance().getInstanceId()).toList());
    List<Long> revisions = watcher.received.stream().map(WatchResponse::getRevision).toList();
    assertEquals(revisions.stream().sorted().distinct().toList(), revisions, "revisions only grow");
    watcher.cancel();
  }

  @Test
  void aLargeServiceComesInSnapshotPartsThatAClientWithASmallMessageLimitTakes() {
    // About 4.1 KB an instance: 600 make a snapshot of about 2.5 MB, in parts of at most 1 MiB.
    String value = "v".repeat(500);
    for (int i = 0; i < 600; i++) {
      Instance.Builder instance = Instances.of(service).setInstanceId(String.format("i%04d", i));
      for (int pair = 0; pair < 8; pair++) {
        instance.putMetadata("k" + pair, value);
      }
      registry.register(Instances.register(instance));
    }
    ManagedChannel limited =
        NettyChannelBuilder.forAddress("127.0.0.1", node.apiPort())
            .usePlaintext()
            .maxInboundMessageSize(WatchHub.SnapshotParts.PART_BYTES + 64 * 1024)
            .build();
    try {
      Watcher watcher = new Watcher();
      DiscoveryServiceGrpc.newStub(limited).watch(request(0), watcher);
      List<WatchResponse> parts =
          List.copyOf(
              await()
                  .atMost(Duration.ofSeconds(30))
                  .until(
                      () -> watcher.received,
                      list ->
                          !list.isEmpty() && !list.get(list.size() - 1).getSnapshot().getMore()));
      register("zz-after-the-snapshot");

      List<WatchResponse> received = watcher.await(parts.size() + 1);
      assertEquals(null, watcher.error.get());
      assertTrue(parts.size() >= 3, "parts: " + parts.size());
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < parts.size(); i++) {
        assertEquals(i, parts.get(i).getSnapshot().getPart());
        assertEquals(parts.get(0).getRevision(), parts.get(i).getRevision());
        ids.addAll(ids(parts.get(i)));
      }
      assertEquals(600, ids.size());
      assertEquals(ids.stream().sorted().distinct().toList(), ids, "each once, in id order");
      WatchResponse next = received.get(parts.size());
      assertTrue(next.hasChanges(), "a change follows the last part: " + next);
      assertTrue(next.getRevision() > parts.get(0).getRevision());
      watcher.cancel();
    } finally {
      limited.shutdownNow();
    }
  }

  @Test
  void heartbeatsThatChangeNothingProduceNoEvents() {
    RegisterResponse lease = register("a");
    // The snapshot must hold "a": registered but not yet in this node's view, it would come next
    // as a change and be taken for one a heartbeat caused.
    await().atMost(Duration.ofSeconds(10)).until(() -> viewRevision() >= lease.getRevision());
    Watcher watcher = watch(0);
    watcher.await(1);

    for (int i = 0; i < 20; i++) {
      registry.heartbeat(
          HeartbeatRequest.newBuilder()
              .setLeaseId(lease.getLeaseId())
              .setEpoch(lease.getEpoch())
              .build());
    }
    register("marker");

    List<InstanceChange> changes = watcher.changesAfterSnapshot(1);
    assertEquals("marker", changes.get(0).getInstance().getInstanceId());
    assertEquals(2, watcher.received.size(), "snapshot, then the marker only");
    watcher.cancel();
  }

  @Test
  void resumingFromARevisionSendsExactlyWhatWasMissed() {
    register("a");
    long seen = register("b").getRevision();
    await().atMost(Duration.ofSeconds(10)).until(() -> viewRevision() >= seen);
    register("c");
    registry.deregister(DeregisterRequest.newBuilder().setKey(key("a")).build());
    register("b"); // registered again: it was there, so UPDATED
    long last = register("d").getRevision();
    await().atMost(Duration.ofSeconds(10)).until(() -> viewRevision() >= last);

    Watcher resumed = watch(seen);
    WatchResponse missed = resumed.await(1).get(0);

    assertTrue(missed.hasChanges(), "a resume the node can serve is a difference, not a snapshot");
    assertEquals(last, missed.getRevision());
    Map<String, ChangeType> byId =
        missed.getChanges().getChangesList().stream()
            .collect(
                Collectors.toMap(c -> c.getInstance().getInstanceId(), InstanceChange::getType));
    assertEquals(
        Map.of(
            "c", ChangeType.CHANGE_TYPE_ADDED,
            "a", ChangeType.CHANGE_TYPE_REMOVED,
            "b", ChangeType.CHANGE_TYPE_UPDATED,
            "d", ChangeType.CHANGE_TYPE_ADDED),
        byId);
    resumed.cancel();
  }

  @Test
  void resumingFromARevisionTheNodeNeverReachedGetsAResetSnapshot() {
    register("a");
    long current = register("b").getRevision();
    await().atMost(Duration.ofSeconds(10)).until(() -> viewRevision() >= current);

    // As after a restart of every node: the caller remembers more than the registry now knows.
    Watcher resumed = watch(current + 1_000);
    WatchResponse first = resumed.await(1).get(0);

    assertTrue(first.hasSnapshot());
    assertTrue(first.getSnapshot().getReset());
    assertEquals(List.of("a", "b"), ids(first));
    resumed.cancel();
  }

  @Test
  void aCallerThatFallsBehindGetsAFreshSnapshotInsteadOfTheBacklog() {
    register("seed");
    AtomicReference<ClientCallStreamObserver<WatchRequest>> call = new AtomicReference<>();
    List<WatchResponse> received = new CopyOnWriteArrayList<>();
    DiscoveryServiceGrpc.newStub(channel)
        .watch(
            request(0),
            new ClientResponseObserver<WatchRequest, WatchResponse>() {
              @Override
              public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
                call.set(requestStream);
                requestStream.disableAutoRequestWithInitial(1);
              }

              @Override
              public void onNext(WatchResponse value) {
                received.add(value);
              }

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onCompleted() {}
            });
    await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 1);

    // The caller reads nothing while 200 big changes happen: far more than the flow-control
    // window and the queue hold.
    for (int i = 0; i < 200; i++) {
      registry.register(
          Instances.register(
              Instances.of(service)
                  .setInstanceId("bulk-" + i)
                  .putMetadata("padding", "x".repeat(500))));
    }
    long last =
        registry
            .register(Instances.register(Instances.of(service).setInstanceId("last")))
            .getRevision();

    call.get().request(Integer.MAX_VALUE);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> !received.isEmpty() && received.get(received.size() - 1).getRevision() >= last);

    assertTrue(
        received.stream().anyMatch(r -> r.hasSnapshot() && r.getSnapshot().getReset()),
        "the backlog was replaced by a snapshot flagged reset");
    assertTrue(received.size() < 100, "not the whole backlog: " + received.size() + " messages");
    assertEquals(202, stateFrom(received).size(), "what the caller holds is complete");
    call.get().cancel("done", null);
  }

  @Test
  void badTargetsAreRefused() {
    Watcher empty = new Watcher();
    DiscoveryServiceGrpc.newStub(channel).watch(WatchRequest.getDefaultInstance(), empty);
    await().atMost(Duration.ofSeconds(10)).until(() -> empty.error.get() != null);
    assertEquals(Status.Code.INVALID_ARGUMENT, Status.fromThrowable(empty.error.get()).getCode());
  }

  private static java.util.Set<String> stateFrom(List<WatchResponse> messages) {
    java.util.Set<String> held = new java.util.TreeSet<>();
    for (WatchResponse message : messages) {
      if (message.hasSnapshot()) {
        held.clear();
        message.getSnapshot().getInstancesList().forEach(i -> held.add(i.getInstanceId()));
      } else {
        for (InstanceChange change : message.getChanges().getChangesList()) {
          if (change.getType() == ChangeType.CHANGE_TYPE_REMOVED) {
            held.remove(change.getInstance().getInstanceId());
          } else {
            held.add(change.getInstance().getInstanceId());
          }
        }
      }
    }
    return held;
  }

  private long viewRevision() {
    return node.view().get(new io.roster.node.domain.ServiceKey("default", service)).revision();
  }

  @Test
  void aWatchTheClientCancelsOrDropsLeavesNothingBehindOnTheNode() throws Exception {
    register("a");
    Map<String, Integer> before = gauges();
    ManagedChannel cancelling = plainChannel();
    ManagedChannel dropped = plainChannel();
    try {
      Watcher cancelled = new Watcher();
      DiscoveryServiceGrpc.newStub(cancelling).watch(request(0), cancelled);
      Watcher lost = new Watcher();
      DiscoveryServiceGrpc.newStub(dropped).watch(request(0), lost);
      cancelled.await(1);
      lost.await(1);
      Map<String, Integer> open = gauges();
      for (String gauge : before.keySet()) {
        assertTrue(open.get(gauge) >= before.get(gauge) + 2, gauge + " counts both: " + open);
      }

      cancelled.cancel(); // RST_STREAM on a connection that stays open
      dropped.shutdownNow(); // the connection goes away with the stream
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> {
                Map<String, Integer> after = gauges();
                for (String gauge : before.keySet()) {
                  assertTrue(
                      after.get(gauge) <= before.get(gauge),
                      "the node still holds streams that ended: " + after + ", before: " + before);
                }
              });
    } finally {
      cancelling.shutdownNow();
      dropped.shutdownNow();
    }
  }

  private static ManagedChannel plainChannel() {
    return NettyChannelBuilder.forAddress("127.0.0.1", node.apiPort()).usePlaintext().build();
  }

  /** The node's stream gauges, read from its metrics endpoint as an operator would. */
  private static Map<String, Integer> gauges() throws Exception {
    String metrics =
        // HTTP/1.1, as Prometheus scrapes: Vert.x 5.0.7 stalls answers of tens of KB on a
        // connection upgraded to h2c, which the JDK client asks for by default.
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .build()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + node.apiPort() + "/metrics"))
                    .timeout(Duration.ofSeconds(10))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    Map<String, Integer> gauges = new java.util.TreeMap<>();
    for (String line : metrics.split("\n")) {
      for (String gauge : List.of("roster_streams_open", "roster_watch_subscriptions")) {
        if (line.startsWith(gauge + " ")) {
          gauges.put(gauge, (int) Double.parseDouble(line.substring(gauge.length() + 1).trim()));
        }
      }
    }
    assertEquals(2, gauges.size(), "stream gauges in /metrics:\n" + metrics);
    return gauges;
  }

  private RegisterResponse register(String id) {
    return registry.register(Instances.register(Instances.of(service).setInstanceId(id)));
  }

  private void setStatus(String id, InstanceStatus status) {
    registry.setStatus(SetStatusRequest.newBuilder().setKey(key(id)).setStatus(status).build());
  }

  private InstanceKey key(String id) {
    return InstanceKey.newBuilder().setService(service).setInstanceId(id).build();
  }

  private WatchRequest request(long fromRevision) {
    return WatchRequest.newBuilder()
        .addTargets(WatchTarget.newBuilder().setService(service).setFromRevision(fromRevision))
        .build();
  }

  private Watcher watch(long fromRevision) {
    Watcher watcher = new Watcher();
    DiscoveryServiceGrpc.newStub(channel).watch(request(fromRevision), watcher);
    return watcher;
  }

  private static List<String> ids(WatchResponse snapshot) {
    return snapshot.getSnapshot().getInstancesList().stream().map(i -> i.getInstanceId()).toList();
  }

  /** Collects a Watch stream. */
  private static final class Watcher
      implements ClientResponseObserver<WatchRequest, WatchResponse> {
    final List<WatchResponse> received = new CopyOnWriteArrayList<>();
    final AtomicReference<Throwable> error = new AtomicReference<>();
    private ClientCallStreamObserver<WatchRequest> call;

    @Override
    public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
      this.call = requestStream;
    }

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

    List<WatchResponse> await(int count) {
      return org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> received, list -> list.size() >= count);
    }

    List<InstanceChange> changesAfterSnapshot(int count) {
      return org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  received.stream()
                      .skip(1)
                      .flatMap(r -> r.getChanges().getChangesList().stream())
                      .toList(),
              list -> list.size() >= count);
    }

    void cancel() {
      call.cancel("test over", null);
    }
  }
}
