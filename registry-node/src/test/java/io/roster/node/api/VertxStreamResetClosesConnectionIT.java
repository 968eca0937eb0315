package io.roster.node.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.impl.ConnectionBase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A minimal reproduction of the Vert.x 5.0.7 defect {@link StreamErrorGuard} works around, on a
 * bare Vert.x HTTP/2 server (no Roster code but the guard) and a raw Netty HTTP/2 client.
 *
 * <p>The server answers each request at once, while Vert.x is still reading the client's frames,
 * with a body and trailers, as every gRPC answer is written. Vert.x defers its flush until the read
 * completes, so the body stays in Netty's flow-control queue, and because the stream still counts
 * as writable (its window is larger than the body) Vert.x writes the trailers straight after it:
 * Netty queues them behind the body, with the void promise Vert.x gives trailers. The client asks
 * {@value #STREAMS} streams at once and reads nothing, so the bodies share the connection's default
 * window (65,535 bytes) and every stream is left with part of its body and its trailers queued. The
 * client then resets its streams (RST_STREAM CANCEL, as a passed gRPC deadline does). For each,
 * Netty fails the queued frames with a stream error, "Stream closed before write could take place";
 * the void promise fires it down the pipeline, and {@code
 * VertxHttp2ConnectionHandler.exceptionCaught} closes the whole connection, without a GOAWAY.
 *
 * <p>The first test asserts the defect, the second the workaround. When a Vert.x upgrade makes the
 * first one fail, the defect is fixed: delete {@link StreamErrorGuard} and this test. The report
 * for upstream is docs/upstream/vertx-http2-stream-error-closes-connection.md.
 */
@Timeout(60)
class VertxStreamResetClosesConnectionIT {

  private static final int STREAMS = 32;

  /** Less than the connection window over eight streams: the bodies fill the window together. */
  private static final int BODY_BYTES = 8_000;

  /** HTTP/2's initial connection window; the client never raises it. */
  private static final int CONNECTION_WINDOW_BYTES = 65_535;

  /** Each stream's window (SETTINGS_INITIAL_WINDOW_SIZE): larger than a body. */
  private static final int STREAM_WINDOW_BYTES = 1 << 20;

  private static final Duration WAIT = Duration.ofSeconds(20);

  private Vertx vertx;
  private EventLoopGroup clientLoop;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    clientLoop = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  }

  @AfterEach
  void stop() throws Exception {
    clientLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void streamResetsWhileAnswersWaitForWindowCloseTheConnection() throws Exception {
    AtomicReference<Throwable> firstError = new AtomicReference<>();
    int port =
        startServer(
            connection ->
                ((ConnectionBase) connection)
                    .channel()
                    .pipeline()
                    .addFirst(
                        "error-recorder",
                        new ChannelInboundHandlerAdapter() {
                          @Override
                          public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                            firstError.compareAndSet(null, cause);
                            ctx.fireExceptionCaught(cause);
                          }
                        }));
    RawClient client = RawClient.connect(clientLoop, port);

    client.requestAndLetAnswersWaitForWindow();
    client.resetAllStreams();

    await().atMost(WAIT).until(() -> client.closed.get() || client.pingAnswered.get());
    assertTrue(
        client.closed.get(),
        "Vert.x kept the connection open when streams were reset while their answers waited for"
            + " flow-control window: the defect StreamErrorGuard works around looks fixed in this"
            + " Vert.x version. Remove StreamErrorGuard (and this test) after checking"
            + " RegistrationBurstIT without it.");
    assertFalse(client.goAwayReceived.get(), "the connection was closed with a GOAWAY");
    Http2Exception error = Http2CodecUtil.getEmbeddedHttp2Exception(firstError.get());
    assertInstanceOf(
        Http2Exception.StreamException.class,
        error,
        "the error that reached the pipeline before the close: " + firstError.get());
    assertEquals("Stream closed before write could take place", error.getMessage());
  }

  @Test
  void withTheGuardStreamResetsLeaveTheConnectionOpen() throws Exception {
    LongAdder dropped = new LongAdder();
    int port = startServer(connection -> StreamErrorGuard.install(connection, dropped));
    RawClient client = RawClient.connect(clientLoop, port);

    client.requestAndLetAnswersWaitForWindow();
    client.resetAllStreams();

    await().atMost(WAIT).until(() -> client.closed.get() || client.pingAnswered.get());
    assertFalse(client.closed.get(), "the connection closed although the guard was installed");
    assertTrue(
        dropped.sum() > 0,
        "no stream error reached the guard: the scenario no longer reproduces the defect");
  }

  /** Starts a bare Vert.x HTTP/2 server; {@code onConnection} sees each connection first. */
  private int startServer(Handler<HttpConnection> onConnection) throws Exception {
    HttpServer server =
        vertx
            .createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
            .connectionHandler(onConnection)
            .requestHandler(
                request ->
                    // Answered at once, as a gRPC answer is: a body, then trailers.
                    request
                        .response()
                        .putTrailer("grpc-status", "0")
                        .end(Buffer.buffer(new byte[BODY_BYTES])));
    return server
        .listen()
        .toCompletionStage()
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS)
        .actualPort();
  }

  /**
   * An HTTP/2 client over prior knowledge that never returns window to the server: its listener
   * reports no data as consumed, so the connection window, once spent, stays spent.
   *
   * <p>Threading: frames are written and read on the channel's event loop; the test thread reads
   * the atomics.
   */
  private static final class RawClient extends Http2FrameAdapter {
    final AtomicInteger answersStarted = new AtomicInteger();
    final AtomicInteger bodyBytes = new AtomicInteger();
    final AtomicBoolean goAwayReceived = new AtomicBoolean();
    final AtomicBoolean pingAnswered = new AtomicBoolean();
    final AtomicBoolean closed = new AtomicBoolean();
    private final List<Integer> streamIds = new ArrayList<>();
    private Http2ConnectionHandler handler;
    private Channel channel;

    static RawClient connect(EventLoopGroup loop, int port) throws Exception {
      RawClient client = new RawClient();
      client.handler =
          new Http2ConnectionHandlerBuilder()
              .server(false)
              .frameListener(client)
              .initialSettings(
                  Http2Settings.defaultSettings().initialWindowSize(STREAM_WINDOW_BYTES))
              .build();
      client.channel =
          new Bootstrap()
              .group(loop)
              .channel(NioSocketChannel.class)
              .handler(
                  new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                      channel.pipeline().addLast(client.handler);
                    }
                  })
              .connect("127.0.0.1", port)
              .sync()
              .channel();
      client.channel.closeFuture().addListener(closing -> client.closed.set(true));
      return client;
    }

    /**
     * Sends all requests in one write, so the server reads them together, and waits until every
     * answer has started and the server has spent the connection window.
     */
    void requestAndLetAnswersWaitForWindow() throws Exception {
      onLoop(
          ctx -> {
            for (int i = 0; i < STREAMS; i++) {
              int streamId = handler.connection().local().incrementAndGetNextStreamId();
              streamIds.add(streamId);
              Http2Headers headers =
                  new DefaultHttp2Headers()
                      .method("GET")
                      .scheme("http")
                      .authority("127.0.0.1")
                      .path("/answer/" + i);
              handler.encoder().writeHeaders(ctx, streamId, headers, 0, true, ctx.newPromise());
            }
          });
      await()
          .atMost(WAIT)
          .until(
              () ->
                  closed.get()
                      // At least: a stream that completed gives its window back when it closes.
                      || answersStarted.get() == STREAMS
                          && bodyBytes.get() >= CONNECTION_WINDOW_BYTES);
      assertFalse(closed.get(), "the connection closed before any stream was reset");
    }

    /** Resets every stream (CANCEL, as a passed gRPC deadline), then pings. */
    void resetAllStreams() throws Exception {
      onLoop(
          ctx -> {
            for (int streamId : streamIds) {
              handler
                  .encoder()
                  .writeRstStream(ctx, streamId, Http2Error.CANCEL.code(), ctx.newPromise());
            }
            // Answered only if the connection outlives the resets, which the server reads first.
            handler.encoder().writePing(ctx, false, 42L, ctx.newPromise());
          });
    }

    private void onLoop(Consumer<ChannelHandlerContext> writes) throws Exception {
      CompletableFuture<Void> written = new CompletableFuture<>();
      channel
          .eventLoop()
          .execute(
              () -> {
                ChannelHandlerContext ctx = channel.pipeline().context(handler);
                writes.accept(ctx);
                ctx.flush();
                written.complete(null);
              });
      written.get(10, TimeUnit.SECONDS);
    }

    @Override
    public void onHeadersRead(
        ChannelHandlerContext ctx,
        int streamId,
        Http2Headers headers,
        int padding,
        boolean endOfStream) {
      if (headers.status() != null) {
        answersStarted.incrementAndGet();
      }
    }

    @Override
    public void onHeadersRead(
        ChannelHandlerContext ctx,
        int streamId,
        Http2Headers headers,
        int streamDependency,
        short weight,
        boolean exclusive,
        int padding,
        boolean endOfStream) {
      onHeadersRead(ctx, streamId, headers, padding, endOfStream);
    }

    @Override
    public int onDataRead(
        ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean endOfStream) {
      bodyBytes.addAndGet(data.readableBytes() + padding);
      return 0;
    }

    @Override
    public void onGoAwayRead(
        ChannelHandlerContext ctx, int lastStreamId, long errorCode, ByteBuf debugData) {
      goAwayReceived.set(true);
    }

    @Override
    public void onPingAckRead(ChannelHandlerContext ctx, long data) {
      pingAnswered.set(true);
    }
  }
}
