package io.roster.node.api;

import io.roster.node.domain.Incarnation;
import io.roster.node.domain.InstanceChange;
import io.roster.node.domain.InstanceRecord;
import io.roster.node.domain.ServiceDelta;
import io.roster.node.domain.ServiceKey;
import io.roster.node.domain.ServiceView;
import io.roster.node.domain.ViewChanges;
import io.roster.node.view.LocalView;
import io.roster.v1.Instance;
import io.roster.v1.ServiceChanges;
import io.roster.v1.ServiceSnapshot;
import io.roster.v1.WatchResponse;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * Fans every change of this node's view out to the Watch streams on this node: one subscription per
 * service per node (the {@link LocalView} listener), whichever node made the change, and each
 * change turned into its protobuf message once, whatever the number of streams.
 *
 * <p>Each service's topic mirrors the view it follows and remembers its removals and additions of
 * the last {@value #REMOVAL_RETENTION_MINUTES} minutes (at most {@value #REMOVALS_KEPT} of each),
 * so a stream resuming from a revision gets exactly what it missed from memory, or a snapshot
 * flagged {@code reset} when that is gone, as etcd answers a watch from a compacted revision. A
 * stream resuming from a revision of another incarnation of the registry (every node restarted
 * since) gets a snapshot flagged reset whatever the revision: the registry counts revisions from 0
 * again in each incarnation, so the same number may stand for other instances. Without the time
 * bound a registry with churn held a full record per removal for good: 1,000 services that each saw
 * 100 instances come and go kept about 70 MB on every node. The view Watch streams from is the one
 * Discover reads.
 *
 * <p>Threading: {@link #viewChanged} runs on store threads inside the view's update, in revision
 * order per service; subscribe and unsubscribe on event loops. Each topic's monitor orders the
 * three, so a new subscriber misses nothing and sees nothing twice.
 */
public final class WatchHub {

  static final int REMOVALS_KEPT = 1024;

  /** How long a removal stays available to resuming streams. */
  static final long REMOVAL_RETENTION_MINUTES = 5;

  private static final long REMOVAL_RETENTION_NANOS =
      TimeUnit.MINUTES.toNanos(REMOVAL_RETENTION_MINUTES);

  private final Map<ServiceKey, Topic> topics = new ConcurrentHashMap<>();
  private final LongAdder overflows = new LongAdder();
  private final Incarnation incarnation;
  private final LongSupplier nanoTime;

  public WatchHub(LocalView view, Incarnation incarnation) {
    this(view, incarnation, System::nanoTime);
  }

  /** With a clock for tests: {@code nanoTime} as {@link System#nanoTime}. */
  WatchHub(LocalView view, Incarnation incarnation, LongSupplier nanoTime) {
    this.incarnation = incarnation;
    this.nanoTime = nanoTime;
    view.onChange(this::viewChanged);
  }

  /**
   * Where a stream resumes a service: the last revision it saw, and that revision's incarnation.
   */
  record From(long revision, long incarnation) {
    /** From the start: a snapshot first. */
    static final From START = new From(0, 0);
  }

  /**
   * The node adopted another incarnation (registry data was lost, or its side merged into another
   * cluster): what every stream holds counts revisions of the old one, so each gets a snapshot
   * flagged reset of every service it follows, and no stream may resume from history kept so far.
   */
  public void incarnationChanged() {
    for (Map.Entry<ServiceKey, Topic> entry : topics.entrySet()) {
      Topic topic = entry.getValue();
      synchronized (topic) {
        topic.removals.clear();
        topic.historyFrom = topic.current.revision();
        for (Subscriber subscriber : topic.subscribers) {
          subscriber.snapshotDue(entry.getKey(), true);
        }
      }
    }
  }

  /** The incarnation messages are made in now. */
  long incarnation() {
    return incarnation.current();
  }

  /**
   * Forgets removals older than the retention; call periodically, so a service that stopped
   * changing lets go of its history too.
   */
  public void forgetOldRemovals() {
    long now = nanoTime.getAsLong();
    for (Topic topic : topics.values()) {
      synchronized (topic) {
        topic.forgetBefore(now - REMOVAL_RETENTION_NANOS);
      }
    }
  }

  /** A Watch stream's side of the hub. */
  interface Subscriber {
    /** A change message for {@code key}; called under the topic's monitor, must not block. */
    void offer(ServiceKey key, WatchResponse message);

    /** The subscriber must send a snapshot of {@code key} before anything else for it. */
    void snapshotDue(ServiceKey key, boolean reset);

    /** Messages it holds for a caller that has not taken them yet. */
    default int queued() {
      return 0;
    }
  }

  /**
   * Subscribes to a service from {@code from} (revision 0: start with a snapshot) and queues what
   * the subscriber must get first: nothing when it is up to date, the changes it missed when this
   * node still knows them, else a snapshot flagged {@code reset}. A revision of another incarnation
   * (when the caller names one) always takes a reset snapshot.
   */
  void subscribe(ServiceKey key, Subscriber subscriber, From from) {
    Topic topic = topics.computeIfAbsent(key, Topic::new);
    long fromRevision = from.revision();
    synchronized (topic) {
      topic.subscribers.add(subscriber);
      ServiceView current = topic.current;
      if (fromRevision == 0) {
        subscriber.snapshotDue(key, false);
      } else if (from.incarnation() != 0 && from.incarnation() != incarnation.current()) {
        subscriber.snapshotDue(key, true);
      } else if (fromRevision > current.revision()) {
        // A revision this node never reached: its view lags by a moment, or the registry lost
        // the service's state (every node restarted) and counts from 0 again. Only a snapshot is
        // right in both cases.
        subscriber.snapshotDue(key, true);
      } else if (fromRevision < current.revision()) {
        if (fromRevision >= topic.historyFrom) {
          subscriber.offer(key, topic.changesSince(fromRevision, incarnation.current()));
        } else {
          subscriber.snapshotDue(key, true);
        }
      }
    }
  }

  void unsubscribe(ServiceKey key, Subscriber subscriber) {
    Topic topic = topics.get(key);
    if (topic != null) {
      synchronized (topic) {
        topic.subscribers.remove(subscriber);
      }
    }
  }

  /**
   * Messages queued for Watch callers that have not taken them yet: the sum over every stream
   * ({@code [0]}) and the most any one stream holds ({@code [1]}). O(subscriptions): for a scrape,
   * not a hot path.
   */
  public long[] queuedMessages() {
    Set<Subscriber> streams = Collections.newSetFromMap(new IdentityHashMap<>());
    for (Topic topic : topics.values()) {
      streams.addAll(topic.subscribers); // a copy-on-write set: read without the topic's monitor
    }
    long total = 0;
    long most = 0;
    for (Subscriber stream : streams) {
      int queued = stream.queued();
      total += queued;
      most = Math.max(most, queued);
    }
    return new long[] {total, most};
  }

  /** Times a stream's queue was full and its messages were replaced by snapshots, all streams. */
  public long overflows() {
    return overflows.sum();
  }

  /** A stream's queue was full: counted for {@link #overflows}. */
  void overflowed() {
    overflows.increment();
  }

  /** Subscriptions on this node: one per Watch stream and service it follows. */
  public int subscriptions() {
    int total = 0;
    for (Topic topic : topics.values()) {
      total += topic.subscribers.size();
    }
    return total;
  }

  /** The view a snapshot of {@code key} is taken from: the one the last message was made from. */
  ServiceView current(ServiceKey key) {
    Topic topic = topics.get(key);
    return topic == null ? ServiceView.empty(key) : topic.current;
  }

  private void viewChanged(ServiceView before, ServiceView after, ServiceDelta delta) {
    Topic topic = topics.computeIfAbsent(after.key(), Topic::new);
    synchronized (topic) {
      boolean first = topic.current.revision() == 0 && topic.current.isEmpty();
      // Only what the delta names: a change costs the same whatever the service's size.
      List<InstanceChange> changes = ViewChanges.between(before, after, delta);
      topic.current = after;
      if (first && before.revision() == 0) {
        // What happened before this node first read the service is unknown: resuming from
        // earlier than here takes a snapshot.
        topic.historyFrom = after.revision();
      }
      long now = nanoTime.getAsLong();
      for (InstanceChange change : changes) {
        if (change.kind() == InstanceChange.Kind.REMOVED
            || change.kind() == InstanceChange.Kind.ADDED) {
          topic.remember(change, now);
        }
      }
      topic.forgetBefore(now - REMOVAL_RETENTION_NANOS);
      if (changes.isEmpty() || topic.subscribers.isEmpty()) {
        return;
      }
      WatchResponse message = changesMessage(after, changes, incarnation.current());
      for (Subscriber subscriber : topic.subscribers) {
        subscriber.offer(after.key(), message);
      }
    }
  }

  static WatchResponse changesMessage(
      ServiceView view, List<InstanceChange> changes, long incarnation) {
    ServiceChanges.Builder body = ServiceChanges.newBuilder();
    for (InstanceChange change : changes) {
      body.addChanges(ProtoMapper.toProto(change));
    }
    return WatchResponse.newBuilder()
        .setService(view.key().service())
        .setRevision(view.revision())
        .setIncarnation(incarnation)
        .setChanges(body)
        .build();
  }

  /**
   * A snapshot of what {@code key} holds now, in the current incarnation, to be sent in parts of at
   * most about {@value SnapshotParts#PART_BYTES} bytes.
   */
  SnapshotParts snapshot(ServiceKey key, boolean reset) {
    return new SnapshotParts(current(key), reset, incarnation.current());
  }

  /**
   * The parts of one snapshot, built one at a time from the view it was taken from (immutable, so a
   * stream can send them as its caller takes them while the service moves on).
   *
   * <p>Why parts: the snapshot of a service of 50,000 instances is about 7 MB, past the 4 MiB a
   * gRPC client takes in one message by default; the Java client accepts 64 MiB, grpc-go, Python
   * and Node do not. Parts of at most 1 MiB pass every client's default, and a service of ordinary
   * size still goes in one message (part 0, {@code more} false), as before.
   *
   * <p>Not thread-safe: one stream's event loop uses it.
   */
  static final class SnapshotParts {

    /** Instance bytes in one part at most (one instance more than this goes alone). */
    static final int PART_BYTES = 1 << 20;

    private final ServiceView view;
    private final boolean reset;
    private final long incarnation;
    private final List<InstanceRecord> instances;
    private int next;
    private int part;

    SnapshotParts(ServiceView view, boolean reset, long incarnation) {
      this.view = view;
      this.reset = reset;
      this.incarnation = incarnation;
      this.instances = view.instances();
    }

    ServiceKey service() {
      return view.key();
    }

    long revision() {
      return view.revision();
    }

    /** Whether every part has been handed out. */
    boolean done() {
      return part > 0 && next >= instances.size();
    }

    /** The next part; call while not {@link #done}. */
    WatchResponse nextPart() {
      ServiceSnapshot.Builder body = ServiceSnapshot.newBuilder().setReset(reset).setPart(part);
      int bytes = 0;
      Iterator<InstanceRecord> records = instances.listIterator(next);
      while (records.hasNext()) {
        Instance instance = ProtoMapper.toProto(records.next());
        int size = instance.getSerializedSize();
        if (bytes > 0 && bytes + size > PART_BYTES) {
          break;
        }
        body.addInstances(instance);
        bytes += size;
        next++;
      }
      part++;
      body.setMore(next < instances.size());
      return WatchResponse.newBuilder()
          .setService(view.key().service())
          .setRevision(view.revision())
          .setIncarnation(incarnation)
          .setSnapshot(body)
          .build();
    }
  }

  /** One service: its subscribers, the view they follow, its recent removals and additions. */
  private static final class Topic {
    final Set<Subscriber> subscribers = new CopyOnWriteArraySet<>();
    final ArrayDeque<Remembered> removals = new ArrayDeque<>();

    /**
     * Why additions are remembered too: a record only carries the revision it last changed at, so
     * without them a resuming stream could not tell an instance registered while it was away
     * (ADDED) from one that was there and changed (UPDATED), and a watcher that counts or announces
     * new instances announced none after a failover.
     */
    final ArrayDeque<Remembered> additions = new ArrayDeque<>();

    volatile ServiceView current;
    long historyFrom;

    Topic(ServiceKey key) {
      this.current = ServiceView.empty(key);
    }

    void remember(InstanceChange change, long nowNanos) {
      ArrayDeque<Remembered> kept =
          change.kind() == InstanceChange.Kind.REMOVED ? removals : additions;
      kept.addLast(new Remembered(change, nowNanos));
      while (kept.size() > REMOVALS_KEPT) {
        forgetFirst(kept);
      }
    }

    /** Forgets the removals and additions made before {@code cutoffNanos}. */
    void forgetBefore(long cutoffNanos) {
      for (ArrayDeque<Remembered> kept : List.of(removals, additions)) {
        while (!kept.isEmpty() && kept.peekFirst().atNanos - cutoffNanos < 0) {
          forgetFirst(kept);
        }
      }
    }

    /** A resume from before a forgotten change can no longer be told what it missed. */
    private void forgetFirst(ArrayDeque<Remembered> kept) {
      historyFrom = Math.max(historyFrom, kept.removeFirst().change.revision());
    }

    /**
     * What changed after {@code revision}: instances added or changed since, and removals since.
     */
    WatchResponse changesSince(long revision, long incarnation) {
      List<InstanceChange> changes = new ArrayList<>();
      for (Remembered removal : removals) {
        if (removal.change.revision() > revision) {
          changes.add(removal.change);
        }
      }
      Set<String> added = new HashSet<>();
      for (Remembered addition : additions) {
        if (addition.change.revision() > revision) {
          added.add(addition.change.record().instanceId());
        }
      }
      for (InstanceRecord record : current.instances()) {
        if (record.revision() > revision) {
          // The watcher replaces what it holds; a change folded over several steps is UPDATED.
          InstanceChange.Kind kind =
              added.contains(record.instanceId())
                  ? InstanceChange.Kind.ADDED
                  : InstanceChange.Kind.UPDATED;
          changes.add(new InstanceChange(kind, record, record.revision()));
        }
      }
      changes.sort(Comparator.comparingLong(InstanceChange::revision));
      return changesMessage(current, changes, incarnation);
    }
  }

  /** A removal or addition and when this node saw it. */
  private record Remembered(InstanceChange change, long atNanos) {}
}
