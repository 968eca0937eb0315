package io.roster.bench;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.DiscoverResponse;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.Instance;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The caller the flood phase protects: one service of {@value #INSTANCES} instances of its own, and
 * {@value #THREADS} threads reading it with blocking Discover calls, one in flight each, on a
 * connection each to the target, at most {@code --flood-reads-per-s} calls a second in all.
 *
 * <p>Well-behaved means within the nodes' limits, whatever the flood: unpaced, 8 threads on one
 * node of the 2-core machine of docs/benchmarks.md sent about 4,600 Discover calls a second in a
 * quiet spell, close enough to {@code limits.caller.reads-per-s} (5,000) that about one in 19 was
 * refused for their own rate. The default pace (2,000 a second, 250 on each connection) stays well
 * under the caller's and each connection's read limits (5,000 and 1,000). A refusal for a rate is
 * followed by a wait of the delay the node asked for, as a well-behaved client does, and counted as
 * a failed call.
 *
 * <p>Threading: {@link #register} and {@link #measure} on the phase's thread; the Discover calls
 * run on threads of their own.
 */
final class WellBehavedCaller {
  static final int THREADS = 8;
  static final int INSTANCES = 100;
  static final String SERVICE = "well-behaved";

  /** The longest lease a node grants by default: no heartbeat needed while the phase lasts. */
  private static final long LEASE_TTL_SECONDS = 3_600;

  /** Queries started at most, per second of a measurement: far above what one node serves. */
  private static final long MAX_QUERIES_PER_SECOND = 1_000_000;

  private final Caller caller;
  private final List<ManagedChannel> channels = new ArrayList<>();

  WellBehavedCaller(Caller caller, TargetAddress target) {
    this.caller = caller;
    for (int t = 0; t < THREADS; t++) {
      channels.add(caller.connect(target));
    }
  }

  Caller caller() {
    return caller;
  }

  /**
   * Registers the service's instances on the target, each lease added to the run's registered ones,
   * bounded by {@code boundMillis}.
   *
   * @return why it could not register them all, or null
   */
  String register(BenchContext context, long boundMillis) throws InterruptedException {
    BenchConfig config = context.config();
    long endNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(boundMillis);
    long shortestTtlMillis = Long.MAX_VALUE;
    for (int i = 0; i < INSTANCES; i++) {
      RegisterResponse response = null;
      while (response == null) {
        if (context.stopRequested() || System.nanoTime() - endNanos > 0) {
          return "registered "
              + i
              + " of "
              + INSTANCES
              + " instances within "
              + boundMillis
              + " ms";
        }
        try {
          response =
              RegistryServiceGrpc.newBlockingStub(channels.get(0))
                  .withDeadlineAfter(config.callDeadlineMillis(), TimeUnit.MILLISECONDS)
                  .register(request(config, i));
        } catch (StatusRuntimeException e) {
          OptionalLong delay = RetryHint.millis(e);
          if (delay.isEmpty()) {
            return "registering instance " + i + " failed: " + e.getStatus();
          }
          TimeUnit.MILLISECONDS.sleep(delay.getAsLong());
        }
      }
      RegisteredLease lease = RegisteredLease.granted(SERVICE, response);
      context.registered().add(lease);
      shortestTtlMillis = Math.min(shortestTtlMillis, lease.ttlMillis());
    }
    long phaseMillis = 2 * context.config().flood().durationMillis() + boundMillis;
    if (shortestTtlMillis < phaseMillis) {
      return "the node granted a lease of "
          + shortestTtlMillis
          + " ms, shorter than the phase (up to "
          + phaseMillis
          + " ms): instances could expire while it reads them (lease.max-ttl-ms)";
    }
    return null;
  }

  /**
   * Reads the service from every thread for {@code durationMillis}, each answer checked to list
   * every instance, then waits for the calls in flight (at most the call deadline). The progress
   * line shows {@code alongside} after the caller's own figures.
   */
  DiscoverFigures measure(
      BenchContext context, long durationMillis, String label, Supplier<String> alongside)
      throws InterruptedException {
    BenchConfig config = context.config();
    BlockingLoad<DiscoverResponse> load =
        new BlockingLoad<DiscoverResponse>(THREADS, "flood-" + label)
            .pacedAt(config.flood().readsPerSecond());
    AtomicLong shortAnswers = new AtomicLong();
    DiscoverRequest request =
        DiscoverRequest.newBuilder().setNamespace(config.namespace()).setService(SERVICE).build();
    Progress.Rate rate = new Progress.Rate();
    context
        .progress()
        .show(
            FloodPhase.NAME + " " + label,
            () ->
                String.format(
                    "well-behaved Discover %,.0f/s, failed %d, short %d%s",
                    rate.perSecond(load.succeeded()),
                    load.failed(),
                    shortAnswers.get(),
                    alongside.get()));
    load.run(
        MAX_QUERIES_PER_SECOND * Math.max(1, TimeUnit.MILLISECONDS.toSeconds(durationMillis)),
        System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(durationMillis),
        TimeUnit.MILLISECONDS.toNanos(config.callDeadlineMillis() + 1_000),
        context::stopRequested,
        (thread, index) -> discover(channels.get(thread), request, config.callDeadlineMillis()),
        (index, response) -> {
          if (response.getInstancesCount() < INSTANCES) {
            shortAnswers.incrementAndGet();
          }
        });
    context.progress().clear();
    return DiscoverFigures.of(load, shortAnswers.get());
  }

  /** One Discover; after a refusal for a rate, waits the delay asked for before it fails. */
  private static DiscoverResponse discover(
      ManagedChannel channel, DiscoverRequest request, long deadlineMillis) {
    try {
      return DiscoveryServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS)
          .discover(request);
    } catch (StatusRuntimeException e) {
      OptionalLong delay = RetryHint.millis(e);
      if (delay.isPresent()) {
        try {
          TimeUnit.MILLISECONDS.sleep(Math.min(delay.getAsLong(), 1_000));
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt(); // the load is ending: its loop sees the flag
        }
      }
      throw e;
    }
  }

  private static RegisterRequest request(BenchConfig config, int index) {
    return RegisterRequest.newBuilder()
        .setInstance(
            Instance.newBuilder()
                .setNamespace(config.namespace())
                .setService(SERVICE)
                .setInstanceId(String.format("w-%03d", index))
                .setHost("10.200.0." + index)
                .setPort(8080)
                .putMetadata("bench", "true"))
        .setLeaseTtl(com.google.protobuf.Duration.newBuilder().setSeconds(LEASE_TTL_SECONDS))
        .build();
  }

  void close() throws InterruptedException {
    for (ManagedChannel channel : channels) {
      channel.shutdownNow();
    }
    for (ManagedChannel channel : channels) {
      channel.awaitTermination(2, TimeUnit.SECONDS);
    }
  }
}
