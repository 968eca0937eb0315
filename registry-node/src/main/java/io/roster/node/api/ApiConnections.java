package io.roster.node.api;

import io.vertx.core.Handler;
import io.vertx.core.http.GoAway;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.SocketAddress;
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
 * DEBUG, since clients come and go.
 *
 * <p>Threading: the handlers of a connection run on its event loop; the fields are only touched
 * there.
 */
public final class ApiConnections implements Handler<HttpConnection> {

  private static final Logger log = LoggerFactory.getLogger(ApiConnections.class);

  private final LongAdder streamErrorsDropped = new LongAdder();

  @Override
  public void handle(HttpConnection connection) {
    StreamErrorGuard.install(connection, streamErrorsDropped);
    new Tracked(connection).listen();
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

    Tracked(HttpConnection connection) {
      this.connection = connection;
      this.remote = connection.remoteAddress();
    }

    void listen() {
      connection.exceptionHandler(
          failure -> {
            if (error == null) {
              error = failure;
            }
          });
      connection.goAwayHandler(goAway -> receivedGoAway = goAway);
      connection.shutdownHandler(
          ignored -> {
            if (receivedGoAway == null) {
              goAwaySent = true;
            }
          });
      connection.closeHandler(ignored -> closed());
    }

    private void closed() {
      long openMillis = (System.nanoTime() - openedNanos) / 1_000_000;
      if (error != null && !isPeerReset(error)) {
        log.warn(
            "connection from {} closed after {} ms on an error: {}",
            remote,
            openMillis,
            error.toString());
      } else if (goAwaySent) {
        log.info("connection from {} closed by the node after {} ms (GOAWAY)", remote, openMillis);
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
