package io.roster.node.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.stub.ServerCallStreamObserver;
import io.roster.node.domain.Incarnation;
import io.roster.node.domain.ServiceKey;
import io.roster.node.domain.ServiceView;
import io.roster.node.store.InMemoryRegistryStore;
import io.roster.node.view.LocalView;
import io.roster.testing.ManualClock;
import io.roster.v1.WatchResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a Watch stream whose caller stopped reading costs: an offer only queues, with no work on the
 * event loop until the call is ready again; then the caller gets what it missed (a reset snapshot
 * past the queue limit) and everything after.
 *
 * <p>The call is a stand-in that only reports readiness and records what is sent: whether gRPC flow
 * control holds a real call's writes is proven by {@code WatchTest} and the slow-watchers bench
 * phase; this test counts the stream's own work per offer, which no real call exposes. With no
 * event-loop context the stream runs its drains inline, so each one is counted as it happens.
 */
@Timeout(30)
class WatchStreamTest {

  private static final ServiceKey ORDERS = new ServiceKey("default", "orders");
  private static final int QUEUE_LIMIT = 8;

  private final InMemoryRegistryStore store = new InMemoryRegistryStore(new ManualClock());
  private final WatchHub hub = new WatchHub(new LocalView(store), Incarnation.fixed(1));

  @AfterEach
  void closeStore() {
    store.close();
  }

  @Test
  void aCallerThatStopsReadingCostsNoWorkPerChange() {
    StandInCall call = new StandInCall();
    WatchStream stream = new WatchStream(call, null, hub, QUEUE_LIMIT, List.of(ORDERS));
    stream.start(Map.of());
    assertEquals(1, call.sent.size(), "the snapshot, while the caller reads");

    call.ready = false;
    int checksBefore = call.readinessChecks;
    for (long revision = 1; revision <= 1_000; revision++) {
      stream.offer(ORDERS, change(revision));
    }

    assertTrue(
        call.readinessChecks - checksBefore <= 1,
        "1,000 changes to a stream that cannot be written made it check readiness "
            + (call.readinessChecks - checksBefore)
            + " times: one drain per change, on the event loop every stream shares");
    assertEquals(1, call.sent.size(), "nothing written while flow control holds the call");
    assertEquals(
        1,
        stream.overflows(),
        "past the queue limit a reset snapshot is due, and later changes of its service are"
            + " dropped (the snapshot, built when the caller reads again, covers them) rather than"
            + " queued until the queue overflows again");
    assertEquals(0, stream.queued());
  }

  @Test
  void whenTheCallerReadsAgainItGetsAResetSnapshotThenEveryChange() {
    StandInCall call = new StandInCall();
    WatchStream stream = new WatchStream(call, null, hub, QUEUE_LIMIT, List.of(ORDERS));
    stream.start(Map.of());
    call.ready = false;
    for (long revision = 1; revision <= 1_000; revision++) {
      stream.offer(ORDERS, change(revision));
    }

    call.ready = true;
    call.onReady.run();
    stream.offer(ORDERS, change(1_001));

    WatchResponse reset = call.sent.get(1);
    assertTrue(reset.hasSnapshot() && reset.getSnapshot().getReset(), reset.toString());
    assertEquals(1_001, call.sent.get(call.sent.size() - 1).getRevision());
    assertTrue(
        call.sent.size() <= 2 + QUEUE_LIMIT + 1,
        "at most the queue limit of changes after the reset: " + call.sent.size());
  }

  private static WatchResponse change(long revision) {
    return WatchHub.changesMessage(new ServiceView(ORDERS, revision, List.of()), List.of(), 1);
  }

  /** A call that is ready or not as the test says, and records what is written to it. */
  private static final class StandInCall extends ServerCallStreamObserver<WatchResponse> {
    final List<WatchResponse> sent = new ArrayList<>();
    volatile boolean ready = true;
    int readinessChecks;
    Runnable onReady = () -> {};

    @Override
    public boolean isReady() {
      readinessChecks++;
      return ready;
    }

    @Override
    public void setOnReadyHandler(Runnable onReadyHandler) {
      this.onReady = onReadyHandler;
    }

    @Override
    public boolean isCancelled() {
      return false;
    }

    @Override
    public void setOnCancelHandler(Runnable onCancelHandler) {}

    @Override
    public void setCompression(String compression) {}

    @Override
    public void disableAutoInboundFlowControl() {}

    @Override
    public void request(int count) {}

    @Override
    public void setMessageCompression(boolean enable) {}

    @Override
    public void onNext(WatchResponse value) {
      sent.add(value);
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }
}
