package io.roster.node.api;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.vertx.core.Context;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The node's open server streams, so a node that leaves can end each one with UNAVAILABLE and its
 * clients move to another node at once instead of waiting for a timeout.
 *
 * <p>Threading: any thread may add, remove or close; each stream is ended on its own context.
 */
public final class OpenStreams {

  private final Map<StreamObserver<?>, Context> streams = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /** Tracks a stream; false when the node is already leaving (the caller should end it). */
  boolean add(StreamObserver<?> stream, Context context) {
    streams.put(stream, context);
    if (closed) {
      streams.remove(stream);
      return false;
    }
    return true;
  }

  void remove(StreamObserver<?> stream) {
    streams.remove(stream);
  }

  public int size() {
    return streams.size();
  }

  /** Ends every stream with {@code status} and refuses new ones. */
  public void closeAll(Status status) {
    closed = true;
    streams.forEach(
        (stream, context) ->
            Replies.onContext(
                context,
                () -> {
                  try {
                    stream.onError(status.asRuntimeException());
                  } catch (RuntimeException alreadyClosed) {
                    // The client went away first; nothing to tell it.
                  }
                }));
    streams.clear();
  }
}
