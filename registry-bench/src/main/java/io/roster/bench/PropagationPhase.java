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
  private static final long SNAPSHOT_BOUND_MILLIS = 10_000;

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
    List<RegisteredLease> probes = registerProbes(context, writer);
    Watcher watch = new Watcher();
    DiscoveryServiceGrpc.newStub(context.cluster().channel(watcher))
        .watch(
            WatchRequest.newBuilder()
                .setNamespace(config.namespace())
                .addTargets(WatchTarget.newBuilder().setService(SERVICE))
                .build(),
            watch);
    Latencies latencies = new Latencies();
    Latencies writes = new Latencies();
    AtomicLong changes = new AtomicLong();
    long missed = 0;
    long failedWrites = 0;
    Progress.Rate background = new Progress.Rate(context.background().active());
    context
        .progress()
        .show(
            NAME,
            () ->
                String.format(
                    "%,d changes, p50 %.2f ms, p99 %.2f ms%s",
                    changes.get(),
                    latencies.percentileMillis(50),
                    latencies.percentileMillis(99),
                    context.backgroundLine(background)));
    long lostBefore = context.background().notActive();
    long lapsesBefore = context.startGaps();
    long backgroundBefore = context.background().active();
    NodeCpu.Reading cpuBefore = context.cpu().read();
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
      SplittableRandom random = context.newRandom();
      long endNanos =
          System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.phaseDurationMillis());
      boolean[] draining = new boolean[probes.size()];
      for (long k = 0;
          k < config.propagationChanges()
              && System.nanoTime() < endNanos
              && !context.stopRequested()
              && watch.closed.get() == null;
          k++) {
        int probe = (int) (k % probes.size());
        draining[probe] = !draining[probe];
        InstanceStatus status =
            draining[probe]
                ? InstanceStatus.INSTANCE_STATUS_DRAINING
                : InstanceStatus.INSTANCE_STATUS_UP;
        Expected expected = new Expected(probes.get(probe).instanceId(), status, System.nanoTime());
        watch.expected.set(expected);
        CompletableFuture<Long> written = setStatus(context, writer, probes.get(probe), status);
        try {
          long eventNanos = expected.seen.get(EVENT_BOUND_MILLIS, TimeUnit.MILLISECONDS);
          latencies.recordNanos(eventNanos - expected.sentNanos);
          changes.incrementAndGet();
        } catch (TimeoutException e) {
          missed++;
        } catch (ExecutionException e) {
          throw new IllegalStateException("the watcher failed", e.getCause());
        }
        try {
          writes.recordNanos(
              written.get(config.callDeadlineMillis(), TimeUnit.MILLISECONDS) - expected.sentNanos);
        } catch (TimeoutException | ExecutionException e) {
          failedWrites++;
        }
        // A random moment for the next change, as changes come in a real registry.
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(random.nextLong(MAX_PAUSE_MILLIS + 1)));
      }
    } finally {
      watch.cancel();
      context.progress().clear();
    }
    NodeCpu.Usage cpu = context.cpu().since(cpuBefore);
    long lost = context.backgroundLost(result, lostBefore);
    double backgroundPerSecond =
        (context.background().active() - backgroundBefore) / cpu.wallSeconds();
    result
        .put("ops", changes.get())
        .put("writer", context.cluster().target(writer).toString())
        .put("watcher", context.cluster().target(watcher).toString())
        .put("p50Ms", latencies.percentileMillis(50))
        .put("p99Ms", latencies.percentileMillis(99))
        .put("p999Ms", latencies.percentileMillis(99.9))
        .put("maxMs", latencies.maxMillis())
        .put("writeP50Ms", writes.percentileMillis(50))
        .put("writeP99Ms", writes.percentileMillis(99))
        .put("missedEvents", missed)
        .put("failedWrites", failedWrites)
        .put("backgroundHeartbeatsPerSec", BenchContext.orNull(backgroundPerSecond))
        .put("lostLeases", lost)
        .latencies(latencies, "SetStatus sent on node A → event on a Watch stream on node C");
    BenchContext.putCpu(result, cpu);
    context.putGaps(result, lapsesBefore);
    result.note(
        String.format(
            "SetStatus sent to %s → event on a Watch stream on %s; SetStatus answered p50 %s ms;"
                + " background %,.0f heartbeats/s",
            context.cluster().target(writer),
            context.cluster().target(watcher),
            Json.number(writes.percentileMillis(50)),
            backgroundPerSecond));
    if (missed > 0) {
      result.problem(
          missed + " changes reached no Watch event within " + EVENT_BOUND_MILLIS + " ms");
    }
    if (failedWrites > 0) {
      result.problem(failedWrites + " SetStatus calls failed or went unanswered");
    }
    if (watch.closed.get() != null) {
      result.problem("the Watch stream ended early" + watch.closedLine());
    }
    return result;
  }

  /** Registers the probes through the writer node; their leases join the background heartbeats. */
  private static List<RegisteredLease> registerProbes(BenchContext context, int writer) {
    BenchConfig config = context.config();
    List<RegisteredLease> probes = new ArrayList<>();
    for (int i = 0; i < PROBES; i++) {
      RegisterResponse response =
          RegistryServiceGrpc.newBlockingStub(context.cluster().channel(writer))
              .withDeadlineAfter(config.callDeadlineMillis(), TimeUnit.MILLISECONDS)
              .register(
                  RegisterRequest.newBuilder()
                      .setInstance(
                          Instance.newBuilder()
                              .setNamespace(config.namespace())
                              .setService(SERVICE)
                              .setInstanceId("probe-" + i)
                              .setHost("10.255.0." + (i + 1))
                              .setPort(8080))
                      .build());
      RegisteredLease lease = RegisteredLease.granted(SERVICE, response);
      context.registered().add(lease);
      context.gaps().track(lease, System.nanoTime());
      context.background().add(lease);
      probes.add(lease);
    }
    return probes;
  }

  /** Sends the change; completes with the {@link System#nanoTime} of its answer. */
  private static CompletableFuture<Long> setStatus(
      BenchContext context, int writer, RegisteredLease probe, InstanceStatus status) {
    CompletableFuture<Long> answered = new CompletableFuture<>();
    RegistryServiceGrpc.newStub(context.cluster().channel(writer))
        .withDeadlineAfter(context.config().callDeadlineMillis(), TimeUnit.MILLISECONDS)
        .setStatus(
            SetStatusRequest.newBuilder()
                .setKey(
                    InstanceKey.newBuilder()
                        .setNamespace(context.config().namespace())
                        .setService(SERVICE)
                        .setInstanceId(probe.instanceId()))
                .setStatus(status)
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
  private static final class Watcher
      implements ClientResponseObserver<WatchRequest, WatchResponse> {
    final CountDownLatch snapshot = new CountDownLatch(1);
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
        snapshot.countDown();
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
