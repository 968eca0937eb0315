package io.roster.bench;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.roster.v1.KeepAliveResponse;
import io.roster.v1.LeaseState;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import java.io.PrintStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.IntFunction;

/**
 * The protection phase's instances and their heartbeats, with the power to silence any of them and
 * bring them back: each kept-alive lease is renewed once per heartbeat interval, spread evenly,
 * over a fixed set of KeepAlive streams spread over the nodes (as {@link BackgroundHeartbeats} does
 * for the population).
 *
 * <p>{@link #silence} sends each instance one last heartbeat at once and none after, so a group
 * stops "all at once": their leases end together, a TTL later. {@link #resume} sends each one a
 * heartbeat at once and then at the regular rate; a lease the registry no longer knows (answered
 * NOT_FOUND: declared expired and removed after its grace) is registered again with the same
 * instance, as a real client does, and heartbeats go on with the new lease.
 *
 * <p>A kept-alive lease answered NOT_FOUND although it never stopped is a lost lease: counted, and
 * registered again so the next scenarios keep their shape. STALE_EPOCH and INVALID are counted and
 * not repaired.
 *
 * <p>Threading: one scheduler thread ({@code bench-protection}) sends heartbeats, starts
 * registrations and owns the lanes; {@link #add}, {@link #silence}, {@link #resume}, {@link
 * #forget} and the readers may be called from any thread (the phase's main thread does); answers
 * arrive on transport threads and touch only atomics and concurrent collections.
 */
final class ProtectionFleet {
  static final int UNREGISTERED = 0;
  static final int KEPT = 1;
  static final int SILENT = 2;
  static final int REGISTERING = 3;
  static final int GONE = 4;

  private static final long TICK_MILLIS = 10;
  private static final long REOPEN_AFTER_NANOS = TimeUnit.SECONDS.toNanos(1);
  private static final long UNSET = Long.MIN_VALUE;
  private static final int REGISTRATION_ATTEMPTS = 3;

  private final Cluster cluster;
  private final RenewalGaps gaps;
  private final IntFunction<RegisterRequest> requests;
  private final int window;
  private final int concurrency;
  private final long callDeadlineMillis;
  private final PrintStream err;
  private final AtomicReferenceArray<RegisteredLease> leases;
  private final AtomicIntegerArray mode;
  private final Map<String, Integer> indexByLease = new ConcurrentHashMap<>();
  // Per index: heartbeats sent and not answered, the last answer's state, the last heartbeat sent
  // before a silence, and when the index last resumed.
  private final AtomicIntegerArray unanswered;
  private final AtomicIntegerArray lastState;
  private final AtomicLongArray lastBeatNanos;
  private final AtomicLongArray resumedNanos;
  // Per index: 1 from a resume until the first ACTIVE answer (a NOT_FOUND then is expected).
  private final AtomicIntegerArray recovering;
  private final AtomicIntegerArray attempts;
  private final Queue<Integer> beatNow = new ConcurrentLinkedQueue<>();
  private final Queue<Integer> toRegister = new ConcurrentLinkedQueue<>();
  private final AtomicInteger registrationsInFlight = new AtomicInteger();
  private final AtomicLong active = new AtomicLong();
  private final AtomicLong lost = new AtomicLong();
  private final AtomicLong registeredAgain = new AtomicLong();
  private final AtomicLong registrationFailures = new AtomicLong();
  private final AtomicLong streamFailures = new AtomicLong();
  private final AtomicLong tickFailures = new AtomicLong();
  private final List<Lane> lanes = new ArrayList<>();
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(
          task -> {
            Thread thread = new Thread(task, "bench-protection");
            thread.setDaemon(true);
            return thread;
          });
  private volatile boolean repairs = true;
  private volatile String firstLost;
  // The scheduler thread's own.
  private final ArrayDeque<Integer> beatsDue = new ArrayDeque<>();
  private long lastTickNanos = System.nanoTime();
  private long intervalNanos;

