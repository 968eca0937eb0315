package io.roster.bench;

import io.grpc.stub.StreamObserver;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.DiscoverResponse;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.HealthState;
import io.roster.v1.Instance;
import io.roster.v1.KeepAliveResponse;
import io.roster.v1.LeaseState;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegisterResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * How long after an instance's last heartbeat the cluster marks it unhealthy. Registers a sample of
 * {@code --fd-sample} instances (TTL {@code --fd-lease-ttl-ms}, or the node's default when unset),
 * keeps them alive on KeepAlive streams for a few seconds, then stops each one at a moment drawn at
 * random within a 2 s window: at that moment it sends one last heartbeat, and sends none after it.
 * Meanwhile it asks one node every 50 ms for the sample's services, unhealthy instances included,
 * and notes when each sample instance is first listed HEALTH_STATE_UNHEALTHY.
 *
 * <p>Detection time = first poll answer showing it unhealthy − when its last heartbeat was sent. It
 * includes up to one poll interval (50 ms) of observation delay and the node's view propagation;
 * the lease itself ends TTL (plus up to one renewal window) after that heartbeat reached the node,
 * and the leader's sweep runs every 500 ms.
 *
 * <p>The population keeps heartbeating in the background all along, at its real rate. The sample is
 * spread over the population's services so that no service loses more than a tenth of its
 * instances, and it must stay under the leader's registry-wide eviction budget (15 % of the
 * registry in any 60 s by default; 1,530 for 10,200 instances): a larger silence across that many
 * services is held back, and this would measure the budget, not detection.
 *
 * <p>Bounded: registration by {@code countedPhaseBoundMillis}; the rest by warm-up + stop window +
 * TTL + 60 s.
 */
final class FailureDetectionPhase implements Phase {
  static final String NAME = "failure-detection";

  private static final long TICK_MILLIS = 10;
  private static final long POLL_MILLIS = 50;
  private static final long STOP_WINDOW_MILLIS = 2_000;
  private static final long BOUND_AFTER_TTL_MILLIS = 60_000;

  /** Share of a service's instances the sample may take. */
  private static final double SAMPLE_SHARE_PER_SERVICE = 0.10;

  private static final long UNSET = Long.MIN_VALUE;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public boolean needsPopulation() {
    return true;
  }

  @Override
  public PhaseResult run(BenchContext context) throws InterruptedException {
    BenchConfig config = context.config();
    PhaseResult result = new PhaseResult(NAME);
    if (context.population().isEmpty()) {
      return result
          .put("ops", 0)
          .problem("no population: the sample goes into the population's services");
    }
    int sample = config.failureSample();
    int perService =
        Math.max(
            1,
            (int)
                Math.floor(
                    SAMPLE_SHARE_PER_SERVICE * context.population().size() / config.services()));
    int sampleServices = Math.min(config.services(), (sample + perService - 1) / perService);
    long lostBefore = context.background().notActive();
    long lapsesBefore = context.startGaps();
    long backgroundBefore = context.background().active();
    NodeCpu.Reading cpuBefore = context.startTimed(NAME);
    long phaseStart = System.nanoTime();

    // 1. Register the sample.
    AtomicReferenceArray<RegisteredLease> registered = new AtomicReferenceArray<>(sample);
    UnaryLoad<RegisterResponse> registration =
        new UnaryLoad<>(Math.min(config.concurrency(), sample));
    context
        .progress()
        .show(
            NAME,
            () -> String.format("registering the sample: %d/%d", registration.succeeded(), sample));
    context.register(
        registration,
        sample,
        config.countedPhaseBoundMillis(),
        index -> request(config, index, sampleServices),
        index -> BenchContext.serviceName(index % sampleServices),
        (lease, index) -> {
          registered.set(index, lease);
          context.registered().add(lease);
        });
    List<RegisteredLease> leases = new ArrayList<>();
    for (int i = 0; i < sample; i++) {
      if (registered.get(i) != null) {
        leases.add(registered.get(i));
      }
    }
    if (leases.isEmpty()) {
      context.progress().clear();
      return result
          .put("ops", 0)
          .problem("no sample instance registered " + registration.failureSummary());
    }
    Run run = new Run(context, leases, sampleServices);
    run.go();
    NodeCpu.Usage cpu = context.endTimed(NAME, cpuBefore);
    context.progress().clear();

    // 2. Report.
    long ttlMillis = leases.get(0).ttlMillis();
    double[] detections = run.detectionMillis();
    double p99 = percentile(detections, 99);
    long lost = context.backgroundLost(result, lostBefore);
    result
        .put("ops", detections.length)
        .put("sample", sample)
        .put("sampleServices", sampleServices)
        .put("ttlMs", ttlMillis)
        .put("heartbeatIntervalMs", leases.get(0).heartbeatIntervalMillis())
        .put("p50Ms", percentile(detections, 50))
        .put("p99Ms", p99)
        .put("minMs", percentile(detections, 0))
        .put("maxMs", percentile(detections, 100))
        .put("p99MinusTtlMs", BenchContext.orNull(p99 - ttlMillis))
        .put("undetected", run.undetected())
        .put("premature", run.premature())
        .put("unconfirmed", run.unconfirmed())
        .put("pollErrors", run.pollErrors.get())
        .put("seconds", (System.nanoTime() - phaseStart) / 1e9)
        .put(
            "backgroundHeartbeatsPerSec",
            (context.background().active() - backgroundBefore) / cpu.wallSeconds())
        .put("lostLeases", lost + run.sampleNotActive())
        .latencies(Latencies.ofMillis(detections), "last heartbeat sent → listed unhealthy");
    BenchContext.putCpu(result, cpu);
    context.putGaps(result, lapsesBefore);
    result.note(
        String.format(
            "TTL %,d ms; %d of %d detected; polls every %d ms",
            ttlMillis, detections.length, leases.size(), POLL_MILLIS));
    if (leases.size() < sample) {
      result.problem(
          (sample - leases.size())
              + " sample registrations failed "
              + registration.failureSummary());
    }
    if (run.undetected() > 0) {
      result.problem(
          run.undetected()
              + " stopped instances never listed unhealthy within TTL + "
              + BOUND_AFTER_TTL_MILLIS
              + " ms");
    }
    if (run.premature() > 0) {
      result.problem(run.premature() + " instances listed unhealthy while they still heartbeated");
    }
    if (run.sampleNotActive() > 0) {
      result.problem(run.sampleNotActive() + " sample heartbeats answered other than ACTIVE");
    }
    if (run.unconfirmed() > 0) {
      result.problem(run.unconfirmed() + " last heartbeats never answered: not measured");
    }
    return result;
  }

