package io.roster.bench;

import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.Instance;
import io.roster.v1.InstanceChange;
import io.roster.v1.InstanceKey;
import io.roster.v1.InstanceStatus;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import io.roster.v1.SetStatusRequest;
import io.roster.v1.SetStatusResponse;
import io.roster.v1.WatchRequest;
import io.roster.v1.WatchResponse;
import io.roster.v1.WatchTarget;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * How long a change made through one node takes to reach a Watch stream on another: a watcher on
 * the last target (node C) follows a service of {@value #PROBES} probe instances; the phase changes
 * one probe's status (UP and DRAINING in turn) through the first target (node A) at random moments
 * and times each change from the moment its {@code SetStatus} is sent to the moment the watcher
 * receives it. One process holds both ends, so one clock ({@link System#nanoTime}) times both.
 *
 * <p>One change is in flight at a time, so the figure is the propagation delay, not a queue; the
 * next change follows after a random pause of 0 to {@value #MAX_PAUSE_MILLIS} ms. The population
 * heartbeats in the background meanwhile, so the view carries its real load.
 *
 * <p>Bounded by {@code --propagation-changes} changes and by {@code --duration-s}; each change
 * waits for its event at most {@value #EVENT_BOUND_MILLIS} ms (a miss is a problem of the run).
 */
final class PropagationPhase implements Phase {
  static final String NAME = "propagation";

  static final String SERVICE = "bench-propagation";
  static final int PROBES = 4;
  private static final long MAX_PAUSE_MILLIS = 20;
  private static final long EVENT_BOUND_MILLIS = 5_000;
  static final long SNAPSHOT_BOUND_MILLIS = 10_000;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public boolean needsPopulation() {
    return true; // the background heartbeats are the load the figure is measured under
  }

  @Override
  public PhaseResult run(BenchContext context) throws InterruptedException {
    BenchConfig config = context.config();
    PhaseResult result = new PhaseResult(NAME);
    int writer = 0;
    int watcher = context.cluster().size() - 1;
    List<RegisteredLease> probes = registerProbes(context, writer, SERVICE, "probe-", PROBES);
    Watcher watch = Watcher.follow(context, watcher, SERVICE);
    Timing timing = new Timing(PROBES);
    Progress.Rate background = new Progress.Rate(context.background().active());
    context
        .progress()
        .show(
            NAME,
            () ->
                String.format(
                    "%,d changes, p50 %.2f ms, p99 %.2f ms%s",
                    timing.changes.get(),
                    timing.latencies.percentileMillis(50),
                    timing.latencies.percentileMillis(99),
                    context.backgroundLine(background)));
    long lostBefore = context.background().notActive();
    long lapsesBefore = context.startGaps();
    long backgroundBefore = context.background().active();
    NodeCpu.Reading cpuBefore = context.startTimed(NAME);
    try {
      if (!watch.snapshot.await(SNAPSHOT_BOUND_MILLIS, TimeUnit.MILLISECONDS)) {
        return result
            .put("ops", 0)
            .problem(
                "the Watch stream on "
                    + context.cluster().target(watcher)
                    + " sent no snapshot within "
                    + SNAPSHOT_BOUND_MILLIS
                    + " ms"
                    + watch.closedLine());
      }
      timeChanges(context, writer, probes, watch, config.phaseDurationMillis(), timing);
    } finally {
      watch.cancel();
      context.progress().clear();
    }
    NodeCpu.Usage cpu = context.endTimed(NAME, cpuBefore);
    long lost = context.backgroundLost(result, lostBefore);
    double backgroundPerSecond =
        (context.background().active() - backgroundBefore) / cpu.wallSeconds();
    result
        .put("ops", timing.changes.get())
        .put("writer", context.cluster().target(writer).toString())
        .put("watcher", context.cluster().target(watcher).toString())
        .put("p50Ms", timing.latencies.percentileMillis(50))
        .put("p99Ms", timing.latencies.percentileMillis(99))
        .put("p999Ms", timing.latencies.percentileMillis(99.9))
        .put("maxMs", timing.latencies.maxMillis())
        .put("writeP50Ms", timing.writes.percentileMillis(50))
        .put("writeP99Ms", timing.writes.percentileMillis(99))
        .put("missedEvents", timing.missed)
        .put("failedWrites", timing.failedWrites)
        .put("backgroundHeartbeatsPerSec", BenchContext.orNull(backgroundPerSecond))
        .put("lostLeases", lost)
        .latencies(
            timing.latencies, "SetStatus sent on node A → event on a Watch stream on node C");
    BenchContext.putCpu(result, cpu);
    context.putGaps(result, lapsesBefore);
    result.note(
        String.format(
            "SetStatus sent to %s → event on a Watch stream on %s; SetStatus answered p50 %s ms;"
                + " background %,.0f heartbeats/s",
            context.cluster().target(writer),
            context.cluster().target(watcher),
            Json.number(timing.writes.percentileMillis(50)),
            backgroundPerSecond));
    timing.reportProblems(result);
    if (watch.closed.get() != null) {
      result.problem("the Watch stream ended early" + watch.closedLine());
    }
    return result;
  }

  /**
   * Changes one probe's status at a time, UP and DRAINING in turn, through {@code writer} and times
   * each until {@code watch} sees it; bounded by {@code --propagation-changes}, {@code
   * durationMillis} and a stop request; records into {@code timing} as it goes (the progress line
   * reads it).
   */
  static void timeChanges(
      BenchContext context,
      int writer,
      List<RegisteredLease> probes,
      Watcher watch,
      long durationMillis,
      Timing timing)
      throws InterruptedException {
    BenchConfig config = context.config();
    SplittableRandom random = context.newRandom();
    long endNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(durationMillis);
    boolean[] draining = timing.draining;
    for (long k = 0;
        k < config.propagationChanges()
            && System.nanoTime() < endNanos
            && !context.stopRequested()
            && watch.closed.get() == null;
        k++) {
      int index = (int) (k % probes.size());
      RegisteredLease probe = probes.get(index);
      draining[index] = !draining[index];
      InstanceStatus status =
          draining[index]
              ? InstanceStatus.INSTANCE_STATUS_DRAINING
              : InstanceStatus.INSTANCE_STATUS_UP;
      Expected expected = new Expected(probe.instanceId(), status, System.nanoTime());
      watch.expected.set(expected);
      CompletableFuture<Long> written = setStatus(context, writer, probe, status);
      try {
        long eventNanos = expected.seen.get(EVENT_BOUND_MILLIS, TimeUnit.MILLISECONDS);
        timing.latencies.recordNanos(eventNanos - expected.sentNanos);
        timing.changes.incrementAndGet();
      } catch (TimeoutException e) {
        timing.missed++;
        // Counted at the bound, so that the percentiles show the miss rather than skip it.
        timing.latencies.recordNanos(TimeUnit.MILLISECONDS.toNanos(EVENT_BOUND_MILLIS));
      } catch (ExecutionException e) {
        throw new IllegalStateException("the watcher failed", e.getCause());
      }
      try {
        timing.writes.recordNanos(
            written.get(config.callDeadlineMillis(), TimeUnit.MILLISECONDS) - expected.sentNanos);
      } catch (TimeoutException | ExecutionException e) {
        timing.failedWrites++;
      }
      // A random moment for the next change, as changes come in a real registry.
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(random.nextLong(MAX_PAUSE_MILLIS + 1)));
    }
  }

  /**
   * What {@link #timeChanges} measured, and the probes' statuses as it left them: a second call
   * with the same probes must go on from there, since setting a status a probe already has changes
   * nothing, and no event would ever come.
   */
  static final class Timing {
    final boolean[] draining;
    final AtomicLong changes = new AtomicLong();
    final Latencies latencies = new Latencies();
    final Latencies writes = new Latencies();
    long missed;
    long failedWrites;

    /** For {@code probes} probes, all UP. */
    Timing(int probes) {
      this.draining = new boolean[probes];
    }

    /** Goes on with the probes' statuses where {@code earlier} left them. */
    Timing(Timing earlier) {
      this.draining = earlier.draining;
    }

    void reportProblems(PhaseResult result) {
      if (missed > 0) {
        result.problem(
            missed + " changes reached no Watch event within " + EVENT_BOUND_MILLIS + " ms");
      }
      if (failedWrites > 0) {
        result.problem(failedWrites + " SetStatus calls failed or went unanswered");
      }
    }
  }

  /**
   * Registers {@code count} instances of {@code service} through the writer node, named {@code
   * prefix} and a number; their leases join the background heartbeats.
   */
  static List<RegisteredLease> registerProbes(
      BenchContext context, int writer, String service, String prefix, int count) {
    BenchConfig config = context.config();
    List<RegisteredLease> probes = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      RegisterResponse response =
          RegistryServiceGrpc.newBlockingStub(context.cluster().channel(writer))
              .withDeadlineAfter(config.callDeadlineMillis(), TimeUnit.MILLISECONDS)
              .register(
                  RegisterRequest.newBuilder()
                      .setInstance(
                          Instance.newBuilder()
                              .setNamespace(config.namespace())
                              .setService(service)
                              .setInstanceId(prefix + i)
                              .setHost("10.255.0." + (i % 250 + 1))
                              .setPort(8080 + i / 250))
                      .build());
      RegisteredLease lease = RegisteredLease.granted(service, response);
      context.registered().add(lease);
      context.gaps().track(lease, System.nanoTime());
      context.background().add(lease);
      probes.add(lease);
    }
    return probes;
  }

  /** Sends the change; completes with the {@link System#nanoTime} of its answer. */
  static CompletableFuture<Long> setStatus(
      BenchContext context, int writer, RegisteredLease probe, InstanceStatus status) {
    CompletableFuture<Long> answered = new CompletableFuture<>();
    RegistryServiceGrpc.newStub(context.cluster().channel(writer))
        .withDeadlineAfter(context.config().callDeadlineMillis(), TimeUnit.MILLISECONDS)
        .setStatus(
            SetStatusRequest.newBuilder()
                .setKey(
                    InstanceKey.newBuilder()
                        .setNamespace(context.config().namespace())
                        .setService(probe.service())
                        .setInstanceId(probe.instanceId()))
                .setStatus(status)
                .setLeaseId(probe.leaseId()) // the registrant's proof, see Deregistration
                .build(),
            new StreamObserver<SetStatusResponse>() {
              @Override
              public void onNext(SetStatusResponse value) {
                answered.complete(System.nanoTime());
              }

              @Override
              public void onError(Throwable t) {
                answered.completeExceptionally(t);
              }

              @Override
              public void onCompleted() {}
            });
    return answered;
  }

  /** The change the watcher waits for, and when it was sent. */
  private static final class Expected {
    final String instanceId;
    final InstanceStatus status;
    final long sentNanos;
    final CompletableFuture<Long> seen = new CompletableFuture<>();

    Expected(String instanceId, InstanceStatus status, long sentNanos) {
      this.instanceId = instanceId;
      this.status = status;
      this.sentNanos = sentNanos;
    }

    void offer(Instance instance, long nowNanos) {
      if (instance.getInstanceId().equals(instanceId) && instance.getStatus() == status) {
        seen.complete(nowNanos);
      }
    }
  }

  /**
   * The Watch stream's observer: takes the time of each message first, then looks for the expected
   * change in it (in a delta, or in a snapshot sent after a reset). Runs on the channel's thread.
   */
  static final class Watcher implements ClientResponseObserver<WatchRequest, WatchResponse> {

    /** A watcher following {@code service} on target {@code node}. */
    static Watcher follow(BenchContext context, int node, String service) {
      Watcher watch = new Watcher();
      DiscoveryServiceGrpc.newStub(context.cluster().channel(node))
          .watch(
              WatchRequest.newBuilder()
                  .setNamespace(context.config().namespace())
                  .addTargets(WatchTarget.newBuilder().setService(service))
                  .build(),
              watch);
      return watch;
    }

    final CountDownLatch snapshot = new CountDownLatch(1);

    /** Messages of the first snapshot (more than one for a large service). */
    final AtomicInteger snapshotParts = new AtomicInteger();

    final AtomicReference<Expected> expected = new AtomicReference<>();
    final AtomicReference<Status> closed = new AtomicReference<>();
    private volatile ClientCallStreamObserver<WatchRequest> call;
    private volatile boolean cancelled;

    @Override
    public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
      this.call = requestStream;
    }

    @Override
    public void onNext(WatchResponse message) {
      long now = System.nanoTime();
      Expected waiting = expected.get();
      if (message.hasSnapshot()) {
        if (snapshot.getCount() > 0) {
          snapshotParts.incrementAndGet();
        }
        if (!message.getSnapshot().getMore()) {
          snapshot.countDown(); // whole with its last part
        }
        if (waiting != null) {
          message
              .getSnapshot()
              .getInstancesList()
              .forEach(instance -> waiting.offer(instance, now));
        }
      } else if (waiting != null) {
        for (InstanceChange change : message.getChanges().getChangesList()) {
          waiting.offer(change.getInstance(), now);
        }
      }
    }

    @Override
    public void onError(Throwable t) {
      if (cancelled) {
        return; // the phase's own cancel, not an early end
      }
      closed.compareAndSet(null, Status.fromThrowable(t));
      snapshot.countDown();
    }

    @Override
    public void onCompleted() {
      closed.compareAndSet(null, Status.OK.withDescription("the node completed the stream"));
      snapshot.countDown();
    }

    String closedLine() {
      Status status = closed.get();
      return status == null ? "" : " (" + status.getCode() + ": " + status.getDescription() + ")";
    }

    void cancel() {
      cancelled = true;
      ClientCallStreamObserver<WatchRequest> started = call;
      if (started != null && closed.get() == null) {
        started.cancel("the propagation phase ended", null);
      }
    }
  }
}
