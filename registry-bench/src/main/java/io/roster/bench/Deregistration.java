package io.roster.bench;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.roster.v1.DeregisterRequest;
import io.roster.v1.DeregisterResponse;
import io.roster.v1.InstanceKey;
import io.roster.v1.RegistryServiceGrpc;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Deregisters instances the bench registered, each with its epoch (so nothing registered since by
 * someone else is removed), {@code --concurrency} calls in flight, round robin over the nodes,
 * bounded in time. An instance already gone (evicted after its grace) counts as done. It runs on a
 * stop request too: removing what the bench registered is what a stop waits for.
 *
 * <p>Threading: {@link #run} on the bench's main thread; answers are counted on gRPC threads.
 */
final class Deregistration {
  private final List<RegisteredLease> leases;
  private final UnaryLoad<DeregisterResponse> load;
  private final AtomicIntegerArray done;
  private boolean drained;

  private Deregistration(List<RegisteredLease> leases, int concurrency) {
    this.leases = List.copyOf(leases);
    this.load = new UnaryLoad<>(concurrency);
    this.done = new AtomicIntegerArray(leases.size());
  }

  /** Deregisters {@code leases}, showing progress under {@code label}, for at most the bound. */
  static Deregistration run(
      BenchContext context, List<RegisteredLease> leases, long boundMillis, String label)
      throws InterruptedException {
    BenchConfig config = context.config();
    Deregistration deregistration = new Deregistration(leases, config.concurrency());
    UnaryLoad<DeregisterResponse> load = deregistration.load;
    context
        .progress()
        .show(label, () -> String.format("deregistered %,d/%,d", load.succeeded(), leases.size()));
    deregistration.drained =
        load.run(
            leases.size(),
            System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(boundMillis),
            TimeUnit.MILLISECONDS.toNanos(config.callDeadlineMillis() + 1_000),
            () -> false,
            (index, observer) -> {
              RegisteredLease lease = leases.get((int) index);
              RegistryServiceGrpc.newStub(context.cluster().nextChannel())
                  .withDeadlineAfter(config.callDeadlineMillis(), TimeUnit.MILLISECONDS)
                  .deregister(
                      DeregisterRequest.newBuilder()
                          .setKey(
                              InstanceKey.newBuilder()
                                  .setNamespace(config.namespace())
                                  .setService(lease.service())
                                  .setInstanceId(lease.instanceId()))
                          .setEpoch(lease.epoch())
                          // Proves the registration is the bench's to a node that checks
                          // callers, when its token has only the role register.
                          .setLeaseId(lease.leaseId())
                          .build(),
                      new GoneIsDone(observer));
            },
            (index, response) -> deregistration.done.set((int) index, 1));
    context.progress().clear();
    return deregistration;
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
