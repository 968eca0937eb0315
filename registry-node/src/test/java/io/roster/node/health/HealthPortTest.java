package io.roster.node.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import io.roster.node.RegistryNode;
import io.roster.node.SingleNode;
import io.roster.testing.FreePorts;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.WatchRequest;
import io.roster.v1.WatchResponse;
import io.roster.v1.WatchTarget;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The health port of a real node: liveness, readiness with quorum, drain, over HTTP and gRPC. */
@Timeout(120)
class HealthPortTest {

  // HTTP/1.1: what probes and `bin/roster-node health` speak.
  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private RegistryNode node;
  private ManagedChannel healthChannel;
  private ManagedChannel apiChannel;

  @AfterEach
  void stop() {
    for (ManagedChannel channel : new ManagedChannel[] {healthChannel, apiChannel}) {
      if (channel != null) {
        channel.shutdownNow();
      }
    }
    if (node != null) {
      node.stop();
    }
  }

  @Test
  void aNodeWithoutQuorumIsLiveButNotReady() throws Exception {
    // Meant to be one of three: alone it sees 1 of the 2 a majority needs.
    start("--cluster.size=3");

    assertEquals(new Answer(200, "ok"), get("/livez"));
    assertEquals(
        new Answer(503, "not ready: no quorum: 1 of 3 nodes seen, 2 needed"), get("/readyz"));
    assertEquals(ServingStatus.SERVING, check(healthChannel, ""));
    assertEquals(ServingStatus.NOT_SERVING, check(healthChannel, NodeHealth.READINESS));
    // The API port serves the same statuses.
    assertEquals(ServingStatus.NOT_SERVING, check(apiChannel, NodeHealth.READINESS));
  }

  @Test
  void drainFromThisHostMakesTheNodeUnreadyAndMovesItsStreams() throws Exception {
    start("--cluster.size=1");
    assertEquals(new Answer(200, "ok"), get("/readyz"));
    assertEquals(ServingStatus.SERVING, check(healthChannel, NodeHealth.READINESS));
    CompletableFuture<Status> watchEnded = new CompletableFuture<>();
    CountDownLatch watching = new CountDownLatch(1);
    DiscoveryServiceGrpc.newStub(apiChannel)
        .watch(
            WatchRequest.newBuilder()
                .addTargets(WatchTarget.newBuilder().setService("orders"))
                .build(),
            new StreamObserver<WatchResponse>() {
              @Override
              public void onNext(WatchResponse value) {
                watching.countDown();
              }

              @Override
              public void onError(Throwable t) {
                watchEnded.complete(Status.fromThrowable(t));
              }

              @Override
              public void onCompleted() {
                watchEnded.complete(Status.OK);
              }
            });
    // The first snapshot: the stream is open on the node.
    assertTrue(watching.await(10, TimeUnit.SECONDS), "no snapshot on the Watch stream");

    Answer drained = post("/drain");

    assertEquals(200, drained.status(), drained.body());
    assertTrue(drained.body().startsWith("draining"), drained.body());
    Status ended = watchEnded.get(10, TimeUnit.SECONDS);
    assertEquals(Status.Code.UNAVAILABLE, ended.getCode());
    assertTrue(ended.getDescription().contains("draining"), ended.getDescription());
    assertEquals(new Answer(503, "not ready: drained"), get("/readyz"));
    assertEquals(ServingStatus.NOT_SERVING, check(healthChannel, NodeHealth.READINESS));
    // Still live, and still answering until it is stopped.
    assertEquals(new Answer(200, "ok"), get("/livez"));
    assertEquals(ServingStatus.SERVING, check(healthChannel, ""));
    DiscoveryServiceGrpc.newBlockingStub(apiChannel)
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .discover(DiscoverRequest.newBuilder().setService("orders").build());
    assertEquals(new Answer(200, "already drained"), post("/drain"));
  }

  @Test
  void wrongMethodsAndPathsAreToldWhatTheyMayAsk() throws Exception {
    start("--cluster.size=1");

    Answer getDrain = get("/drain");
    assertEquals(405, getDrain.status());
    assertEquals("/drain takes POST", getDrain.body());
    assertEquals(405, post("/readyz").status());
    Answer unknown = get("/v1/services");
    assertEquals(404, unknown.status());
    assertTrue(unknown.body().contains("/livez"), unknown.body());
  }

  @Test
  void drainsAreTakenFromLoopbackPeersOnly() {
    assertTrue(NodeHealth.isLoopback("127.0.0.1"));
    assertTrue(NodeHealth.isLoopback("127.3.2.1"));
    assertTrue(NodeHealth.isLoopback("::1"));
    assertFalse(NodeHealth.isLoopback("10.0.0.7"));
    assertFalse(NodeHealth.isLoopback("fe80::1"));
    assertFalse(NodeHealth.isLoopback(null));
  }

  @Test
  void aStoppedNodeIsNeitherLiveNorReady() throws Exception {
    start("--cluster.size=1");
    assertEquals(ServingStatus.SERVING, check(healthChannel, ""));

    node.stop();

    StatusRuntimeException closed =
        org.junit.jupiter.api.Assertions.assertThrows(
            StatusRuntimeException.class, () -> check(healthChannel, ""));
    assertEquals(Status.Code.UNAVAILABLE, closed.getStatus().getCode());
    node = null;
  }

  private void start(String... flags) {
    String[] all = new String[flags.length + 1];
    all[0] = "--health.port=" + FreePorts.next();
    System.arraycopy(flags, 0, all, 1, flags.length);
    node = SingleNode.start("health", all);
    healthChannel =
        ManagedChannelBuilder.forAddress("127.0.0.1", node.healthPort()).usePlaintext().build();
    apiChannel =
        ManagedChannelBuilder.forAddress("127.0.0.1", node.apiPort()).usePlaintext().build();
  }

  private static ServingStatus check(ManagedChannel channel, String service) {
    return HealthGrpc.newBlockingStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .check(HealthCheckRequest.newBuilder().setService(service).build())
        .getStatus();
  }

  private Answer get(String path) throws Exception {
    return send(HttpRequest.newBuilder(uri(path)).GET());
  }

  private Answer post(String path) throws Exception {
    return send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.noBody()));
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + node.healthPort() + path);
  }

  private static Answer send(HttpRequest.Builder request) throws Exception {
    HttpResponse<String> response =
        HTTP.send(
            request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(response.statusCode(), response.body().strip());
  }

  private record Answer(int status, String body) {}
}
