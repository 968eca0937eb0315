package io.roster.node.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.roster.node.RegistryNode;
import io.roster.node.Scrape;
import io.roster.node.SingleNode;
import io.roster.node.transport.RawGrpcHttp;
import io.roster.testing.Instances;
import io.roster.v1.DeregisterRequest;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.HeartbeatRequest;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import io.roster.v1.WatchRequest;
import io.roster.v1.WatchResponse;
import io.roster.v1.WatchTarget;
import io.vertx.core.buffer.Buffer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The per-call metrics of one real node, read from its {@code /metrics} as Prometheus reads them
 * after real gRPC and HTTP calls: each call counted once under its method and status code, whether
 * the service answered it, refused it, or never saw it (refused at the door), streams when they
 * end, and callers' made-up paths never becoming tag values.
 */
@Timeout(120)
class CallMetricsTest {

  private static final String RPC_COUNT = "roster_rpc_server_seconds_count";
  private static final String HTTP_COUNT = "roster_http_server_seconds_count";
  private static final String REGISTER = "roster.v1.RegistryService/Register";
  private static final String HEARTBEAT = "roster.v1.RegistryService/Heartbeat";
  private static final String WATCH = "roster.v1.DiscoveryService/Watch";

  private static RegistryNode node;
  private static ManagedChannel channel;
  private static RawGrpcHttp raw;
  private static final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void startNode() throws Exception {
    node = SingleNode.start("call-metrics");
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", node.apiPort()).usePlaintext().build();
    raw = new RawGrpcHttp();
    raw.warmUp("127.0.0.1", node.apiPort());
  }

  @AfterAll
  static void stopNode() {
    raw.close();
    channel.shutdownNow();
    node.stop();
  }

