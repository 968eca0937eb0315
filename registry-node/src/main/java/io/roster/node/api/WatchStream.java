package io.roster.node.api;

import io.grpc.stub.ServerCallStreamObserver;
import io.roster.node.domain.ServiceKey;
import io.roster.v1.WatchResponse;
import io.vertx.core.Context;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One Watch call: a bounded queue of messages for the services it follows, written as fast as the
 * caller takes them (gRPC flow control) and never faster.
 *
 * <p>A slow caller cannot make the node hold memory without bound: when the queue is full, what is
 * pending is dropped and each service concerned gets a fresh snapshot (flagged {@code reset})
 * instead, built when the caller is ready again, from the view at that moment. A caller far behind
 * thus costs one snapshot per service, not the whole backlog.
 *
 * <p>A caller that stops reading costs the others next to nothing. While its call is not ready
 * (flow control holds the writes), an offer only queues, and no task goes to the event loop until
 * the call's ready handler fires; once its queue has overflowed, an offer for a service whose
 * snapshot is due is dropped after one lookup. The hub's fan-out runs on the path of every view
 * update, so a stalled stream costs every change one check there, and nothing elsewhere. Before,
 * every offer scheduled a drain that found the call not ready, and every overflow copied the whole
 * queue into the snapshots due: 1,000 streams that never read, following a service changing 500
 * times a second, put half a million tasks a second on the event loops the fast streams share, and
 * the overflows' copies were the top of the node's profile (docs/benchmarks.md, "Slow watchers").
 *
 * <p>Threading: {@link #offer} and {@link #snapshotDue} run on hub (store) threads; everything that
 * writes to the call runs on the call's event loop ({@link #drain}). The queue and the flags are
 * guarded by this object's monitor; {@code sentRevisions} and {@code sending} are touched on the
 * event loop only.
 *
 * <p>A snapshot of a large service goes out in parts ({@link WatchHub.SnapshotParts}), one after
 * the other with nothing in between, each written as the caller takes it like any other message.
 */
final class WatchStream implements WatchHub.Subscriber {

  private final ServerCallStreamObserver<WatchResponse> call;
  private final Context context;
  private final WatchHub hub;
  private final int queueLimit;
  private final List<ServiceKey> services;

  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private final Map<ServiceKey, Boolean> snapshotsDue = new LinkedHashMap<>();
  private boolean drainScheduled;
  private boolean waitingForReady;
  private boolean closed;
  private int overflows;

  private final Map<ServiceKey, Long> sentRevisions = new HashMap<>();

  /** A snapshot whose parts are being sent: nothing else goes out until its last part has. */
  private WatchHub.SnapshotParts sending;

  WatchStream(
      ServerCallStreamObserver<WatchResponse> call,
      Context context,
      WatchHub hub,
      int queueLimit,
      List<ServiceKey> services) {
    this.call = call;
    this.context = context;
    this.hub = hub;
    this.queueLimit = queueLimit;
    this.services = List.copyOf(services);
  }

  /**
   * Subscribes to every service; call on the event loop. The caller sets the call's cancel handler,
   * which must {@link #close} this stream.
   */
  void start(Map<ServiceKey, WatchHub.From> from) {
    call.setOnReadyHandler(this::ready);
    for (ServiceKey key : services) {
      WatchHub.From start = from.getOrDefault(key, WatchHub.From.START);
      sentRevisions.put(key, start.revision());
      hub.subscribe(key, this, start);
    }
    scheduleDrain();
  }

  @Override
  public void offer(ServiceKey key, WatchResponse message) {
    synchronized (this) {
      if (closed || snapshotsDue.containsKey(key)) {
        // A snapshot of the service is due: built when the caller is ready, from the view at that
        // moment, it covers this change (the view holds it before the hub offers it).
        return;
      }
      if (queue.size() >= queueLimit) {
        overflows++;
        hub.overflowed();
        for (Pending pending : queue) {
          snapshotsDue.put(pending.key, true);
        }
        snapshotsDue.put(key, true);
        queue.clear();
      } else {
        queue.addLast(new Pending(key, message));
      }
    }
    scheduleDrain();
  }

  @Override
  public void snapshotDue(ServiceKey key, boolean reset) {
    synchronized (this) {
      snapshotsDue.merge(key, reset, Boolean::logicalOr);
    }
    scheduleDrain();
  }

  /** Stops following; the call itself is over or being ended. */
  void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      queue.clear();
      snapshotsDue.clear();
    }
    for (ServiceKey key : services) {
      hub.unsubscribe(key, this);
    }
  }

  synchronized int overflows() {
    return overflows;
  }

  /** Messages queued now, waiting for the caller to take them. */
  @Override
  public synchronized int queued() {
    return queue.size();
  }

  private void scheduleDrain() {
    synchronized (this) {
      if (drainScheduled || waitingForReady || closed) {
        return;
      }
      drainScheduled = true;
    }
    Replies.onContext(
        context,
        () -> {
          synchronized (this) {
            drainScheduled = false;
          }
          drain();
        });
  }

  /** The call can take writes again: drain what queued meanwhile. On the event loop. */
  private void ready() {
    synchronized (this) {
      waitingForReady = false;
    }
    drain();
  }

  /** Writes while the caller takes them; runs on the event loop. */
  private void drain() {
    while (!call.isCancelled()) {
      if (!call.isReady()) {
        // The ready handler drains when the caller takes writes again; until then offers only
        // queue. Set here, on the event loop the handler also runs on, so it cannot be missed.
        synchronized (this) {
          waitingForReady = true;
        }
        return;
      }
      WatchResponse next = next();
      if (next == null) {
        return;
      }
      try {
        call.onNext(next);
      } catch (IllegalStateException callOver) {
        close();
        return;
      }
    }
  }

  /** The next message worth sending, or null when there is none. */
  private WatchResponse next() {
    if (sending != null) {
      WatchResponse part = sending.nextPart();
      if (sending.done()) {
        sending = null;
      }
      return part;
    }
    while (true) {
      ServiceKey snapshotOf = null;
      boolean reset = false;
      Pending pending = null;
      synchronized (this) {
        if (closed) {
          return null;
        }
        if (!snapshotsDue.isEmpty()) {
          var first = snapshotsDue.entrySet().iterator().next();
          snapshotOf = first.getKey();
          reset = first.getValue();
          snapshotsDue.remove(snapshotOf);
        } else {
          pending = queue.pollFirst();
          if (pending == null) {
            return null;
          }
        }
      }
      if (snapshotOf != null) {
        WatchHub.SnapshotParts snapshot = hub.snapshot(snapshotOf, reset);
        sentRevisions.put(snapshotOf, snapshot.revision());
        WatchResponse first = snapshot.nextPart();
        sending = snapshot.done() ? null : snapshot;
        return first;
      }
      long sent = sentRevisions.getOrDefault(pending.key, 0L);
      if (pending.message.getIncarnation() != hub.incarnation()) {
        continue; // made before the node adopted another incarnation: a reset snapshot follows
      }
      if (pending.message.getRevision() > sent) {
        sentRevisions.put(pending.key, pending.message.getRevision());
        return pending.message;
      }
      // Already covered by a snapshot sent after it was queued: skip it.
    }
  }

  private record Pending(ServiceKey key, WatchResponse message) {}
}
