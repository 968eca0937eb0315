package io.roster.node.api;

import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.roster.node.config.NodeConfig;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.GoAway;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.impl.ConnectionBase;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sets up every API connection: keeps it open when one of its streams fails ({@link
 * StreamErrorGuard}, a Vert.x workaround), and says why it closed.
 *
 * <p>Why it closed: Without it a connection the node closed (an HTTP/2 protocol error, a flood
 * limit, an idle timeout) was invisible: every call in flight on it failed at once on the client
 * ({@code UNAVAILABLE: Network closed for unknown reason}) and the node said nothing.
 *
 * <p>A connection closed after an error the node saw (a protocol error, which the node answers with
 * GOAWAY and a close) is logged at WARN with that error; one the node closed otherwise (GOAWAY
 * sent: shutdown, idle or keepalive enforcement) at INFO; one the client closed, cleanly or not, at
 * DEBUG, since clients come and go. An HTTP/2 connection the node closes as idle or unresponsive
 * gets a GOAWAY whose debug data says why ({@link IdleGoAway}, {@link Tracked#pingIfStreamsOpen}).
 *
 * <p>Threading: the handlers of a connection run on its event loop; the fields are only touched
 * there.
 */
public final class ApiConnections implements Handler<HttpConnection> {

  private static final Logger log = LoggerFactory.getLogger(ApiConnections.class);

  /** HTTP/2's GOAWAY code for a close that is no protocol error (RFC 9113 section 7). */
  static final long NO_ERROR = 0;

  private final Vertx vertx;
  private final NodeConfig.Connections config;
  private final LongAdder streamErrorsDropped = new LongAdder();

  public ApiConnections(Vertx vertx, NodeConfig.Connections config) {
    this.vertx = vertx;
    this.config = config;
  }

  @Override
  public void handle(HttpConnection connection) {
    StreamErrorGuard.install(connection, streamErrorsDropped);
    Http2Connection http2 = http2(connection);
    Tracked tracked = new Tracked(connection);
    tracked.listen(http2 != null);
    IdleGoAway.install(connection, http2 != null, config.idleTimeoutSeconds());
    if (http2 != null) {
      long timer =
          vertx.setPeriodic(
              config.keepAliveIntervalSeconds() * 1000L,
              id -> tracked.pingIfStreamsOpen(http2, config.keepAliveTimeoutSeconds()));
      tracked.onClose(() -> vertx.cancelTimer(timer));
    }
  }

  /** The Netty HTTP/2 connection under {@code connection}, or null for HTTP/1.x. */
  private static Http2Connection http2(HttpConnection connection) {
    if (connection instanceof ConnectionBase base) {
      Http2ConnectionHandler handler = base.channel().pipeline().get(Http2ConnectionHandler.class);
      if (handler != null) {
        return handler.connection();
      }
    }
    return null;
  }

  /** Stream errors the guard kept from closing their connection, since the node started. */
  public long streamErrorsDropped() {
    return streamErrorsDropped.sum();
  }

  private static final class Tracked {
    private final HttpConnection connection;
    private final SocketAddress remote;
    private final long openedNanos = System.nanoTime();
    private Throwable error;
    private GoAway receivedGoAway;
    private boolean goAwaySent;
    private boolean pingOutstanding;
    private Runnable onClose = () -> {};

    Tracked(HttpConnection connection) {
      this.connection = connection;
      this.remote = connection.remoteAddress();
    }

    /** Listens to the connection; GOAWAY exists on HTTP/2 only (HTTP/1.x throws). */
    void listen(boolean http2) {
      connection.exceptionHandler(
          failure -> {
            if (error == null) {
              error = failure;
            }
          });
      if (http2) {
        connection.goAwayHandler(goAway -> receivedGoAway = goAway);
        connection.shutdownHandler(
            ignored -> {
              if (receivedGoAway == null) {
                goAwaySent = true;
              }
            });
      }
      connection.closeHandler(
          ignored -> {
            onClose.run();
            closed();
          });
    }

    void onClose(Runnable action) {
      onClose = action;
    }

    /**
     * Pings a connection that has open streams, and closes it if the ping goes unanswered: a client
     * that vanished without a word (power loss, a cut network) otherwise holds its streams until
     * TCP gives up, which can take hours. Connections without streams are left to the idle timeout.
     * Runs on the connection's event loop (the timer was set from its context), where Netty's
     * connection state lives.
     */
    void pingIfStreamsOpen(Http2Connection http2, int timeoutSeconds) {
      if (pingOutstanding || http2.numActiveStreams() == 0) {
        return;
      }
      pingOutstanding = true;
      connection
          .ping(Buffer.buffer(new byte[8]))
          .timeout(timeoutSeconds, TimeUnit.SECONDS)
          .onComplete(
              answered -> {
                pingOutstanding = false;
                if (answered.failed()) {
                  String why = "no answer to a ping within " + timeoutSeconds + " s";
                  RequestLog.connectionClosed(false, remote + ": " + why);
                  // The reason in the GOAWAY, for a client that is slow rather than gone (a
                  // plain close sends GOAWAY without one).
                  connection.goAway(NO_ERROR, -1, Buffer.buffer(why));
                  connection.close();
                }
              });
    }

    private void closed() {
      long openMillis = (System.nanoTime() - openedNanos) / 1_000_000;
      if (error != null && !isPeerReset(error)) {
        RequestLog.connectionClosed(true, remote + " after " + openMillis + " ms: " + error);
      } else if (goAwaySent) {
        RequestLog.connectionClosed(false, remote + " after " + openMillis + " ms (GOAWAY)");
      } else if (log.isDebugEnabled()) {
        log.debug(
            "connection from {} closed by the client after {} ms{}",
            remote,
            openMillis,
            receivedGoAway != null
                ? " (GOAWAY code " + receivedGoAway.getErrorCode() + ")"
                : error != null ? " (" + error + ")" : "");
      }
    }

    /** The client's side went away (process killed, network reset): not the node's doing. */
    private static boolean isPeerReset(Throwable error) {
      String message = error.getMessage();
      return error instanceof java.io.IOException
          && message != null
          && (message.contains("Connection reset") || message.contains("Broken pipe"));
    }
  }
}