  /**
   * Starts the scheduler; leases come with {@link #add}.
   *
   * @param size instances, by index 0 to size - 1
   * @param requests the Register request of each index, for registering again
   * @param streams KeepAlive streams, stream i on node i mod the number of nodes
   * @param window heartbeats unanswered per stream, at most
   * @param concurrency registrations in flight at most
   */
  ProtectionFleet(
      Cluster cluster,
      RenewalGaps gaps,
      int size,
      IntFunction<RegisterRequest> requests,
      int streams,
      int window,
      int concurrency,
      long callDeadlineMillis,
      PrintStream err) {
    this.cluster = cluster;
    this.gaps = gaps;
    this.requests = requests;
    this.window = window;
    this.concurrency = concurrency;
    this.callDeadlineMillis = callDeadlineMillis;
    this.err = err;
    this.leases = new AtomicReferenceArray<>(size);
    this.mode = new AtomicIntegerArray(size);
    this.unanswered = new AtomicIntegerArray(size);
    this.lastState = new AtomicIntegerArray(size);
    this.lastBeatNanos = new AtomicLongArray(size);
    this.resumedNanos = new AtomicLongArray(size);
    this.recovering = new AtomicIntegerArray(size);
    this.attempts = new AtomicIntegerArray(size);
    int laneCount = Math.min(streams, size);
    for (int l = 0; l < laneCount; l++) {
      List<Integer> indices = new ArrayList<>();
      for (int i = l; i < size; i += laneCount) {
        indices.add(i);
      }
      lanes.add(new Lane(l % cluster.size(), indices.stream().mapToInt(i -> i).toArray()));
    }
    for (int i = 0; i < size; i++) {
      lastBeatNanos.set(i, UNSET);
      resumedNanos.set(i, UNSET);
    }
    scheduler.scheduleAtFixedRate(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
  }

  int size() {
    return leases.length();
  }

  /** Keeps {@code lease} of instance {@code index} alive from now on. Any thread. */
  void add(int index, RegisteredLease lease) {
    indexByLease.put(lease.leaseId(), index);
    leases.set(index, lease);
    gaps.track(lease, System.nanoTime());
    mode.set(index, KEPT);
  }

  /** The current lease of {@code index}; null when it was never registered. */
  RegisteredLease lease(int index) {
    return leases.get(index);
  }

  int mode(int index) {
    return mode.get(index);
  }

  /** Sends each of {@code indices} one last heartbeat now, and none after. */
  void silence(int[] indices) {
    for (int index : indices) {
      if (mode.compareAndSet(index, KEPT, SILENT)) {
        lastBeatNanos.set(index, UNSET);
        beatNow.add(index);
      }
    }
  }

  /**
   * Heartbeats again for each of {@code indices}: one at once, then at the regular rate; a lease
   * the registry answers NOT_FOUND for is registered again.
   */
  void resume(int[] indices) {
    long now = System.nanoTime();
    for (int index : indices) {
      RegisteredLease lease = leases.get(index);
      if (lease != null && mode.get(index) == SILENT) {
        resumedNanos.set(index, now);
        recovering.set(index, 1);
        gaps.track(lease, now);
        mode.set(index, KEPT);
        beatNow.add(index);
      }
    }
  }

  /** Sends nothing more for {@code indices} (they are about to be deregistered). */
  void forget(int[] indices) {
    for (int index : indices) {
      mode.set(index, GONE);
    }
  }

  /** From now on, a NOT_FOUND answer is neither counted as lost nor registered again (cleanup). */
  void stopRepairs() {
    repairs = false;
  }

  /** When the last heartbeat before the silence of {@code index} was sent; UNSET before. */
  long lastBeatNanos(int index) {
    return lastBeatNanos.get(index);
  }

  /**
   * Whether {@code index}'s last heartbeat was sent, and it and every earlier one answered, the
   * last answer ACTIVE: only then is its lease known to have run until a TTL after that heartbeat.
   */
  boolean lastBeatConfirmed(int index) {
    return lastBeatNanos.get(index) != UNSET
        && unanswered.get(index) == 0
        && lastState.get(index) == LeaseState.LEASE_STATE_ACTIVE_VALUE;
  }

  /** When {@code index} last resumed ({@link System#nanoTime}); UNSET when it never did. */
  long resumedNanos(int index) {
    return resumedNanos.get(index);
  }

  static boolean isSet(long nanos) {
    return nanos != UNSET;
  }

  long active() {
    return active.get();
  }

  /**
   * Kept-alive leases the registry lost (answered other than ACTIVE although they never stopped).
   */
  long lost() {
    return lost.get();
  }

  /** The first lost lease's answer, for the report; null when none was lost. */
  String firstLost() {
    return firstLost;
  }

  /** Leases registered again after a NOT_FOUND. */
  long registeredAgain() {
    return registeredAgain.get();
  }

  long registrationFailures() {
    return registrationFailures.get();
  }

  long streamFailures() {
    return streamFailures.get();
  }

  /** Registrations asked for or in flight. */
  int registering() {
    return toRegister.size() + registrationsInFlight.get();
  }

  /** Stops sending and closes the streams, waiting at most a few seconds for their answers. */
  void close() throws InterruptedException {
    scheduler.shutdownNow();
    scheduler.awaitTermination(2, TimeUnit.SECONDS);
    for (Lane lane : lanes) {
      if (lane.stream != null) {
        lane.stream.halfClose();
      }
    }
    for (Lane lane : lanes) {
      if (lane.stream != null && !lane.stream.awaitClosed(2_000)) {
        lane.stream.cancel();
      }
    }
  }

  private void tick() {
    try {
      long now = System.nanoTime();
      long elapsed = now - lastTickNanos;
      lastTickNanos = now;
      if (intervalNanos == 0) {
        intervalNanos = interval();
      }
      for (Lane lane : lanes) {
        lane.ensureStream(now);
      }
      sendDueNow();
      if (intervalNanos > 0) {
        for (Lane lane : lanes) {
          lane.send(elapsed);
        }
      }
      startRegistrations();
    } catch (RuntimeException e) {
      // A failed tick must not end the schedule (an exception would): count it, say it once.
      if (tickFailures.getAndIncrement() == 0) {
        err.println("protection heartbeats: a tick failed, going on: " + e);
      }
    }
  }

  /** The shortest heartbeat interval the node asked for, once a lease is known; 0 before. */
  private long interval() {
    long shortest = 0;
    for (int i = 0; i < leases.length(); i++) {
      RegisteredLease lease = leases.get(i);
      if (lease != null && lease.heartbeatIntervalMillis() > 0) {
        long interval = TimeUnit.MILLISECONDS.toNanos(lease.heartbeatIntervalMillis());
        shortest = shortest == 0 ? interval : Math.min(shortest, interval);
        break; // every lease of the fleet asks for the same TTL
      }
    }
    return shortest;
  }

  /** Last heartbeats of the silenced and first ones of the resumed, before the regular ones. */
  private void sendDueNow() {
    Integer queued;
    while ((queued = beatNow.poll()) != null) {
      beatsDue.add(queued);
    }
    int rounds = beatsDue.size();
    for (int r = 0; r < rounds; r++) {
      int index = beatsDue.poll();
      int current = mode.get(index);
      if (current != SILENT && current != KEPT) {
        continue; // registering again or gone: nothing to send
      }
      Lane lane = lanes.get(index % lanes.size());
      long sentAt = System.nanoTime();
      if (!lane.trySend(index)) {
        beatsDue.add(index); // window full or stream reopening: next tick
        continue;
      }
      if (current == SILENT) {
        lastBeatNanos.set(index, sentAt);
      }
    }
  }

  private void startRegistrations() {
    while (registrationsInFlight.get() < concurrency) {
      Integer index = toRegister.poll();
      if (index == null) {
        return;
      }
      registrationsInFlight.incrementAndGet();
      int i = index;
      RegistryServiceGrpc.newStub(cluster.nextChannel())
          .withDeadlineAfter(callDeadlineMillis, TimeUnit.MILLISECONDS)
          .register(
              requests.apply(i),
              new StreamObserver<RegisterResponse>() {
                private RegisterResponse response;

                @Override
                public void onNext(RegisterResponse value) {
                  response = value;
                }

                @Override
                public void onError(Throwable error) {
                  registrationFailures.incrementAndGet();
                  registrationsInFlight.decrementAndGet();
                  if (attempts.incrementAndGet(i) < REGISTRATION_ATTEMPTS) {
                    toRegister.add(i);
                  } else {
                    mode.compareAndSet(i, REGISTERING, GONE);
                  }
                }

                @Override
                public void onCompleted() {
                  RegisteredLease old = leases.get(i);
                  RegisteredLease lease =
                      new RegisteredLease(
                          old.service(),
                          response.getInstanceId(),
                          response.getLeaseId(),
                          response.getEpoch(),
                          BenchContext.millis(response.getGrantedTtl()),
                          BenchContext.millis(response.getHeartbeatInterval()));
                  indexByLease.put(lease.leaseId(), i);
                  leases.set(i, lease);
                  gaps.track(lease, System.nanoTime());
                  attempts.set(i, 0);
                  registeredAgain.incrementAndGet();
                  mode.compareAndSet(i, REGISTERING, KEPT);
                  registrationsInFlight.decrementAndGet();
                }
              });
    }
  }

  private void onAnswer(KeepAliveResponse answer, long receivedNanos) {
    Integer found = indexByLease.get(answer.getLeaseId());
    if (found == null) {
      return;
    }
    int index = found;
    unanswered.decrementAndGet(index);
    lastState.set(index, answer.getStateValue());
    if (answer.getState() == LeaseState.LEASE_STATE_ACTIVE) {
      active.incrementAndGet();
      recovering.set(index, 0);
      gaps.renewed(answer.getLeaseId(), receivedNanos);
      return;
    }
    if (!repairs || mode.get(index) == GONE) {
      return;
    }
    if (answer.getState() != LeaseState.LEASE_STATE_NOT_FOUND) {
      noteLost(answer);
      return;
    }
    // NOT_FOUND right after a resume: declared expired and removed after its grace while silent,
    // what a client that comes back meets. Otherwise the registry lost a lease that was kept alive
    // (or, while silent, one that was alive when it stopped).
    if (recovering.get(index) == 0) {
      noteLost(answer);
    }
    if (mode.compareAndSet(index, KEPT, REGISTERING)) {
      toRegister.add(index);
    }
  }

  private void noteLost(KeepAliveResponse answer) {
    lost.incrementAndGet();
    if (firstLost == null) {
      firstLost = answer.getState() + " for " + answer.getLeaseId() + ": " + answer.getMessage();
    }
  }

  /** One stream and the instances it renews; touched by the scheduler thread only. */
  private final class Lane implements KeepAliveStream.Listener {
    private final int[] indices;
    private int node;
    private KeepAliveStream stream;
    private long reopenAtNanos;
    private int cursor;
    private double credit;

    Lane(int node, int[] indices) {
      this.node = node;
      this.indices = indices;
    }

    void ensureStream(long now) {
      if (stream != null && stream.closedWith() == null) {
        return;
      }
      if (stream != null) {
        stream = null;
        node = (node + 1) % cluster.size(); // that node may be gone: try the next
        reopenAtNanos = now + REOPEN_AFTER_NANOS;
      }
      if (now - reopenAtNanos < 0) {
        return;
      }
      stream =
          new KeepAliveStream(
              cluster.channel(node), cluster.target(node).authority(), window, this);
      credit = indices.length; // renew a full round at once: the pause may have cost time
    }

    boolean trySend(int index) {
      RegisteredLease lease = leases.get(index);
      if (stream == null || lease == null) {
        return false;
      }
      unanswered.incrementAndGet(index);
      if (!stream.trySend(lease.leaseId(), lease.epoch(), false)) {
        unanswered.decrementAndGet(index);
        return false;
      }
      return true;
    }

    /** The regular heartbeats: each kept-alive instance of the lane once per interval. */
    void send(long elapsedNanos) {
      if (stream == null) {
        return;
      }
      credit += (double) indices.length * elapsedNanos / intervalNanos;
      credit = Math.min(credit, indices.length); // at most one round behind, never an avalanche
      int steps = (int) credit;
      for (int s = 0; s < steps; s++) {
        int index = indices[cursor];
        if (mode.get(index) == KEPT && !trySend(index)) {
          break; // window full: the node is behind; the credit waits for the next tick
        }
        cursor = (cursor + 1) % indices.length;
        credit -= 1;
      }
    }

    @Override
    public void onAnswer(KeepAliveStream from, KeepAliveResponse answer, long receivedNanos) {
      ProtectionFleet.this.onAnswer(answer, receivedNanos);
    }

    @Override
    public void onClosed(KeepAliveStream from, Status status) {
      if (!status.isOk()) {
        streamFailures.incrementAndGet();
      }
    }
  }
}
