package io.roster.node.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.roster.node.access.Access;
import io.roster.node.access.Principal;
import io.roster.node.limits.Admission;
import io.roster.node.transport.RawGrpcHttp;
import io.roster.v1.ClusterServiceGrpc;
import io.roster.v1.ClusterStatusRequest;
import io.roster.v1.ClusterStatusResponse;
import io.roster.v1.KeepAliveRequest;
import io.roster.v1.KeepAliveResponse;
import io.roster.v1.LeaseState;
import io.roster.v1.RegistryServiceGrpc;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.grpc.server.Service;
import io.vertx.grpcio.server.GrpcIoServer;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Unary methods served directly on Vert.x's gRPC server ({@link ServiceBinding}, {@link UnaryCall})
 * behave as they did through the bridge, and streaming methods of the same service are still
 * bridged: answers, the token in the call's context, compressed requests, deadlines, cancels,
 * gRPC-Web, malformed unary requests.
 */
@Timeout(60)
class UnaryCallTest {

  private static final Access ACCESS = Access.off();

  private static CallRecorder calls;

  private static final String CLUSTER_STATUS = "/roster.v1.ClusterService/ClusterStatus";

  /** What the next ClusterStatus call does with its observer; answers the token by default. */
  private static final AtomicReference<Consumer<StreamObserver<ClusterStatusResponse>>> behaviour =
      new AtomicReference<>();

  private static Vertx vertx;
  private static GrpcIoServer grpc;
  private static HttpServer server;
  private static ManagedChannel channel;
  private static RawGrpcHttp raw;

