package io.roster.node.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roster.testing.FreePorts;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The API port on N event loops: connections are spread over N event loops (each one served by one
 * for its whole life), port 0 means one free port shared by all of them, and closing stops them
 * all. Also what made it necessary: an HTTP server created outside a verticle, as the node created
 * its own, serves every connection on one event loop.
 */
@Timeout(60)
class ApiServerTest {

  private Vertx vertx;

  @BeforeEach
  void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stopVertx() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void oneEventLoopServesEveryConnection() throws Exception {
    ApiServer server = start(1);

    assertEquals(1, eventLoopsServing(server.port(), 6).size());
  }

  @Test
  void connectionsAreSpreadOverEveryEventLoop() throws Exception {
    ApiServer server = start(3);

    Set<String> loops = eventLoopsServing(server.port(), 6);

    assertEquals(3, loops.size(), loops.toString());
  }

  @Test
  void closingStopsEveryEventLoopListening() throws Exception {
    ApiServer server = start(2, FreePorts.next());
    int port = server.port();

    server.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);

    // The close completes as the listeners are told to stop; on a busy machine a connection made
    // at once could still reach the closing socket and be reset. Every one must stop soon after.
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThrows(ConnectException.class, () -> threadServing(port)));
  }

  @Test
  void aServerCreatedOutsideAVerticleServesEveryConnectionOnOneEventLoop() throws Exception {
    HttpServer server =
        vertx
            .createHttpServer()
            .requestHandler(ApiServerTest::answerThreadName)
            .listen(0, "127.0.0.1")
            .toCompletionStage()
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);

    assertEquals(1, eventLoopsServing(server.actualPort(), 6).size());
  }

  private ApiServer start(int eventLoops) throws Exception {
    return start(eventLoops, 0);
  }

  private ApiServer start(int eventLoops, int port) throws Exception {
    ApiServer server =
        ApiServer.start(
                vertx,
                eventLoops,
                "127.0.0.1",
                port,
                HttpServerOptions::new,
                connection -> {},
                ApiServerTest::answerThreadName)
            .toCompletionStage()
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);
    assertTrue(server.port() > 0, "listening on port " + server.port());
    return server;
  }

  private static void answerThreadName(HttpServerRequest request) {
    request.response().end(Thread.currentThread().getName());
  }

  /** The threads that answered {@code connections} connections, one request each. */
  private static Set<String> eventLoopsServing(int port, int connections) throws IOException {
    Set<String> threads = new TreeSet<>();
    for (int i = 0; i < connections; i++) {
      threads.add(threadServing(port));
    }
    for (String thread : threads) {
      assertTrue(thread.startsWith("vert.x-eventloop-thread-"), thread);
    }
    return threads;
  }

  /** One request on a connection of its own; the thread name the server answered. */
  private static String threadServing(int port) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(
          "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      String response = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
      return response.substring(response.indexOf("\r\n\r\n") + 4);
    }
  }
}
