package io.roster.bench;

import io.grpc.ManagedChannel;
import io.roster.v1.Instance;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The flooder's registrations: new instances, each of a service of its own ({@code flood-<n>}, n
 * the attempt's number), with 1 h leases, {@value #IN_FLIGHT} calls in flight, sent as fast as the
 * node answers. A refusal is not waited out: the flooder sends its next call at once, as a client
 * in a loop does, so the refusals are part of the load.
 *
 * <p>The calls go round robin over {@value #CONNECTIONS} connections to the target, so that what
 * stops the flooder is its caller's limit, which opening more connections does not escape, and not
 * only one connection's.
 *
 * <p>Bounded: the loop stops at its end time, at a stop request, or once the node has accepted (or
 * may still accept, counting the calls in flight) {@code maxAccepted}; then the calls in flight end
 * within their deadline.
 *
 * <p>Threading: {@link #start} runs the loop on a thread of its own; answers are counted on gRPC
 * threads; the counters may be read from any thread.
 */
final class FloodRegistrations {
  static final int IN_FLIGHT = 256;
  static final int CONNECTIONS = 4;

  /** Attempts started at most, per second: far above what a node refuses in a second. */
  private static final long MAX_ATTEMPTS_PER_SECOND = 1_000_000;

  private static final long LEASE_TTL_SECONDS = 3_600;

  private final UnaryLoad<RegisterResponse> load = new UnaryLoad<>(IN_FLIGHT);
  private final Queue<RegisteredLease> granted = new ConcurrentLinkedQueue<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private Thread thread;
  private volatile boolean drained;

  FloodRegistrations(Caller flooder, TargetAddress target) {
    for (int i = 0; i < CONNECTIONS; i++) {
      channels.add(flooder.connect(target));
    }
  }

  /** Starts registering until {@code endNanos} (a {@link System#nanoTime}). */
  void start(BenchContext context, int maxAccepted, long endNanos) {
    BenchConfig config = context.config();
    long seconds = Math.max(1, TimeUnit.NANOSECONDS.toSeconds(endNanos - System.nanoTime()));
    BooleanSupplier stop =
        () -> context.stopRequested() || load.started() - load.failed() >= maxAccepted;
    thread =
        new Thread(
            () -> {
              try {
                drained =
                    load.run(
                        MAX_ATTEMPTS_PER_SECOND * seconds,
                        endNanos,
                        TimeUnit.MILLISECONDS.toNanos(config.callDeadlineMillis() + 1_000),
                        stop,
                        (index, observer) ->
                            RegistryServiceGrpc.newStub(channels.get((int) (index % CONNECTIONS)))
                                .withDeadlineAfter(
                                    config.callDeadlineMillis(), TimeUnit.MILLISECONDS)
                                .register(request(config, index), observer),
                        (index, response) ->
                            granted.add(RegisteredLease.granted(service(index), response)));
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // the phase is ending: nothing to clean here
              }
            },
            "bench-flood-register");
    thread.setDaemon(true); // one stuck past every bound must not keep the bench alive
    thread.start();
  }

  /**
   * Waits for the loop to end (its end time, then the calls in flight), at most {@code
   * boundMillis}.
   *
   * @return whether every call started has ended
   */
  boolean awaitEnd(long boundMillis) throws InterruptedException {
    thread.join(boundMillis);
    return !thread.isAlive() && drained;
  }

  long accepted() {
    return load.succeeded();
  }

  /** Refused with RESOURCE_EXHAUSTED: for a rate, or for the namespace's instance quota. */
  long refused() {
    return load.failures().count("RESOURCE_EXHAUSTED");
  }

  /** Failed other than RESOURCE_EXHAUSTED (a deadline, an unavailable node). */
  long failedOtherwise() {
    return load.failed() - refused();
  }

  long attempts() {
    return load.started();
  }

  /** Failures by status code and the first one's text; empty when none failed. */
  String failureSummary() {
    return load.failureSummary();
  }

  /** The first refusal's text (it names the limit and the caller), or null. */
  String firstRefusal() {
    return load.failures().first("RESOURCE_EXHAUSTED");
  }

  double seconds() {
    return load.elapsedSeconds();
  }

  /** The leases the node granted, for the cleanup. */
  List<RegisteredLease> leases() {
    return new ArrayList<>(granted);
  }

  void close() throws InterruptedException {
    for (ManagedChannel channel : channels) {
      channel.shutdownNow();
    }
    for (ManagedChannel channel : channels) {
      channel.awaitTermination(2, TimeUnit.SECONDS);
    }
  }

  static String service(long index) {
    return "flood-" + index;
  }

  private static RegisterRequest request(BenchConfig config, long index) {
    return RegisterRequest.newBuilder()
        .setInstance(
            Instance.newBuilder()
                .setNamespace(config.namespace())
                .setService(service(index))
                .setInstanceId("f-0")
                .setHost(
                    String.format(
                        "10.%d.%d.%d", (index >> 16) & 0xff, (index >> 8) & 0xff, index & 0xff))
                .setPort(8080)
                .putMetadata("bench", "true"))
        .setLeaseTtl(com.google.protobuf.Duration.newBuilder().setSeconds(LEASE_TTL_SECONDS))
        .build();
  }
}