  /** Sample instance {@code index}, in one of the first {@code services} population services. */
  static RegisterRequest request(BenchConfig config, int index, int services) {
    RegisterRequest.Builder request =
        RegisterRequest.newBuilder()
            .setInstance(
                Instance.newBuilder()
                    .setNamespace(config.namespace())
                    .setService(BenchContext.serviceName(index % services))
                    .setInstanceId(String.format("fd-%05d", index))
                    .setHost(String.format("10.254.%d.%d", (index >> 8) & 0xff, index & 0xff))
                    .setPort(8080)
                    .putMetadata("bench", "failure-detection"));
    if (config.failureLeaseTtlMillis() > 0) {
      request.setLeaseTtl(BenchContext.duration(config.failureLeaseTtlMillis()));
    }
    return request.build();
  }

  /** Nearest-rank percentile of {@code values} (sorted), NaN when empty. */
  static double percentile(double[] values, double percentile) {
    if (values.length == 0) {
      return Double.NaN;
    }
    int rank = (int) Math.ceil(percentile / 100.0 * values.length);
    return values[Math.max(0, Math.min(values.length - 1, rank - 1))];
  }

  /**
   * The heartbeats, stops and polls of one sample.
   *
   * <p>Threading: {@link #go} runs on the main thread, which alone sends heartbeats and starts
   * polls and owns the plain arrays; answers and poll results arrive on transport threads and write
   * only the atomic arrays.
   */
  private static final class Run {
    private final BenchContext context;
    private final List<RegisteredLease> leases;
    private final int sampleServices;
    private final Map<String, Integer> byLeaseId = new HashMap<>();
    private final Map<String, Integer> byInstanceId = new HashMap<>();
    private final List<List<Integer>> byService = new ArrayList<>();
    private final List<KeepAliveStream> streams = new ArrayList<>();
    // Main thread only.
    private final long[] nextBeatNanos;
    private final long[] stopAtNanos;
    private final int[] sent;
    private final boolean[] stopped;
    // Written by the main thread, read by poll answers.
    private final AtomicLongArray lastBeatNanos;
    // Written by transport threads.
    private final AtomicIntegerArray answered;
    private final AtomicIntegerArray notActive;
    private final AtomicLongArray detectedNanos;
    private final AtomicIntegerArray prematurely;
    private final AtomicBoolean[] pollInFlight;
    private final AtomicLong detected = new AtomicLong();
    final AtomicLong pollErrors = new AtomicLong();

