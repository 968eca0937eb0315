package io.roster.node.api;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Exception;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.impl.ConnectionBase;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps an HTTP/2 connection open when one of its streams fails to write, working around a Vert.x
 * 5.0.7 defect that closed a client's whole connection, every call in flight with it, under bursts.
 *
 * <p>The defect: Vert.x writes a response's trailers without a write promise (Netty's void promise,
 * {@code Http2ServerResponse} writing trailers with a null promise). When the client resets a
 * stream (a cancel, a passed deadline) while that stream's answer is still waiting for HTTP/2
 * flow-control window, Netty fails the pending frames with a stream error ("Stream closed before
 * write could take place"); a void promise reports that failure as an exception on the channel
 * pipeline, and {@code VertxHttp2ConnectionHandler.exceptionCaught} closes the connection on any
 * exception, stream errors included, without a GOAWAY or a log. The client sees {@code UNAVAILABLE:
 * Network closed for unknown reason} on every call in flight. The same null promise makes Vert.x
 * log a {@code NullPointerException} at {@code VertxHttp2Stream$3.cancel} when it drops trailers it
 * had queued for a stream that closed.
 *
 * <p>How the trailers reach Netty's queue behind held data: Vert.x defers its flush while it reads
 * from a connection, so an answer written then leaves its body in Netty's flow-control queue, and
 * the trailers follow because the stream still counts as writable (its own window holds the body).
 * Several such answers sharing a spent connection window are each left, after the next flush, with
 * part of the body and the trailers queued. {@code VertxStreamResetClosesConnectionIT} (test
 * sources, this package) reproduces it with a bare Vert.x server and shows this guard keeps the
 * connection open. No upstream issue reports it; the report to file is
 * docs/upstream/vertx-http2-stream-error-closes-connection.md. See also docs/architecture.md,
 * "Known defects of the serving stack".
 *
 * <p>This handler sits first in the connection's pipeline and drops stream-level HTTP/2 errors
 * before they reach Vert.x: the stream they concern is already closed and reset, so there is
 * nothing left to do for it. Connection errors and I/O errors pass on unchanged. Remove it once
 * Vert.x no longer closes connections on stream errors: the reproduction's first test then fails.
 *
 * <p>Threading: Netty calls it on the connection's event loop.
 */
final class StreamErrorGuard extends ChannelInboundHandlerAdapter {

  private static final Logger log = LoggerFactory.getLogger(StreamErrorGuard.class);

  private final LongAdder dropped;

  private StreamErrorGuard(LongAdder dropped) {
    this.dropped = dropped;
  }

  /** Puts a guard first in {@code connection}'s pipeline, when it is a Vert.x connection. */
  static void install(HttpConnection connection, LongAdder dropped) {
    if (connection instanceof ConnectionBase base) {
      base.channel()
          .pipeline()
          .addFirst("roster-stream-error-guard", new StreamErrorGuard(dropped));
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
    Http2Exception http2 = Http2CodecUtil.getEmbeddedHttp2Exception(cause);
    if (http2 instanceof Http2Exception.StreamException stream) {
      dropped.increment();
      log.debug(
          "stream {} of {} ended before its answer was written: {}",
          stream.streamId(),
          ctx.channel().remoteAddress(),
          stream.getMessage());
      return;
    }
    super.exceptionCaught(ctx, cause);
  }
}
