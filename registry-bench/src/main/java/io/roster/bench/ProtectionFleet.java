package io.roster.bench;

import io.grpc.stub.StreamObserver;
import io.roster.v1.KeepAliveResponse;
import io.roster.v1.LeaseState;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import java.io.PrintStream;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
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
 * over a fixed set of KeepAlive streams spread over the nodes ({@link KeepAliveLanes}, as {@link
 * BackgroundHeartbeats} uses for the population).
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

  private static final long UNSET = Long.MIN_VALUE;
  private static final int REGISTRATION_ATTEMPTS = 3;

  private final Cluster cluster;
  private final RenewalGaps gaps;
  private final IntFunction<RegisterRequest> requests;
  private final int concurrency;
  private final long callDeadlineMillis;
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
  // Instance i in lane i mod the number of lanes.
  private final KeepAliveLanes<Integer> lanes;
  private volatile boolean repairs = true;
  private volatile String firstLost;
  // The scheduler thread's own.
  private final ArrayDeque<Integer> beatsDue = new ArrayDeque<>();
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
    this.concurrency = concurrency;
    this.callDeadlineMillis = callDeadlineMillis;
    this.leases = new AtomicReferenceArray<>(size);
    this.mode = new AtomicIntegerArray(size);
    this.unanswered = new AtomicIntegerArray(size);
    this.lastState = new AtomicIntegerArray(size);
    this.lastBeatNanos = new AtomicLongArray(size);
    this.resumedNanos = new AtomicLongArray(size);
    this.recovering = new AtomicIntegerArray(size);
    this.attempts = new AtomicIntegerArray(size);
    this.lanes =
        new KeepAliveLanes<>(
            "protection",
            cluster,
            Math.min(streams, size),
            window,
            (index, stream) -> mode.get(index) != KEPT || send(index, stream),
            this::onAnswer,
            err);
    for (int i = 0; i < size; i++) {
      lanes.add(i);
      lastBeatNanos.set(i, UNSET);
      resumedNanos.set(i, UNSET);
    }
    lanes.start(this::tick);
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

  /** The first index with a lease; throws when nothing was registered. */
  int firstRegistered() {
    for (int i = 0; i < leases.length(); i++) {
      if (leases.get(i) != null) {
        return i;
      }
    }
    throw new IllegalStateException("nothing registered");
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
    return lanes.streamFailures();
  }

  /** Registrations asked for or in flight. */
  int registering() {
    return toRegister.size() + registrationsInFlight.get();
  }

  /** Stops sending and closes the streams, waiting at most a few seconds for their answers. */
  void close() throws InterruptedException {
    lanes.close();
  }

  private void tick(long now, long elapsed) {
    if (intervalNanos == 0) {
      intervalNanos = interval();
    }
    lanes.openStreams(now);
    sendDueNow();
    lanes.pace(elapsed, intervalNanos);
    startRegistrations();
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
      KeepAliveStream stream = lanes.stream(index % lanes.lanes());
      long sentAt = System.nanoTime();
      if (!send(index, stream)) {
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
                  RegisteredLease lease =
                      RegisteredLease.granted(leases.get(i).service(), response);
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

  /** Sends {@code index}'s heartbeat on {@code stream}, counted as unanswered until answered. */
  private boolean send(int index, KeepAliveStream stream) {
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
}
