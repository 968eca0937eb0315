package io.roster.testing;

import io.grpc.ManagedChannel;
import io.roster.v1.HeartbeatRequest;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Keeps leases alive from a test, as instances do: a unary Heartbeat for each lease every {@code
 * period}, to the first of the {@code targets} that answers (a client moves to the next node when
 * one fails). Stops on {@link #close}, and by itself after {@code maxRunTime}, so a failed test
 * never leaves it running.
 */
public final class Heartbeats implements AutoCloseable {

  private final List<RegisterResponse> leases = new CopyOnWriteArrayList<>();
  private final AtomicInteger sent = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          runnable -> {
            Thread thread = new Thread(runnable, "test-heartbeats");
            thread.setDaemon(true);
            return thread;
          });

  /**
   * @param targets the nodes to try, in order, at each round (a client fails over to the next)
   */
  public Heartbeats(Supplier<List<ManagedChannel>> targets, Duration period, Duration maxRunTime) {
    long startedNanos = System.nanoTime();
    timer.scheduleAtFixedRate(
        () -> {
          if (System.nanoTime() - startedNanos > maxRunTime.toNanos()) {
            timer.shutdown();
            return;
          }
          List<ManagedChannel> channels = targets.get();
          for (RegisterResponse lease : leases) {
            HeartbeatRequest request =
                HeartbeatRequest.newBuilder()
                    .setLeaseId(lease.getLeaseId())
                    .setEpoch(lease.getEpoch())
                    .build();
            boolean renewed = false;
            for (ManagedChannel channel : channels) {
              try {
                RegistryServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(2, TimeUnit.SECONDS)
                    .heartbeat(request);
                renewed = true;
                break;
              } catch (RuntimeException e) {
                // Try the next node.
              }
            }
            (renewed ? sent : failed).incrementAndGet();
          }
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

  public int sent() {
    return sent.get();
  }

  public int failed() {
    return failed.get();
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
