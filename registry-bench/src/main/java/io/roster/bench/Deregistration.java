package io.roster.bench;

import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.roster.v1.DeregisterRequest;
import io.roster.v1.DeregisterResponse;
import io.roster.v1.InstanceKey;
import io.roster.v1.RegistryServiceGrpc;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Deregisters instances the bench registered, each with its epoch (so nothing registered since by
 * someone else is removed), {@code --concurrency} calls in flight, round robin over the nodes,
 * bounded in time. An instance already gone (evicted after its grace) counts as done. A call
 * refused for a rate limit is sent again after the delay the node asked for (its RetryInfo), as
 * long as the bound allows, holding its slot meanwhile: so a bench over a node's limit slows to it
 * rather than leaving instances behind. It runs on a stop request too: removing what the bench
 * registered is what a stop waits for.
 *
 * <p>Threading: {@link #run} on the bench's main thread; answers are counted on gRPC threads, and
 * refused calls are sent again from a timer thread of the run's own.
 */
final class Deregistration {
  private final List<RegisteredLease> leases;
  private final UnaryLoad<DeregisterResponse> load;
  private final AtomicIntegerArray done;
  private final LongAdder refusals = new LongAdder();
  private boolean drained;

  private Deregistration(List<RegisteredLease> leases, int concurrency) {
    this.leases = List.copyOf(leases);
    this.load = new UnaryLoad<>(concurrency);
    this.done = new AtomicIntegerArray(leases.size());
  }

  /**
   * Deregisters {@code leases} over the run's channels (round robin over the targets), showing
   * progress under {@code label}, for at most the bound.
   */
  static Deregistration run(
      BenchContext context, List<RegisteredLease> leases, long boundMillis, String label)
      throws InterruptedException {
    return run(context, leases, boundMillis, label, context.cluster()::nextChannel);
  }

  /** As {@link #run(BenchContext, List, long, String)}, each call on a channel of {@code next}. */
  static Deregistration run(
      BenchContext context,
      List<RegisteredLease> leases,
      long boundMillis,
      String label,
      Supplier<Channel> next)
      throws InterruptedException {
    BenchConfig config = context.config();
    Deregistration deregistration = new Deregistration(leases, config.concurrency());
    UnaryLoad<DeregisterResponse> load = deregistration.load;
    context
        .progress()
        .show(
            label,
            () ->
                String.format(
                    "deregistered %,d/%,d, refused for a rate and sent again %,d",
                    load.succeeded(), leases.size(), deregistration.refusals.sum()));
    long endNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(boundMillis);
    ScheduledExecutorService timer =
        Executors.newSingleThreadScheduledExecutor(
            task -> {
              Thread thread = new Thread(task, "bench-" + label + "-retry");
              thread.setDaemon(true);
              return thread;
            });
    try {
      deregistration.drained =
          load.run(
              leases.size(),
              endNanos,
              TimeUnit.MILLISECONDS.toNanos(config.callDeadlineMillis() + 1_000),
              () -> false,
              (index, observer) ->
                  deregistration.send(
                      leases.get((int) index),
                      new GoneIsDone(observer),
                      config,
                      next,
                      timer,
                      endNanos),
              (index, response) -> deregistration.done.set((int) index, 1));
    } finally {
      timer.shutdownNow();
      context.progress().clear();
    }
    return deregistration;
  }

  /**
   * Sends the Deregister of {@code lease}, and again (from {@code timer}) after each refusal's
   * delay until the end.
   */
  private void send(
      RegisteredLease lease,
      StreamObserver<DeregisterResponse> outcome,
      BenchConfig config,
      Supplier<Channel> next,
      ScheduledExecutorService timer,
      long endNanos) {
    RegistryServiceGrpc.newStub(next.get())
        .withDeadlineAfter(config.callDeadlineMillis(), TimeUnit.MILLISECONDS)
        .deregister(
            DeregisterRequest.newBuilder()
                .setKey(
                    InstanceKey.newBuilder()
                        .setNamespace(config.namespace())
                        .setService(lease.service())
                        .setInstanceId(lease.instanceId()))
                .setEpoch(lease.epoch())
                // Proves the registration is the bench's to a node that checks callers, when its
                // token has only the role register.
                .setLeaseId(lease.leaseId())
                .build(),
            new AfterRetryHint(
                outcome,
                endNanos,
                () -> {
                  refusals.increment();
                  send(lease, outcome, config, next, timer, endNanos);
                },
                timer));
  }

  long succeeded() {
    return load.succeeded();
  }

  long failed() {
    return load.failed();
  }

  String failureSummary() {
    return load.failureSummary();
  }

  /** Whether every call started was answered within its deadline. */
  boolean drained() {
    return drained;
  }

  double elapsedSeconds() {
    return load.elapsedSeconds();
  }

  /** Calls refused for a rate limit and sent again after the delay the node asked for. */
  long refusals() {
    return refusals.sum();
  }

  /** The leases not deregistered: failed, unanswered, or never tried within the bound. */
  List<RegisteredLease> left() {
    List<RegisteredLease> left = new ArrayList<>();
    for (int i = 0; i < done.length(); i++) {
      if (done.get(i) == 0) {
        left.add(leases.get(i));
      }
    }
    return left;
  }

  /**
   * Passes a Deregister's outcome on, unless it is a refusal with a retry delay that ends before
   * the run's end: then it runs {@code again} after that delay instead, on {@code timer}.
   */
  private static final class AfterRetryHint implements StreamObserver<DeregisterResponse> {
    private final StreamObserver<DeregisterResponse> next;
    private final long endNanos;
    private final Runnable again;
    private final ScheduledExecutorService timer;

    AfterRetryHint(
        StreamObserver<DeregisterResponse> next,
        long endNanos,
        Runnable again,
        ScheduledExecutorService timer) {
      this.next = next;
      this.endNanos = endNanos;
      this.again = again;
      this.timer = timer;
    }

    @Override
    public void onNext(DeregisterResponse value) {
      next.onNext(value);
    }

    @Override
    public void onError(Throwable error) {
      OptionalLong delayMillis = RetryHint.millis(error);
      if (delayMillis.isEmpty()
          || System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMillis.getAsLong())
              > endNanos) {
        next.onError(error);
        return;
      }
      try {
        timer.schedule(again, delayMillis.getAsLong(), TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException runEnded) {
        next.onError(error);
      }
    }

    @Override
    public void onCompleted() {
      next.onCompleted();
    }
  }

  /** Passes a Deregister's outcome on, with NOT_FOUND (already evicted) as a success. */
  private static final class GoneIsDone implements StreamObserver<DeregisterResponse> {
    private final StreamObserver<DeregisterResponse> next;

    GoneIsDone(StreamObserver<DeregisterResponse> next) {
      this.next = next;
    }

    @Override
    public void onNext(DeregisterResponse value) {
      next.onNext(value);
    }

    @Override
    public void onError(Throwable error) {
      if (Status.fromThrowable(error).getCode() == Status.Code.NOT_FOUND) {
        next.onNext(DeregisterResponse.getDefaultInstance());
        next.onCompleted();
      } else {
        next.onError(error);
      }
    }

    @Override
    public void onCompleted() {
      next.onCompleted();
    }
  }
}
