package io.roster.bench;

import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.WatchRequest;
import io.roster.v1.WatchResponse;
import io.roster.v1.WatchTarget;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The flooder's Watch streams: opened all at once on the target, {@value #STREAMS_PER_CONNECTION}
 * per connection, each following one service, and held open (reading what comes) until {@link
 * #close}. A stream counts as opened once its first message (the snapshot) arrived; one the node
 * ends with RESOURCE_EXHAUSTED as refused; any other end is counted by its status code.
 *
 * <p>Threading: opened and closed on the phase's thread; callbacks run on the channels' threads;
 * the counters may be read from any thread.
 */
final class FloodStreams {
  static final int STREAMS_PER_CONNECTION = 100;

  private final List<ManagedChannel> channels = new ArrayList<>();
  private final List<Stream> streams = new ArrayList<>();
  private final AtomicLong opened = new AtomicLong();
  private final AtomicLong completed = new AtomicLong();
  private final CallFailures endings = new CallFailures();

  /** Opens {@code count} streams on {@code target}, each following {@code service}. */
  void open(
      Caller flooder,
      TargetAddress target,
      String namespace,
      String service,
      int count,
      BenchContext context) {
    WatchRequest request =
        WatchRequest.newBuilder()
            .setNamespace(namespace)
            .addTargets(WatchTarget.newBuilder().setService(service))
            .build();
    for (int i = 0; i < count && !context.stopRequested(); i++) {
      if (i % STREAMS_PER_CONNECTION == 0) {
        channels.add(flooder.connect(target));
      }
      Stream stream = new Stream();
      DiscoveryServiceGrpc.newStub(channels.get(channels.size() - 1)).watch(request, stream);
      streams.add(stream);
    }
  }

  int asked() {
    return streams.size();
  }

  int connections() {
    return channels.size();
  }

  long opened() {
    return opened.get();
  }

  long refused() {
    return endings.count("RESOURCE_EXHAUSTED");
  }

  /** Streams ended other than by a refusal: another status, or completed by the node. */
  long endedOtherwise() {
    return endings.count() - refused() + completed.get();
  }

  /** Endings by status code and the first one's text; empty when none ended. */
  String endingSummary() {
    return endings.summary();
  }

  /** The first refusal's text (it names the limit and the caller), or null. */
  String firstRefusal() {
    return endings.first("RESOURCE_EXHAUSTED");
  }

  /** Cancels every stream and closes the connections. */
  void close() throws InterruptedException {
    for (Stream stream : streams) {
      stream.cancel();
    }
    for (ManagedChannel channel : channels) {
      channel.shutdownNow();
    }
    for (ManagedChannel channel : channels) {
      channel.awaitTermination(2, TimeUnit.SECONDS);
    }
  }

  /** One stream: counts its first message and how it ended. */
  private final class Stream implements ClientResponseObserver<WatchRequest, WatchResponse> {
    private volatile ClientCallStreamObserver<WatchRequest> call;
    private volatile boolean cancelled;
    private boolean counted; // the channel's thread only

    @Override
    public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
      this.call = requestStream;
    }

    @Override
    public void onNext(WatchResponse message) {
      if (!counted) {
        counted = true;
        opened.incrementAndGet();
      }
    }

    @Override
    public void onError(Throwable t) {
      if (!cancelled) {
        endings.record(t);
      }
    }

    @Override
    public void onCompleted() {
      completed.incrementAndGet();
    }

    void cancel() {
      cancelled = true;
      ClientCallStreamObserver<WatchRequest> started = call;
      if (started != null) {
        started.cancel("the flood ended", null);
      }
    }
  }
}