    Run(BenchContext context, List<RegisteredLease> leases, int sampleServices) {
      this.context = context;
      this.leases = leases;
      this.sampleServices = sampleServices;
      int n = leases.size();
      nextBeatNanos = new long[n];
      stopAtNanos = new long[n];
      sent = new int[n];
      stopped = new boolean[n];
      lastBeatNanos = new AtomicLongArray(n);
      answered = new AtomicIntegerArray(n);
      notActive = new AtomicIntegerArray(n);
      detectedNanos = new AtomicLongArray(n);
      prematurely = new AtomicIntegerArray(n);
      pollInFlight = new AtomicBoolean[sampleServices];
      for (int s = 0; s < sampleServices; s++) {
        byService.add(new ArrayList<>());
        pollInFlight[s] = new AtomicBoolean();
      }
      for (int k = 0; k < n; k++) {
        RegisteredLease lease = leases.get(k);
        byLeaseId.put(lease.leaseId(), k);
        byInstanceId.put(lease.instanceId(), k);
        byService.get(serviceIndex(lease.service())).add(k);
        lastBeatNanos.set(k, UNSET);
        detectedNanos.set(k, UNSET);
      }
    }

    void go() throws InterruptedException {
      BenchConfig config = context.config();
      Cluster cluster = context.cluster();
      KeepAliveStream.Listener listener =
          new KeepAliveStream.Listener() {
            @Override
            public void onAnswer(KeepAliveStream from, KeepAliveResponse answer, long nanos) {
              Integer k = byLeaseId.get(answer.getLeaseId());
              if (k != null) {
                answered.incrementAndGet(k);
                if (answer.getState() != LeaseState.LEASE_STATE_ACTIVE) {
                  notActive.incrementAndGet(k);
                }
              }
            }
          };
      for (int node = 0; node < cluster.size(); node++) {
        streams.add(
            new KeepAliveStream(
                cluster.channel(node),
                cluster.target(node).authority(),
                config.unansweredPerStream(),
                listener));
      }
      long ttlNanos = TimeUnit.MILLISECONDS.toNanos(leases.get(0).ttlMillis());
      long intervalNanos =
          Math.max(
              TimeUnit.MILLISECONDS.toNanos(100),
              TimeUnit.MILLISECONDS.toNanos(leases.get(0).heartbeatIntervalMillis()));
      // A few seconds of heartbeats first: at least two intervals, 2 to 4 s.
      long warmupNanos =
          Math.max(
              TimeUnit.SECONDS.toNanos(2),
              Math.min(TimeUnit.SECONDS.toNanos(4), 2 * intervalNanos));
      SplittableRandom random = context.newRandom();
      long start = System.nanoTime();
      for (int k = 0; k < leases.size(); k++) {
        nextBeatNanos[k] = start;
        stopAtNanos[k] =
            start
                + warmupNanos
                + (long) (random.nextDouble() * TimeUnit.MILLISECONDS.toNanos(STOP_WINDOW_MILLIS));
      }
      long pollFrom = start + warmupNanos;
      long deadline =
          pollFrom
              + TimeUnit.MILLISECONDS.toNanos(STOP_WINDOW_MILLIS + BOUND_AFTER_TTL_MILLIS)
              + ttlNanos;
      long maxTicks = (deadline - start) / TimeUnit.MILLISECONDS.toNanos(TICK_MILLIS) + 100;
      Progress.Rate background = new Progress.Rate(context.background().active());
      context
          .progress()
          .show(
              NAME,
              () ->
                  String.format(
                      "stopped %d/%d, detected %d, premature %d%s",
                      stoppedCount(),
                      leases.size(),
                      detected.get(),
                      premature(),
                      context.backgroundLine(background)));
      long nextPoll = pollFrom;
      for (long tick = 0;
          tick < maxTicks
              && System.nanoTime() - deadline < 0
              && !context.stopRequested()
              && detected.get() < leases.size();
          tick++) {
        long now = System.nanoTime();
        beat(now, intervalNanos);
        if (now - nextPoll >= 0) {
          nextPoll = now + TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS);
          poll(config);
        }
        TimeUnit.MILLISECONDS.sleep(TICK_MILLIS);
      }
      for (KeepAliveStream stream : streams) {
        stream.halfClose();
      }
      for (KeepAliveStream stream : streams) {
        if (!stream.awaitClosed(2_000)) {
          stream.cancel();
        }
      }
    }

