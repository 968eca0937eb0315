package io.roster.node.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.roster.node.RegistryNode;
import io.roster.node.SingleNode;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.ListServicesRequest;
import io.roster.v1.WatchRequest;
import io.roster.v1.WatchTarget;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.jfr.consumer.RecordingStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Callers' deadlines on one real node: a call answered in time leaves nothing behind that fires at
 * its deadline, and a call still unanswered when its deadline passes is answered DEADLINE_EXCEEDED
 * by the node itself.
 */
@Timeout(120)
class CallDeadlineTest {

  private static RegistryNode node;
  private static ManagedChannel channel;

  @BeforeAll
  static void startNode() {
    node = SingleNode.start("deadline-test");
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", node.apiPort()).usePlaintext().build();
  }

  @AfterAll
  static void stopNode() {
    channel.shutdownNow();
    node.stop();
  }

  /**
   * The Vert.x bridge gave each call a grpc-java context that expired at the caller's deadline and
   * was never cancelled: every answered call threw "context timed out" at its deadline, one
   * exception per call. 200 calls with a 1 s deadline, then 3 s without one such exception.
   */
  @Test
  void callsAnsweredInTimeLeaveNothingThatFiresAtTheirDeadline() {
    AtomicInteger timedOut = new AtomicInteger();
    try (RecordingStream exceptions = new RecordingStream()) {
      exceptions.enable("jdk.JavaExceptionThrow");
      exceptions.onEvent(
          "jdk.JavaExceptionThrow",
          event -> {
            if ("context timed out".equals(event.getString("message"))) {
              timedOut.incrementAndGet();
            }
          });
      DiscoveryServiceGrpc.DiscoveryServiceBlockingStub discovery =
          DiscoveryServiceGrpc.newBlockingStub(channel);
      discovery.listServices(ListServicesRequest.getDefaultInstance()); // connected, no deadline
      exceptions.startAsync();
      for (int i = 0; i < 200; i++) {
        discovery
            .withDeadlineAfter(1, TimeUnit.SECONDS)
            .listServices(ListServicesRequest.getDefaultInstance());
      }

      await()
          .during(Duration.ofSeconds(3))
          .atMost(Duration.ofSeconds(6))
          .until(() -> timedOut.get() == 0);
    }
  }

  /**
   * A Watch never ends by itself; its caller here neither cancels nor resets it. Its deadline
   * passing ends it on the node, with the status and the reason.
   */
  @Test
  void aCallUnansweredAtItsDeadlineIsAnsweredDeadlineExceededByTheNode() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      HttpClient client =
          vertx.createHttpClient(
              new HttpClientOptions()
                  .setProtocolVersion(HttpVersion.HTTP_2)
                  .setHttp2ClearTextUpgrade(false));
      byte[] message =
          WatchRequest.newBuilder()
              .addTargets(WatchTarget.newBuilder().setService("deadline-watch"))
              .build()
              .toByteArray();
      Buffer body =
          Buffer.buffer().appendByte((byte) 0).appendInt(message.length).appendBytes(message);
      CompletableFuture<HttpClientResponse> ended = new CompletableFuture<>();
      client
          .request(
              new RequestOptions()
                  .setMethod(HttpMethod.POST)
                  .setHost("127.0.0.1")
                  .setPort(node.apiPort())
                  .setURI("/roster.v1.DiscoveryService/Watch"))
          .compose(
              request ->
                  request
                      .putHeader("content-type", "application/grpc")
                      .putHeader("te", "trailers")
                      .putHeader("grpc-timeout", "300m")
                      .send(body))
          .onSuccess(
              response ->
                  response.handler(chunk -> {}).endHandler(done -> ended.complete(response)))
          .onFailure(ended::completeExceptionally);

      HttpClientResponse response = ended.get(10, TimeUnit.SECONDS);
      assertEquals("4", response.getTrailer("grpc-status"), "DEADLINE_EXCEEDED");
      assertEquals(
          "the call's deadline (300 ms) passed before the node answered",
          response.getTrailer("grpc-message"));
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void deadlinesParseAsTheProtocolWritesThem() {
    assertEquals(TimeUnit.MILLISECONDS.toNanos(300), CallDeadline.parseNanos("300m"));
    assertEquals(TimeUnit.SECONDS.toNanos(2), CallDeadline.parseNanos("2S"));
    assertEquals(TimeUnit.HOURS.toNanos(99_999_999), CallDeadline.parseNanos("99999999H"));
    assertEquals(7, CallDeadline.parseNanos("7n"));
    assertEquals(-1, CallDeadline.parseNanos("123456789S"), "nine digits");
    assertEquals(-1, CallDeadline.parseNanos("S"));
    assertEquals(-1, CallDeadline.parseNanos("10x"));
    assertEquals(-1, CallDeadline.parseNanos("1.5S"));
  }
}
