package io.roster.node.api;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.timeout.IdleStateEvent;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;

/**
 * Says why the node closes an idle API connection ({@code api.idle-timeout-s}): a line in the log,
 * and on HTTP/2 a GOAWAY whose debug data names the timeout. Vert.x 5.0.7 closes an idle
 * connection's socket and nothing else ({@code Http2ConnectionBase.handleIdle}): a client that
 * stalled, say in the middle of a frame, saw its connection drop without a word, and the node
 * logged nothing above DEBUG, as if the client had left.
 *
 * <p>It sits in the connection's pipeline right after Vert.x's idle handler ("idle") and sees its
 * event first; Vert.x then closes the connection as before.
 *
 * <p>Threading: Netty calls it on the connection's event loop.
 */
final class IdleGoAway extends ChannelInboundHandlerAdapter {

  /** The name of Vert.x's idle-state handler in a server connection's pipeline. */
  private static final String VERTX_IDLE_HANDLER = "idle";

  private final HttpConnection connection;
  private final boolean http2;
  private final int idleTimeoutSeconds;

  private IdleGoAway(HttpConnection connection, boolean http2, int idleTimeoutSeconds) {
    this.connection = connection;
    this.http2 = http2;
    this.idleTimeoutSeconds = idleTimeoutSeconds;
  }

  /** Puts one after Vert.x's idle handler of {@code connection}, when it has one. */
  static void install(HttpConnection connection, boolean http2, int idleTimeoutSeconds) {
    if (connection instanceof ConnectionBase base) {
      ChannelPipeline pipeline = base.channel().pipeline();
      if (pipeline.get(VERTX_IDLE_HANDLER) != null) {
        pipeline.addAfter(
            VERTX_IDLE_HANDLER,
            "roster-idle-goaway",
            new IdleGoAway(connection, http2, idleTimeoutSeconds));
      }
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
    if (event instanceof IdleStateEvent) {
      String why = "nothing sent or received for " + idleTimeoutSeconds + " s (api.idle-timeout-s)";
      RequestLog.connectionClosed(false, connection.remoteAddress() + ": " + why);
      if (http2) {
        connection.goAway(ApiConnections.NO_ERROR, -1, Buffer.buffer(why));
      }
    }
    super.userEventTriggered(ctx, event);
  }
}
