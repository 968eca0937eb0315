package io.roster.bench;

import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.WatchRequest;
import io.roster.v1.WatchResponse;
import io.roster.v1.WatchTarget;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Watch streams that take their first message and then never read again, as a stuck or overloaded
 * consumer does: gRPC flow control stops returning window, so once the connection's window is spent
 * the node can write nothing more to them and must hold, drop or coalesce what they follow.
 *
 * <p>They get connections of their own ({@value #STREAMS_PER_CONNECTION} streams each), with a
 * small flow-control window ({@value #WINDOW_BYTES} bytes per stream, no auto-tuning), so they
 * stall within a second of churn rather than after absorbing grpc-java's default megabyte each: the
 * figure is about streams the node cannot write to, not about how much it can write.
 *
 * <p>Thread-safe; callbacks run on the channels' threads.
 */
final class PausedWatchers {
  static final int STREAMS_PER_CONNECTION = 10;
  static final int WINDOW_BYTES = 64 * 1024;

  private final List<ManagedChannel> channels = new ArrayList<>();
  private final List<Paused> streams = new ArrayList<>();
  private final AtomicLong firstMessages = new AtomicLong();
  private final ConcurrentLinkedQueue<String> endings = new ConcurrentLinkedQueue<>();

  /** Opens {@code count} streams on {@code target}, each following {@code service}. */
  PausedWatchers(
      TargetAddress target,
      ChannelCredentials credentials,
      String namespace,
      String service,
      int count) {
    for (int i = 0; i < count; i++) {
      if (i % STREAMS_PER_CONNECTION == 0) {
        channels.add(
            NettyChannelBuilder.forTarget(target.authority(), credentials)
                .flowControlWindow(WINDOW_BYTES)
                .directExecutor()
                .build());
      }
      Paused stream = new Paused();
      DiscoveryServiceGrpc.newStub(channels.get(channels.size() - 1))
          .watch(
              WatchRequest.newBuilder()
                  .setNamespace(namespace)
                  .addTargets(WatchTarget.newBuilder().setService(service))
                  .build(),
              stream);
      streams.add(stream);
    }
  }

  /**
   * Waits until every stream has had its first message, at most {@code boundMillis}; returns a
   * problem to report, or null.
   */
  String awaitOpen(long boundMillis, BenchContext context) {
    long due = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(boundMillis);
    while (firstMessages.get() < streams.size()
        && endings.isEmpty()
        && !context.stopRequested()
        && System.nanoTime() < due) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
    }
    if (!endings.isEmpty()) {
      return endings.size() + " paused Watch streams ended early, first: " + endings.peek();
    }
    if (firstMessages.get() < streams.size() && !context.stopRequested()) {
      return firstMessages.get()
          + " of "
          + streams.size()
          + " paused Watch streams had their first message after "
          + boundMillis
          + " ms";
    }
    return null;
  }

  int size() {
    return streams.size();
  }

  int connections() {
    return channels.size();
  }

  /** Streams the node ended while they were paused (a node may cut a consumer that never reads). */
  int ended() {
    return endings.size();
  }

  /** Cancels every stream and closes the connections. */
  void close() throws InterruptedException {
    for (Paused stream : streams) {
      stream.cancel();
    }
    for (ManagedChannel channel : channels) {
      channel.shutdownNow();
    }
    for (ManagedChannel channel : channels) {
      channel.awaitTermination(2, TimeUnit.SECONDS);
    }
  }

  /** Asks for one message, and no more. */
  private final class Paused implements ClientResponseObserver<WatchRequest, WatchResponse> {
    private volatile ClientCallStreamObserver<WatchRequest> call;
    private volatile boolean cancelled;

    @Override
    public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
      this.call = requestStream;
      requestStream.disableAutoRequestWithInitial(1);
    }

    @Override
    public void onNext(WatchResponse message) {
      firstMessages.incrementAndGet();
    }

    @Override
    public void onError(Throwable t) {
      if (!cancelled) {
        endings.add(Status.fromThrowable(t).toString());
      }
    }

    @Override
    public void onCompleted() {
      endings.add("completed by the node");
    }

    void cancel() {
      cancelled = true;
      ClientCallStreamObserver<WatchRequest> started = call;
      if (started != null) {
        started.cancel("the slow-watchers phase ended", null);
      }
    }
  }
}