    /** Sends the heartbeats due: the regular ones, and each instance's last at its stop moment. */
    private void beat(long now, long intervalNanos) {
      for (int k = 0; k < leases.size(); k++) {
        if (stopped[k]) {
          continue;
        }
        boolean last = now - stopAtNanos[k] >= 0;
        if (!last && now - nextBeatNanos[k] < 0) {
          continue;
        }
        RegisteredLease lease = leases.get(k);
        long sentAt = System.nanoTime();
        if (!streams.get(k % streams.size()).trySend(lease.leaseId(), lease.epoch(), false)) {
          continue; // window full: due again on the next tick
        }
        sent[k]++;
        nextBeatNanos[k] = sentAt + intervalNanos;
        if (last) {
          stopped[k] = true;
          lastBeatNanos.set(k, sentAt);
        }
      }
    }

    /** Asks for each service with an instance not yet seen unhealthy, one poll in flight each. */
    private void poll(BenchConfig config) {
      for (int s = 0; s < sampleServices; s++) {
        boolean pending = false;
        for (int k : byService.get(s)) {
          pending |= detectedNanos.get(k) == UNSET;
        }
        if (!pending || !pollInFlight[s].compareAndSet(false, true)) {
          continue;
        }
        AtomicBoolean inFlight = pollInFlight[s];
        DiscoveryServiceGrpc.newStub(context.cluster().channel(0))
            .withDeadlineAfter(config.callDeadlineMillis(), TimeUnit.MILLISECONDS)
            .discover(
                DiscoverRequest.newBuilder()
                    .setNamespace(config.namespace())
                    .setService(BenchContext.serviceName(s))
                    .setIncludeUnhealthy(true)
                    .build(),
                new StreamObserver<DiscoverResponse>() {
                  @Override
                  public void onNext(DiscoverResponse response) {
                    onPollAnswer(response, System.nanoTime());
                  }

                  @Override
                  public void onError(Throwable error) {
                    pollErrors.incrementAndGet();
                    inFlight.set(false);
                  }

                  @Override
                  public void onCompleted() {
                    inFlight.set(false);
                  }
                });
      }
    }

    private void onPollAnswer(DiscoverResponse response, long receivedNanos) {
      for (Instance instance : response.getInstancesList()) {
        Integer k = byInstanceId.get(instance.getInstanceId());
        if (k == null || instance.getHealth() != HealthState.HEALTH_STATE_UNHEALTHY) {
          continue;
        }
        if (lastBeatNanos.get(k) == UNSET) {
          prematurely.set(k, 1); // unhealthy while it still heartbeats: a false positive
        } else if (detectedNanos.compareAndSet(k, UNSET, receivedNanos)) {
          detected.incrementAndGet();
        }
      }
    }

    private int serviceIndex(String service) {
      for (int s = 0; s < sampleServices; s++) {
        if (BenchContext.serviceName(s).equals(service)) {
          return s;
        }
      }
      throw new IllegalStateException(
          "sample service " + service + " is not one of the first " + sampleServices);
    }

    private int stoppedCount() {
      int count = 0;
      for (int k = 0; k < leases.size(); k++) {
        if (lastBeatNanos.get(k) != UNSET) {
          count++;
        }
      }
      return count;
    }

    /** Detection times in ms, sorted, of instances whose every heartbeat was answered ACTIVE. */
    double[] detectionMillis() {
      List<Double> times = new ArrayList<>();
      for (int k = 0; k < leases.size(); k++) {
        if (confirmed(k) && detectedNanos.get(k) != UNSET) {
          times.add((detectedNanos.get(k) - lastBeatNanos.get(k)) / 1e6);
        }
      }
      double[] sorted = times.stream().mapToDouble(Double::doubleValue).toArray();
      Arrays.sort(sorted);
      return sorted;
    }

    /** Stopped instances never seen unhealthy. */
    int undetected() {
      int count = 0;
      for (int k = 0; k < leases.size(); k++) {
        if (detectedNanos.get(k) == UNSET) {
          count++;
        }
      }
      return count;
    }

    int premature() {
      int count = 0;
      for (int k = 0; k < leases.size(); k++) {
        count += prematurely.get(k);
      }
      return count;
    }

    /** Detected, but not every heartbeat of it was answered ACTIVE: its last one is not known. */
    int unconfirmed() {
      int count = 0;
      for (int k = 0; k < leases.size(); k++) {
        if (detectedNanos.get(k) != UNSET && !confirmed(k)) {
          count++;
        }
      }
      return count;
    }

    int sampleNotActive() {
      int count = 0;
      for (int k = 0; k < leases.size(); k++) {
        count += notActive.get(k);
      }
      return count;
    }

    private boolean confirmed(int k) {
      return stopped[k] && answered.get(k) == sent[k] && notActive.get(k) == 0;
    }
  }
}