  @BeforeAll
  static void startServer() throws Exception {
    vertx = Vertx.vertx();
    grpc = GrpcIoServer.server(vertx);
    ClusterServiceGrpc.ClusterServiceImplBase cluster =
        new ClusterServiceGrpc.ClusterServiceImplBase() {
          @Override
          public void clusterStatus(
              ClusterStatusRequest request, StreamObserver<ClusterStatusResponse> observer) {
            behaviour.get().accept(observer);
          }
        };
    RegistryServiceGrpc.RegistryServiceImplBase registry =
        new RegistryServiceGrpc.RegistryServiceImplBase() {
          @Override
          public StreamObserver<KeepAliveRequest> keepAlive(
              StreamObserver<KeepAliveResponse> responses) {
            return new StreamObserver<>() {
              @Override
              public void onNext(KeepAliveRequest request) {
                responses.onNext(
                    KeepAliveResponse.newBuilder()
                        .setLeaseId(request.getLeaseId())
                        .setState(LeaseState.LEASE_STATE_ACTIVE)
                        .build());
              }

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onCompleted() {
                responses.onCompleted();
              }
            };
          }
        };
    grpc.addService(ServiceBinding.of(CallGuard.guard(cluster.bindService())));
    grpc.addService(ServiceBinding.of(CallGuard.guard(registry.bindService())));
    calls = new CallRecorder(new SimpleMeterRegistry(), grpc.services(), List.of(), false);
    server =
        vertx
            .createHttpServer()
            .requestHandler(
                request ->
                    HttpEndpoints.serveGrpc(
                        vertx, grpc, ACCESS, Admission.off(), request, calls.grpc(request)))
            .listen(0, "127.0.0.1")
            .toCompletionStage()
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);
    channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", server.actualPort()).usePlaintext().build();
    raw = new RawGrpcHttp();
  }

  @AfterAll
  static void stopServer() throws Exception {
    raw.close();
    channel.shutdownNow();
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @BeforeEach
  void answerThePrincipal() {
    behaviour.set(
        observer -> {
          observer.onNext(
              ClusterStatusResponse.newBuilder().setClusterName(Access.current().name()).build());
          observer.onCompleted();
        });
  }

  private static ClusterServiceGrpc.ClusterServiceBlockingStub cluster() {
    return ClusterServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  @Test
  void unaryCallsRunWithTheirCallersPrincipalInTheirContext() {
    // Access control is off here (the raw-frame tests send no credential): every caller is
    // "anyone". AccessIT checks the principals of tokens and certificates on a real node.
    ClusterStatusResponse answer =
        cluster().clusterStatus(ClusterStatusRequest.getDefaultInstance());

    assertEquals(Principal.ANYONE.name(), answer.getClusterName());
  }

  @Test
  void streamingMethodsOfTheSameServiceAreStillServed() throws Exception {
    CompletableFuture<KeepAliveResponse> answered = new CompletableFuture<>();
    StreamObserver<KeepAliveRequest> requests =
        RegistryServiceGrpc.newStub(channel)
            .keepAlive(
                new StreamObserver<>() {
                  @Override
                  public void onNext(KeepAliveResponse value) {
                    answered.complete(value);
                  }

                  @Override
                  public void onError(Throwable t) {
                    answered.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {}
                });
    requests.onNext(KeepAliveRequest.newBuilder().setLeaseId("a/b/c/1").build());

    assertEquals(LeaseState.LEASE_STATE_ACTIVE, answered.get(10, TimeUnit.SECONDS).getState());
    requests.onCompleted();
  }

  @Test
  void gzipCompressedRequestsAreServed() {
    assertEquals(
        Principal.ANYONE.name(),
        cluster()
            .withCompression("gzip")
            .clusterStatus(ClusterStatusRequest.getDefaultInstance())
            .getClusterName());
  }

  @Test
  void aCompressedRequestThatDecompressesOverTheLimitIsResourceExhausted() throws Exception {
    ByteArrayOutputStream zipped = new ByteArrayOutputStream();
    try (GZIPOutputStream gzip = new GZIPOutputStream(zipped)) {
      gzip.write(new byte[GrpcFrameCheck.MAX_MESSAGE_BYTES + 1]);
    }

    RawGrpcHttp.Answer answer = sendCompressed("gzip", zipped.toByteArray());

    assertEquals(Status.Code.RESOURCE_EXHAUSTED, answer.code(), answer.toString());
    assertTrue(answer.message().contains("1048576 bytes"), answer.toString());
  }

  @Test
  void anEncodingGrpcDoesNotKnowIsUnimplemented() throws Exception {
    RawGrpcHttp.Answer answer = sendCompressed("br", new byte[] {1, 2, 3});

    assertEquals(Status.Code.UNIMPLEMENTED, answer.code(), answer.toString());
    assertTrue(answer.message().contains("grpc-encoding br is not supported"), answer.toString());
  }

  @Test
  void aDeadlineThatPassesIsAnsweredAndTheServiceIsToldTheCallIsOver() throws Exception {
    AtomicReference<StreamObserver<ClusterStatusResponse>> held = new AtomicReference<>();
    CountDownLatch cancelled = new CountDownLatch(1);
    behaviour.set(
        observer -> {
          ((ServerCallStreamObserver<ClusterStatusResponse>) observer)
              .setOnCancelHandler(cancelled::countDown);
          held.set(observer);
        });

    RawGrpcHttp.Answer answer =
        raw.http2(
            "127.0.0.1",
            server.actualPort(),
            CLUSTER_STATUS,
            "application/grpc",
            Map.of("grpc-timeout", "200m"),
            RawGrpcHttp.frame(new byte[0]));

    assertEquals(Status.Code.DEADLINE_EXCEEDED, answer.code(), answer.toString());
    assertTrue(answer.message().contains("200 ms"), answer.toString());
    assertTrue(cancelled.await(10, TimeUnit.SECONDS), "the service was not told");
    // A late answer goes nowhere, quietly; the next call is served.
    held.get().onNext(ClusterStatusResponse.getDefaultInstance());
    held.get().onCompleted();
    answerThePrincipal();
    assertEquals(
        Principal.ANYONE.name(),
        cluster().clusterStatus(ClusterStatusRequest.getDefaultInstance()).getClusterName());
  }

  @Test
  void aCallTheClientCancelsIsCancelledForTheService() throws Exception {
    CountDownLatch cancelled = new CountDownLatch(1);
    CountDownLatch started = new CountDownLatch(1);
    behaviour.set(
        observer -> {
          ((ServerCallStreamObserver<ClusterStatusResponse>) observer)
              .setOnCancelHandler(cancelled::countDown);
          started.countDown();
        });

    ListenableFuture<ClusterStatusResponse> call =
        ClusterServiceGrpc.newFutureStub(channel)
            .clusterStatus(ClusterStatusRequest.getDefaultInstance());
    assertTrue(started.await(10, TimeUnit.SECONDS), "the call did not start");
    call.cancel(true);

    assertTrue(cancelled.await(10, TimeUnit.SECONDS), "the service was not told");
  }

  @Test
  void aUnaryCallWithoutARequestIsInternal() throws Exception {
    RawGrpcHttp.Answer answer =
        raw.http2(
            "127.0.0.1", server.actualPort(), CLUSTER_STATUS, "application/grpc", Buffer.buffer());

    assertEquals(Status.Code.INTERNAL, answer.code(), answer.toString());
    assertTrue(answer.message().contains("Half-closed without a request"), answer.toString());
  }

  @Test
  void aUnaryCallWithTwoRequestsIsInternal() throws Exception {
    Buffer two = RawGrpcHttp.frame(new byte[0]).appendBuffer(RawGrpcHttp.frame(new byte[0]));

    RawGrpcHttp.Answer answer =
        raw.http2("127.0.0.1", server.actualPort(), CLUSTER_STATUS, "application/grpc", two);

    assertEquals(Status.Code.INTERNAL, answer.code(), answer.toString());
    assertTrue(answer.message().contains("Too many requests"), answer.toString());
  }

  @Test
  void grpcWebCallsAreServed() throws Exception {
    RawGrpcHttp.Answer answer =
        raw.http1(
            "127.0.0.1",
            server.actualPort(),
            CLUSTER_STATUS,
            "application/grpc-web+proto",
            RawGrpcHttp.frame(new byte[0]));

    assertEquals(Status.Code.OK, answer.code(), answer.toString());
  }

  @Test
  void everyServiceKeepsItsWholeDescriptorForReflection() {
    Service bound =
        grpc.services().stream()
            .filter(
                service -> service.name().fullyQualifiedName().equals("roster.v1.ClusterService"))
            .findFirst()
            .orElseThrow();

    assertTrue(bound.hasMethod("ClusterStatus"));
    Service registry =
        grpc.services().stream()
            .filter(
                service -> service.name().fullyQualifiedName().equals("roster.v1.RegistryService"))
            .findFirst()
            .orElseThrow();
    assertTrue(registry.hasMethod("Heartbeat"));
    assertTrue(registry.hasMethod("KeepAlive"));
  }

  /** One ClusterStatus request whose message is {@code payload}, flagged compressed. */
  private static RawGrpcHttp.Answer sendCompressed(String encoding, byte[] payload)
      throws Exception {
    Buffer frame =
        Buffer.buffer().appendByte((byte) 1).appendInt(payload.length).appendBytes(payload);
    return raw.http2(
        "127.0.0.1",
        server.actualPort(),
        CLUSTER_STATUS,
        "application/grpc",
        Map.of("grpc-encoding", encoding),
        frame);
  }
}
