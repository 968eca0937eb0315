package io.roster.node.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roster.node.domain.Incarnation;
import io.roster.node.domain.InstanceKey;
import io.roster.node.domain.InstanceSpec;
import io.roster.node.domain.InstanceValidator;
import io.roster.node.domain.ServiceKey;
import io.roster.node.store.InMemoryRegistryStore;
import io.roster.node.view.LocalView;
import io.roster.testing.Instances;
import io.roster.testing.ManualClock;
import io.roster.v1.ChangeType;
import io.roster.v1.Instance;
import io.roster.v1.WatchResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The hub's memory of removals: exact deltas while it holds them, a reset snapshot after. */
@Timeout(60)
class WatchHubTest {

  private static final ServiceKey ORDERS = new ServiceKey("default", "orders");

  private final ManualClock clock = new ManualClock();
  private final AtomicLong nanos = new AtomicLong();
  private final InMemoryRegistryStore store = new InMemoryRegistryStore(clock);
  private final LocalView view = new LocalView(store);
  private final WatchHub hub = new WatchHub(view, Incarnation.fixed(1), nanos::get);

  @BeforeEach
  void startView() {
    done(view.start());
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  @Test
  void aStreamResumingWithinTheRetentionGetsTheRemovalItMissed() {
    long seen = register("a");
    register("b");
    long removed = deregister("a");
    awaitView(removed);
    nanos.addAndGet(TimeUnit.MINUTES.toNanos(WatchHub.REMOVAL_RETENTION_MINUTES) - 1);
    hub.forgetOldRemovals();

    Recorder resumed = subscribe(seen);

    assertTrue(resumed.snapshots.isEmpty(), "no snapshot needed");
    assertEquals(1, resumed.messages.size());
    assertEquals(
        List.of(ChangeType.CHANGE_TYPE_ADDED, ChangeType.CHANGE_TYPE_REMOVED),
        resumed.messages.get(0).getChanges().getChangesList().stream()
            .map(change -> change.getType())
            .toList());
  }

  @Test
  void aStreamResumingAfterTheRetentionGetsAResetSnapshot() {
    long seen = register("a");
    register("b");
    long removed = deregister("a");
    awaitView(removed);
    nanos.addAndGet(TimeUnit.MINUTES.toNanos(WatchHub.REMOVAL_RETENTION_MINUTES) + 1);
    hub.forgetOldRemovals();

    Recorder resumed = subscribe(seen);

    assertTrue(resumed.messages.isEmpty(), "no delta from a forgotten history");
    assertEquals(List.of(true), resumed.snapshots, "a snapshot flagged reset");
  }

  @Test
  void removalsAreForgottenWhenTheServiceChangesAfterTheRetentionToo() {
    long seen = register("a");
    awaitView(deregister("a"));
    nanos.addAndGet(TimeUnit.MINUTES.toNanos(WatchHub.REMOVAL_RETENTION_MINUTES) + 1);
    awaitView(register("c")); // no periodic call: the change itself lets go of old history

    Recorder resumed = subscribe(seen);

    assertFalse(resumed.snapshots.isEmpty(), "a reset snapshot, not a delta missing a removal");
  }

  @Test
  void aStreamResumingFromAnotherIncarnationGetsAResetSnapshotAtTheSameRevision() {
    // Every node restarted: the registry counts from 0 again and reached the revision the caller
    // holds, with other instances.
    long revision = register("new-a");
    awaitView(revision);

    Recorder resumed = new Recorder();
    hub.subscribe(ORDERS, resumed, new WatchHub.From(revision, 7));

    assertTrue(resumed.messages.isEmpty(), "no delta across incarnations");
    assertEquals(List.of(true), resumed.snapshots, "a snapshot flagged reset");
  }

  @Test
  void aCallerThatNamesNoIncarnationResumesAsBefore() {
    long revision = register("a");
    awaitView(revision);

    Recorder resumed = new Recorder();
    hub.subscribe(ORDERS, resumed, new WatchHub.From(revision, 0));

    assertTrue(resumed.messages.isEmpty() && resumed.snapshots.isEmpty(), "up to date");
  }

  @Test
  void adoptingAnotherIncarnationResetsEveryStream() {
    awaitView(register("a"));
    Recorder following = subscribe(0);

    hub.incarnationChanged();

    assertEquals(List.of(false, true), following.snapshots, "the first snapshot, then a reset");
  }

  @Test
  void aSmallServiceSnapshotGoesWholeInOnePart() {
    register("a");
    awaitView(register("b"));

    WatchHub.SnapshotParts parts = hub.snapshot(ORDERS, false);
    WatchResponse only = parts.nextPart();

    assertTrue(parts.done());
    assertEquals(0, only.getSnapshot().getPart());
    assertFalse(only.getSnapshot().getMore());
    assertEquals(2, only.getSnapshot().getInstancesCount());
  }

  @Test
  void anEmptyServiceSnapshotIsOneEmptyPart() {
    WatchHub.SnapshotParts parts = hub.snapshot(ORDERS, true);
    WatchResponse only = parts.nextPart();

    assertTrue(parts.done());
    assertTrue(only.getSnapshot().getReset());
    assertFalse(only.getSnapshot().getMore());
    assertEquals(0, only.getSnapshot().getInstancesCount());
  }

  @Test
  void aLargeSnapshotComesInPartsBelowTheLimitHoldingEveryInstanceOnceInOrder() {
    // About 4.3 KB an instance: 600 of them make a snapshot of about 2.6 MB, three parts.
    String value = "v".repeat(InstanceValidator.MAX_METADATA_VALUE_BYTES);
    long last = 0;
    for (int i = 0; i < 600; i++) {
      Instance.Builder instance =
          Instances.of(ORDERS.service()).setInstanceId(String.format("i%04d", i));
      for (int pair = 0; pair < 8; pair++) {
        instance.putMetadata("k" + pair, value.substring(0, 500));
      }
      last = done(store.register(ProtoMapper.toSpec(instance.build()), 60_000)).record().revision();
    }
    awaitView(last);

    WatchHub.SnapshotParts parts = hub.snapshot(ORDERS, true);
    List<String> ids = new ArrayList<>();
    List<WatchResponse> sent = new ArrayList<>();
    while (!parts.done()) {
      sent.add(parts.nextPart());
    }

    assertTrue(sent.size() >= 3, "parts: " + sent.size());
    for (int i = 0; i < sent.size(); i++) {
      WatchResponse part = sent.get(i);
      assertEquals(i, part.getSnapshot().getPart());
      assertEquals(i < sent.size() - 1, part.getSnapshot().getMore(), "more on part " + i);
      assertEquals(last, part.getRevision());
      assertTrue(part.getSnapshot().getReset(), "reset on every part");
      assertTrue(
          part.getSerializedSize() <= WatchHub.SnapshotParts.PART_BYTES + 1024,
          "part " + i + " is " + part.getSerializedSize() + " bytes");
      part.getSnapshot().getInstancesList().forEach(instance -> ids.add(instance.getInstanceId()));
    }
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      expected.add(String.format("i%04d", i));
    }
    assertEquals(expected, ids, "every instance once, in id order");
  }

  private Recorder subscribe(long fromRevision) {
    Recorder recorder = new Recorder();
    hub.subscribe(ORDERS, recorder, new WatchHub.From(fromRevision, 1));
    return recorder;
  }

  private long register(String id) {
    InstanceSpec spec =
        ProtoMapper.toSpec(Instances.of(ORDERS.service()).setInstanceId(id).build());
    return done(store.register(spec, 60_000)).record().revision();
  }

  private long deregister(String id) {
    return done(store.deregister(new InstanceKey("default", "orders", id), 0)).revision();
  }

  private void awaitView(long revision) {
    await().atMost(Duration.ofSeconds(10)).until(() -> view.get(ORDERS).revision() >= revision);
  }

  private static <T> T done(CompletionStage<T> stage) {
    return stage.toCompletableFuture().join();
  }

  /** What the hub hands one subscriber. */
  private static final class Recorder implements WatchHub.Subscriber {
    final List<WatchResponse> messages = new ArrayList<>();
    final List<Boolean> snapshots = new ArrayList<>();

    @Override
    public void offer(ServiceKey key, WatchResponse message) {
      messages.add(message);
    }

    @Override
    public void snapshotDue(ServiceKey key, boolean reset) {
      snapshots.add(reset);
    }
  }
}
