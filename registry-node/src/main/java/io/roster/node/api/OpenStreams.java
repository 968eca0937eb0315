package io.roster.node.api;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.roster.node.limits.Allowance;
import io.vertx.core.Context;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The node's open server streams, so a node that leaves can end each one with UNAVAILABLE and its
 * clients move to another node at once instead of waiting for a timeout; and each stream holds a
 * stream slot of its caller and connection ({@link Allowance#openStream}) until it leaves here.
 *
 * <p>Threading: any thread may add, remove or close; each stream is ended on its own context.
 */
public final class OpenStreams {

  private final Map<StreamObserver<?>, Open> streams = new ConcurrentHashMap<>();
  private volatile boolean closed;

  private record Open(Context context, Runnable releaseSlot) {}

  /**
   * Tracks a stream, which takes a stream slot of {@code allowance} until {@link #remove}.
   *
   * @return null, or why the stream may not open (the caller ends it with that): the node is
   *     leaving (UNAVAILABLE), or the caller or connection has all its streams open
   *     (RESOURCE_EXHAUSTED)
   */
  StatusRuntimeException add(StreamObserver<?> stream, Context context, Allowance allowance) {
    Runnable releaseSlot;
    try {
      releaseSlot = allowance.openStream();
    } catch (StatusRuntimeException overLimit) {
      return overLimit;
    }
    streams.put(stream, new Open(context, releaseSlot));
    if (closed) {
      remove(stream);
      return Status.UNAVAILABLE
          .withDescription("this node is shutting down: reconnect to another node")
          .asRuntimeException();
    }
    return null;
  }

  void remove(StreamObserver<?> stream) {
    Open open = streams.remove(stream);
    if (open != null) {
      open.releaseSlot().run();
    }
  }

  public int size() {
    return streams.size();
  }

  /** Ends every stream with {@code status} and refuses new ones. */
  public void closeAll(Status status) {
    closed = true;
    streams.forEach(
        (stream, open) ->
            Replies.onContext(
                open.context(),
                () -> {
                  try {
                    stream.onError(status.asRuntimeException());
                  } catch (RuntimeException alreadyClosed) {
                    // The client went away first; nothing to tell it.
                  }
                }));
    streams.keySet().forEach(this::remove);
  }
}
