package io.roster.node.transport;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.roster.node.RegistryNode;
import io.roster.node.SingleNode;
import io.roster.testing.Instances;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.KeepAliveRequest;
import io.roster.v1.KeepAliveResponse;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import io.roster.v1.WatchRequest;
import io.roster.v1.WatchResponse;
import io.roster.v1.WatchTarget;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Watch and KeepAlive streams whose client goes away without ending them, on a real node: the node
 * must release them (the {@code roster_streams_open} and {@code roster_watch_subscriptions} gauges
 * go back to where they were), whether the client process died (SIGKILL: the connection closes, no
 * stream is reset) or the client reset the streams on a connection that stays open.
 */
@Timeout(180)
class AbandonedStreamsIT {

  private static final int WATCHES = 20;

  private static RegistryNode node;

  private final String service = "abandoned-" + UUID.randomUUID().toString().substring(0, 8);

  @BeforeAll
  static void startNode() {
    node = SingleNode.start("abandoned-streams");
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.stop();
    }
  }

  @Test
  void streamsOfAKilledClientProcessAreReleased() throws Exception {
    StreamGauges before = StreamGauges.read(node.apiPort());
    try (AbandoningClient.Running client =
        AbandoningClient.Running.start(node.apiPort(), WATCHES, service)) {
      assertEquals(
          new StreamGauges(
              before.streamsOpen() + WATCHES + 1, before.watchSubscriptions() + WATCHES),
          StreamGauges.read(node.apiPort()),
          "the client's streams are open on the node");

      client.kill(); // SIGKILL: no cancel, no GOAWAY, only the socket closing

      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertEquals(
                      before,
                      StreamGauges.read(node.apiPort()),
                      "the node still holds the streams of a client process that died"));
    }
  }

  @Test
  void streamsTheClientResetsAreReleased() {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", node.apiPort()).usePlaintext().build();
    try {
      StreamGauges before = StreamGauges.read(node.apiPort());
      RegisterResponse lease =
          RegistryServiceGrpc.newBlockingStub(channel)
              .withDeadlineAfter(30, TimeUnit.SECONDS)
              .register(Instances.register(Instances.of(service)));
      Answers<WatchRequest, WatchResponse> watch = new Answers<>();
      DiscoveryServiceGrpc.newStub(channel)
          .watch(
              WatchRequest.newBuilder()
                  .addTargets(WatchTarget.newBuilder().setService(service))
                  .build(),
              watch);
      Answers<KeepAliveRequest, KeepAliveResponse> keepAlive = new Answers<>();
      RegistryServiceGrpc.newStub(channel).keepAlive(keepAlive);
      keepAlive.call.onNext(
          KeepAliveRequest.newBuilder()
              .setLeaseId(lease.getLeaseId())
              .setEpoch(lease.getEpoch())
              .build());
      watch.awaitFirst();
      keepAlive.awaitFirst();
      assertEquals(
          new StreamGauges(before.streamsOpen() + 2, before.watchSubscriptions() + 1),
          StreamGauges.read(node.apiPort()),
          "both streams are open on the node");

      // RST_STREAM (CANCEL) for each, on a connection that stays open.
      watch.call.cancel("test over", null);
      keepAlive.call.cancel("test over", null);

      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertEquals(
                      before,
                      StreamGauges.read(node.apiPort()),
                      "the node still holds streams the client reset"));
    } finally {
      channel.shutdownNow();
    }
  }

  /**
   * A reset with another code than CANCEL (here INTERNAL_ERROR, as a proxy or a failing client may
   * send): the Vert.x bridge tells the call nothing of it, so before, the Watch stayed open with
   * its subscription.
   */
  @Test
  void aWatchResetWithAnotherCodeThanCancelIsReleased() throws Exception {
    StreamGauges before = StreamGauges.read(node.apiPort());
    Vertx vertx = Vertx.vertx();
    try {
      HttpClient http2 =
          vertx.createHttpClient(
              new HttpClientOptions()
                  .setProtocolVersion(HttpVersion.HTTP_2)
                  .setHttp2ClearTextUpgrade(false));
      byte[] watch =
          WatchRequest.newBuilder()
              .addTargets(WatchTarget.newBuilder().setService(service))
              .build()
              .toByteArray();
      Buffer framed = RawGrpcHttp.frame(watch);
      HttpClientRequest request =
          http2
              .request(
                  new RequestOptions()
                      .setMethod(HttpMethod.POST)
                      .setHost("127.0.0.1")
                      .setPort(node.apiPort())
                      .setURI("/roster.v1.DiscoveryService/Watch"))
              .toCompletionStage()
              .toCompletableFuture()
              .get(10, TimeUnit.SECONDS);
      List<Buffer> received = new CopyOnWriteArrayList<>();
      request
          .putHeader("content-type", "application/grpc")
          .putHeader("te", "trailers")
          .send(framed)
          .onSuccess(response -> response.handler(received::add));
      await().atMost(Duration.ofSeconds(10)).until(() -> !received.isEmpty());
      assertEquals(
          new StreamGauges(before.streamsOpen() + 1, before.watchSubscriptions() + 1),
          StreamGauges.read(node.apiPort()),
          "the Watch is open on the node");

      request.reset(0x2); // RST_STREAM INTERNAL_ERROR, on a connection that stays open

      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertEquals(
                      before,
                      StreamGauges.read(node.apiPort()),
                      "the node still holds a Watch the client reset"));
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  /** Keeps a call's handle and waits for its first answer. */
  private static final class Answers<Q, A> implements ClientResponseObserver<Q, A> {
    final List<A> received = new CopyOnWriteArrayList<>();
    volatile ClientCallStreamObserver<Q> call;

    @Override
    public void beforeStart(ClientCallStreamObserver<Q> requestStream) {
      this.call = requestStream;
    }

    @Override
    public void onNext(A value) {
      received.add(value);
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}

    void awaitFirst() {
      await().atMost(Duration.ofSeconds(10)).until(() -> !received.isEmpty());
    }
  }
}
