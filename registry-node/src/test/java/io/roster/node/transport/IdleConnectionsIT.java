package io.roster.node.transport;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.roster.node.RegistryNode;
import io.roster.node.SingleNode;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.WatchRequest;
import io.roster.v1.WatchResponse;
import io.roster.v1.WatchTarget;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Connections that never become live, or go silent, are closed after the idle timeout; a quiet but
 * healthy Watch stream keeps its connection, since the node pings it. A node with a 2 s idle
 * timeout and a 1 s keepalive interval.
 */
@Timeout(120)
class IdleConnectionsIT {

  private static final int IDLE_TIMEOUT_SECONDS = 2;

  private static RegistryNode node;

  @BeforeAll
  static void startNode() {
    node =
        SingleNode.start(
            "idle-connections",
            "--api.idle-timeout-s=" + IDLE_TIMEOUT_SECONDS,
            "--api.keepalive-interval-s=1",
            "--api.keepalive-timeout-s=5");
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.stop();
    }
  }

  @Test
  void aBareTcpConnectionIsClosedAfterTheIdleTimeout() throws Exception {
    assertClosedAfterIdleTimeout(new byte[0]);
  }

  @Test
  void aPartialHttp2PrefaceIsClosedAfterTheIdleTimeout() throws Exception {
    assertClosedAfterIdleTimeout("PRI * HTTP/2.0\r\n".getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void aPartialHttp11RequestIsClosedAfterTheIdleTimeout() throws Exception {
    assertClosedAfterIdleTimeout(
        "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void aQuietWatchStreamOutlivesTheIdleTimeout() throws Exception {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", node.apiPort()).usePlaintext().build();
    try {
      List<WatchResponse> received = new CopyOnWriteArrayList<>();
      AtomicReference<Throwable> ended = new AtomicReference<>();
      DiscoveryServiceGrpc.newStub(channel)
          .watch(
              WatchRequest.newBuilder()
                  .addTargets(WatchTarget.newBuilder().setService("quiet"))
                  .build(),
              new StreamObserver<>() {
                @Override
                public void onNext(WatchResponse value) {
                  received.add(value);
                }

                @Override
                public void onError(Throwable t) {
                  ended.set(t);
                }

                @Override
                public void onCompleted() {
                  ended.set(new IllegalStateException("completed"));
                }
              });
      await().atMost(Duration.ofSeconds(10)).until(() -> !received.isEmpty());

      Thread.sleep(IDLE_TIMEOUT_SECONDS * 3 * 1000L); // nothing changes: the stream is quiet

      assertNull(ended.get(), "the quiet Watch stream ended");
      assertEquals(1, StreamGauges.read(node.apiPort()).streamsOpen(), "streams open");
    } finally {
      channel.shutdownNow();
    }
  }

  /** Opens a connection, sends {@code bytes}, and expects the node to close it in time. */
  private static void assertClosedAfterIdleTimeout(byte[] bytes) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", node.apiPort()), 5_000);
      socket.getOutputStream().write(bytes);
      socket.getOutputStream().flush();
      // Long enough for the timeout on a loaded machine, short of "never".
      socket.setSoTimeout((IDLE_TIMEOUT_SECONDS + 8) * 1000);
      long started = System.nanoTime();
      InputStream in = socket.getInputStream();
      try {
        while (in.read() != -1) {
          // The node may answer (an HTTP/2 SETTINGS frame) before it closes.
        }
      } catch (SocketTimeoutException stillOpen) {
        throw new AssertionError(
            "the node kept an idle connection open for "
                + (System.nanoTime() - started) / 1_000_000
                + " ms",
            stillOpen);
      } catch (java.net.SocketException reset) {
        // Closed with a reset: closed all the same.
      }
      long elapsedMillis = (System.nanoTime() - started) / 1_000_000;
      assertTrue(
          elapsedMillis >= IDLE_TIMEOUT_SECONDS * 1000L - 500,
          "closed after " + elapsedMillis + " ms, before the idle timeout");
    }
  }
}