  @Test
  void eachCallIsCountedOnceUnderItsMethodAndStatus() throws Exception {
    double registeredBefore = rpcCount(REGISTER, "OK");
    double notFoundBefore = rpcCount(HEARTBEAT, "NOT_FOUND");
    double malformedBefore = rpcCount(REGISTER, "INVALID_ARGUMENT");
    double refusedBefore = rpcCount(REGISTER, "UNIMPLEMENTED");

    RegistryServiceGrpc.RegistryServiceBlockingStub registry =
        RegistryServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    RegisterResponse registered =
        registry.register(Instances.register(Instances.of("counted").setInstanceId("c-1")));
    registry.deregister(DeregisterRequest.newBuilder().setLeaseId(registered.getLeaseId()).build());
    StatusRuntimeException gone =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                registry.heartbeat(
                    HeartbeatRequest.newBuilder().setLeaseId(registered.getLeaseId()).build()));
    assertEquals(Status.Code.NOT_FOUND, gone.getStatus().getCode());
    // Not a protobuf message: refused by the guard before the service sees it.
    RawGrpcHttp.Answer malformed =
        raw.http2(
            "127.0.0.1",
            node.apiPort(),
            "/" + REGISTER,
            "application/grpc",
            RawGrpcHttp.frame(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff}));
    assertEquals(Status.Code.INVALID_ARGUMENT, malformed.code(), malformed.toString());
    // A content type the node does not serve: refused before the gRPC server reads it.
    RawGrpcHttp.Answer json =
        raw.http2(
            "127.0.0.1",
            node.apiPort(),
            "/" + REGISTER,
            "application/grpc+json",
            Buffer.buffer("{}"));
    assertEquals(Status.Code.UNIMPLEMENTED, json.code(), json.toString());

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertEquals(registeredBefore + 1, rpcCount(REGISTER, "OK"));
              assertEquals(notFoundBefore + 1, rpcCount(HEARTBEAT, "NOT_FOUND"));
              assertEquals(malformedBefore + 1, rpcCount(REGISTER, "INVALID_ARGUMENT"));
              assertEquals(refusedBefore + 1, rpcCount(REGISTER, "UNIMPLEMENTED"));
            });
    Scrape scrape = Scrape.of(node.apiPort());
    assertTrue(
        scrape.sum(
                "roster_rpc_server_seconds_bucket",
                Map.of("method", REGISTER, "code", "OK", "le", "+Inf"))
            >= 1,
        "latency histogram of Register:\n" + scrape);
    assertTrue(
        scrape.sum("roster_rpc_server_messages_received_total", Map.of("method", REGISTER)) >= 1);
  }

  @Test
  void pathsCallersMakeUpShareOneTagValue() throws Exception {
    double unknownRpcBefore = rpcCount(CallRecorder.UNKNOWN, "UNIMPLEMENTED");
    double unknownRouteBefore = httpCount(CallRecorder.UNKNOWN, "404");

    for (String path : new String[] {"/roster.v1.Made/Up", "/nothing-here-1234"}) {
      RawGrpcHttp.Answer answer =
          raw.http2(
              "127.0.0.1",
              node.apiPort(),
              path,
              "application/grpc",
              RawGrpcHttp.frame(new byte[0]));
      assertEquals(Status.Code.UNIMPLEMENTED, answer.code(), answer.toString());
    }
    assertEquals(404, get("/v1/made-up-5678").statusCode());
    assertEquals(404, get("/elsewhere").statusCode());

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertEquals(unknownRpcBefore + 2, rpcCount(CallRecorder.UNKNOWN, "UNIMPLEMENTED"));
              assertEquals(unknownRouteBefore + 2, httpCount(CallRecorder.UNKNOWN, "404"));
            });
    Scrape scrape = Scrape.of(node.apiPort());
    String methods = scrape.labelValues(RPC_COUNT, "method").toString();
    String routes = scrape.labelValues(HTTP_COUNT, "route").toString();
    assertFalse(methods.contains("Made") || methods.contains("nothing-here"), methods);
    assertFalse(routes.contains("made-up") || routes.contains("elsewhere"), routes);
  }

  @Test
  void httpRoutesAreCountedByTheirTemplateNeverTheirQuery() throws Exception {
    double before = httpCount("/v1/discover", "200");

    assertEquals(200, get("/v1/discover?service=by-route-1").statusCode());
    assertEquals(200, get("/v1/discover?service=by-route-2").statusCode());

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertEquals(before + 2, httpCount("/v1/discover", "200")));
  }

  @Test
  void aStreamIsCountedWhenItEndsWithItsMessages() throws Exception {
    double cancelledBefore = rpcCount(WATCH, "CANCELLED");
    double sentBefore =
        Scrape.of(node.apiPort())
            .sum("roster_rpc_server_messages_sent_total", Map.of("method", WATCH));

    CompletableFuture<WatchResponse> first = new CompletableFuture<>();
    Context.CancellableContext watching = Context.current().withCancellation();
    watching.run(
        () ->
            DiscoveryServiceGrpc.newStub(channel)
                .watch(
                    WatchRequest.newBuilder()
                        .addTargets(WatchTarget.newBuilder().setService("streamed"))
                        .build(),
                    new StreamObserver<>() {
                      @Override
                      public void onNext(WatchResponse value) {
                        first.complete(value);
                      }

                      @Override
                      public void onError(Throwable t) {
                        first.completeExceptionally(t);
                      }

                      @Override
                      public void onCompleted() {}
                    }));
    assertTrue(first.get(10, TimeUnit.SECONDS).hasSnapshot());
    assertEquals(cancelledBefore, rpcCount(WATCH, "CANCELLED"), "counted only once it ends");

    watching.cancel(null);

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertEquals(cancelledBefore + 1, rpcCount(WATCH, "CANCELLED")));
    assertTrue(
        Scrape.of(node.apiPort())
                .sum("roster_rpc_server_messages_sent_total", Map.of("method", WATCH))
            >= sentBefore + 1);
  }

  private static double rpcCount(String method, String code) {
    return Scrape.of(node.apiPort()).sum(RPC_COUNT, Map.of("method", method, "code", code));
  }

  private static double httpCount(String route, String status) {
    return Scrape.of(node.apiPort()).sum(HTTP_COUNT, Map.of("route", route, "status", status));
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.apiPort() + path))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
