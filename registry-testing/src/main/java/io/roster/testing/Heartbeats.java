package io.roster.testing;

import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import io.roster.v1.HeartbeatRequest;
import io.roster.v1.HeartbeatResponse;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Keeps leases alive from a test, as instances do: a unary Heartbeat for each lease every {@code
 * period}, to the first of the {@code targets} that answers within {@link #DEADLINE_MILLIS} (a
 * client moves to the next node when one fails or does not answer). Stops on {@link #close}, and by
 * itself after {@code maxRunTime}, so a failed test never leaves it running.
 *
 * <p>A round's heartbeats go out asynchronously, every lease at once up to {@link #MAX_IN_FLIGHT}:
 * one at a time, a node that hangs cost each lease a full deadline, so a round of hundreds took
 * minutes and leases expired for want of heartbeats the test meant to send. A lease whose heartbeat
 * of an earlier round is still under way (waiting on a hung node) sits that round out, as a client
 * does not pile up heartbeats either.
 *
 * <p>Threading: rounds and the handling of every answer run on one thread ("test-heartbeats"); gRPC
 * hands answers to it, so the queue and in-flight count need no locks. {@link #keep}, {@link
 * #stop}, {@link #sent}, {@link #failed} and {@link #close} may be called from any thread.
 */
public final class Heartbeats implements AutoCloseable {

  /** Deadline of one heartbeat to one target, after which the next target is tried. */
  public static final long DEADLINE_MILLIS = 2_000;

  /**
   * Heartbeats under way at once. A node accepts 100 concurrent streams per connection (Vert.x's
   * HTTP/2 default); more would wait in the channel for a stream, their deadline running, and fail
   * over without the node having been asked.
   */
  public static final int MAX_IN_FLIGHT = 100;

  private final List<RegisterResponse> leases = new CopyOnWriteArrayList<>();
  private final AtomicInteger sent = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  private final ScheduledExecutorService thread =
      Executors.newSingleThreadScheduledExecutor(
          runnable -> {
            Thread thread = new Thread(runnable, "test-heartbeats");
            thread.setDaemon(true);
            return thread;
          });

  /**
   * Every call runs in it; cancelling it on close (or after maxRunTime) cancels those under way.
   */
  private final Context.CancellableContext calls = Context.current().withCancellation();

  // Confined to the "test-heartbeats" thread.
  private final Queue<Beat> waiting = new ArrayDeque<>();
  private final Set<String> underWay = new HashSet<>(); // lease ids waiting or in flight
  private int inFlight;

  /**
   * @param targets the nodes to try, in order, at each round (a client fails over to the next)
   */
  public Heartbeats(Supplier<List<ManagedChannel>> targets, Duration period, Duration maxRunTime) {
    long startedNanos = System.nanoTime();
    thread.scheduleAtFixedRate(
        () -> {
          if (System.nanoTime() - startedNanos > maxRunTime.toNanos()) {
            close();
            return;
          }
          round(List.copyOf(targets.get()));
        },
        0,
        period.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  public Heartbeats keep(RegisterResponse lease) {
    leases.add(lease);
    return this;
  }

  public void stop(RegisterResponse lease) {
    leases.removeIf(held -> held.getLeaseId().equals(lease.getLeaseId()));
  }

  /** Heartbeats a target answered. */
  public int sent() {
    return sent.get();
  }

  /** Heartbeats no target answered within its deadline. */
  public int failed() {
    return failed.get();
  }

  @Override
  public void close() {
    thread.shutdownNow();
    calls.cancel(null);
  }

  private void round(List<ManagedChannel> targets) {
    for (RegisterResponse lease : leases) {
      if (underWay.add(lease.getLeaseId())) {
        waiting.add(
            new Beat(
                lease.getLeaseId(),
                HeartbeatRequest.newBuilder()
                    .setLeaseId(lease.getLeaseId())
                    .setEpoch(lease.getEpoch())
                    .build(),
                targets));
      }
    }
    sendWaiting();
  }

  private void sendWaiting() {
    while (inFlight < MAX_IN_FLIGHT && !waiting.isEmpty()) {
      inFlight++;
      send(waiting.remove(), 0);
    }
  }

  /**
   * Sends {@code beat} to its target number {@code target}; the answer comes back on the thread.
   */
  private void send(Beat beat, int target) {
    if (target >= beat.targets().size()) {
      done(beat, false);
      return;
    }
    StreamObserver<HeartbeatResponse> answer =
        new StreamObserver<>() {
          @Override
          public void onNext(HeartbeatResponse response) {}

          @Override
          public void onError(Throwable t) {
            onThread(() -> send(beat, target + 1));
          }

          @Override
          public void onCompleted() {
            onThread(() -> done(beat, true));
          }
        };
    calls.run(
        () ->
            RegistryServiceGrpc.newStub(beat.targets().get(target))
                .withDeadlineAfter(DEADLINE_MILLIS, TimeUnit.MILLISECONDS)
                .heartbeat(beat.request(), answer));
  }

  private void done(Beat beat, boolean renewed) {
    (renewed ? sent : failed).incrementAndGet();
    underWay.remove(beat.leaseId());
    inFlight--;
    sendWaiting();
  }

  private void onThread(Runnable step) {
    try {
      thread.execute(step);
    } catch (RejectedExecutionException stopped) {
      // Closed, or past maxRunTime: nothing more is sent.
    }
  }

  /** One heartbeat of one round, with the targets of that round. */
  private record Beat(String leaseId, HeartbeatRequest request, List<ManagedChannel> targets) {}
}
