package io.roster.node.api;

import io.grpc.Context;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayList;
import java.util.List;

/**
 * Says that the client of a call went away: its HTTP stream closed before the node ended the call,
 * because the client reset the stream (a cancel, a passed deadline) or its connection closed
 * (process exit, connection reset, idle timeout). Also fired when {@link GrpcFrameCheck} refuses a
 * request's framing and answers it itself, which the call is not told of either.
 *
 * <p>The Vert.x bridge for grpc-java services ({@code GrpcIoServiceBridge}, 5.0.7) tells a call
 * only of a reset with code CANCEL: when the connection closes, the stream gets an exception that
 * no handler of the bridge listens to, so the call's listener never hears of it, {@code
 * ServerCall.isCancelled()} stays false and the call's {@link Context} is never cancelled. A Watch
 * or KeepAlive stream whose client was killed then stayed open, with its subscriptions, until the
 * node restarted. {@link HttpEndpoints} therefore watches each gRPC request's HTTP stream and hands
 * the call this signal through its {@link Context} ({@link #current}). Unary calls, served without
 * the bridge ({@link UnaryCall}), listen to it too.
 *
 * <p>It is not a cancellation of the call's {@code Context}: the bridge answers that by writing
 * DEADLINE_EXCEEDED to the stream, which is already closed.
 *
 * <p>Threading: created, fired and listened to on the event loop of the request's connection.
 */
public final class ClientGone {

  static final Context.Key<ClientGone> KEY = Context.key("roster.client-gone");

  /** For calls made outside an HTTP request (the HTTP/JSON API, in-JVM callers): never fires. */
  private static final ClientGone NEVER = new ClientGone();

  private final List<Runnable> actions = new ArrayList<>();
  private boolean gone;

  private ClientGone() {}

  /**
   * Watches {@code response}'s stream: the returned signal fires when it closes before the response
   * ended.
   */
  static ClientGone watch(HttpServerResponse response) {
    ClientGone signal = new ClientGone();
    response.closeHandler(
        closed -> {
          if (!response.ended()) {
            signal.fire();
          }
        });
    return signal;
  }

  /** The signal of the call running on this thread (the call's own {@link Context}). */
  static ClientGone current() {
    ClientGone signal = KEY.get();
    return signal == null ? NEVER : signal;
  }

  boolean isGone() {
    return gone;
  }

  /** Runs {@code action} when the client goes, or now if it has gone already. */
  void whenGone(Runnable action) {
    if (this == NEVER) {
      return;
    }
    if (gone) {
      action.run();
    } else {
      actions.add(action);
    }
  }

  /**
   * Fires the signal: the call is over for the node although nobody told the call (its client went
   * away, or {@link GrpcFrameCheck} refused its request and answered it).
   */
  void fire() {
    if (gone) {
      return;
    }
    gone = true;
    for (Runnable action : actions) {
      action.run();
    }
    actions.clear();
  }
}
