package io.roster.node.api;

import static io.roster.node.api.RegistryApiTest.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.roster.testing.RawBytes;
import io.roster.v1.ClusterServiceGrpc;
import io.roster.v1.ClusterStatusRequest;
import io.roster.v1.ClusterStatusResponse;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.grpcio.server.GrpcIoServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A guarded service on the Vert.x gRPC server, as the node serves its own: whatever the handler
 * throws, the call is answered; a request that is not protobuf is INVALID_ARGUMENT; status messages
 * reach the caller as written, encoded as the gRPC spec says.
 */
@Timeout(60)
class CallGuardTest {

  /** What the next ClusterStatus call does. */
  private static final AtomicReference<Runnable> behaviour = new AtomicReference<>();

  /** When set, ClusterStatus fails the call with it, as services fail calls. */
  private static final AtomicReference<Status> failWith = new AtomicReference<>();

  private static Vertx vertx;
  private static HttpServer server;
  private static ManagedChannel channel;
  private static ClusterServiceGrpc.ClusterServiceBlockingStub cluster;

  @BeforeAll
  static void startServer() throws Exception {
    vertx = Vertx.vertx();
    GrpcIoServer grpc = GrpcIoServer.server(vertx);
    ClusterServiceGrpc.ClusterServiceImplBase service =
        new ClusterServiceGrpc.ClusterServiceImplBase() {
          @Override
          public void clusterStatus(
              ClusterStatusRequest request, StreamObserver<ClusterStatusResponse> observer) {
            Status failure = failWith.getAndSet(null);
            if (failure != null) {
              observer.onError(failure.asRuntimeException());
              return;
            }
            behaviour.get().run();
            observer.onNext(ClusterStatusResponse.newBuilder().setClusterName("fine").build());
            observer.onCompleted();
          }
        };
    // As the node binds its services: unary methods served directly (ServiceBinding).
    grpc.addService(ServiceBinding.of(CallGuard.guard(service.bindService())));
    server =
        vertx
            .createHttpServer()
            .requestHandler(grpc)
            .listen(0, "127.0.0.1")
            .toCompletionStage()
            .toCompletableFuture()
            .get(30, TimeUnit.SECONDS);
    channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", server.actualPort()).usePlaintext().build();
    cluster = ClusterServiceGrpc.newBlockingStub(channel);
  }

  @AfterAll
  static void stopServer() throws Exception {
    channel.shutdownNow();
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static ClusterServiceGrpc.ClusterServiceBlockingStub cluster() {
    return cluster.withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  @Test
  void handlerThatThrowsIsAnsweredWithInternal() {
    behaviour.set(
        () -> {
          throw new IllegalArgumentException("fromIndex(0) > toIndex(-1)");
        });

    StatusRuntimeException answered =
        assertStatus(
            Status.Code.INTERNAL,
            () -> cluster().clusterStatus(ClusterStatusRequest.getDefaultInstance()));

    assertEquals(
        "internal error in ClusterStatus; the node logged the details",
        answered.getStatus().getDescription());
  }

  @Test
  void handlerThatThrowsAnErrorIsAnsweredWithInternal() {
    behaviour.set(
        () -> {
          throw new AssertionError("a bug");
        });

    assertStatus(
        Status.Code.INTERNAL,
        () -> cluster().clusterStatus(ClusterStatusRequest.getDefaultInstance()));
  }

  @Test
  void handlerThatThrowsAStatusIsAnsweredWithIt() {
    behaviour.set(
        () -> {
          throw Status.NOT_FOUND.withDescription("no such thing").asRuntimeException();
        });

    StatusRuntimeException answered =
        assertStatus(
            Status.Code.NOT_FOUND,
            () -> cluster().clusterStatus(ClusterStatusRequest.getDefaultInstance()));

    assertEquals("no such thing", answered.getStatus().getDescription());
  }

  @Test
  void serverGoesOnAnsweringAfterAThrow() {
    behaviour.set(
        () -> {
          throw new IllegalStateException("once");
        });
    assertStatus(
        Status.Code.INTERNAL,
        () -> cluster().clusterStatus(ClusterStatusRequest.getDefaultInstance()));

    behaviour.set(() -> {});

    assertEquals(
        "fine",
        cluster().clusterStatus(ClusterStatusRequest.getDefaultInstance()).getClusterName());
  }

  @Test
  void requestThatIsNotProtobufIsInvalidArgument() {
    behaviour.set(() -> {});

    StatusRuntimeException refused =
        assertStatus(
            Status.Code.INVALID_ARGUMENT,
            () ->
                ClientCalls.blockingUnaryCall(
                    channel,
                    rawClusterStatus(),
                    CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
                    new byte[] {(byte) 0xff, 1, 2, 3, 4}));

    assertTrue(
        refused
            .getStatus()
            .getDescription()
            .startsWith(
                "the request is not a valid roster.v1.ClusterService/ClusterStatus request"
                    + " message: "),
        refused.getStatus().getDescription());
  }

  @Test
  void statusMessageReachesTheCallerAsWritten() {
    String message = "instance.service: is required; a/b, 100% caf\u00e9 \u2603 ~\nnext";
    failWith.set(Status.INVALID_ARGUMENT.withDescription(message));

    StatusRuntimeException answered =
        assertStatus(
            Status.Code.INVALID_ARGUMENT,
            () -> cluster().clusterStatus(ClusterStatusRequest.getDefaultInstance()));

    assertEquals(message, answered.getStatus().getDescription());
  }

  @Test
  void statusMessageIsPercentEncodedOnlyWhereTheSpecSays() throws Exception {
    failWith.set(
        Status.INVALID_ARGUMENT.withDescription(
            "instance.service: is required; a/b, 100% caf\u00e9"));

    assertEquals(
        "instance.service: is required; a/b, 100%25 caf%C3%A9",
        grpcWebMessage(server.actualPort(), "/roster.v1.ClusterService/ClusterStatus"));
  }

  @Test
  void encodingFollowsTheSpec() {
    assertEquals(
        " !\"#$%25&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~",
        encode(" !\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~"));
    assertEquals("%00%0A%0D%7F%C3%A9%E2%98%83", encode("\u0000\n\r\u007f\u00e9\u2603"));
  }

  private static String encode(String message) {
    return CallGuard.encodeMessage(message);
  }

  /**
   * The {@code grpc-message} of an empty gRPC-Web call, exactly as sent: gRPC-Web over HTTP/1.1
   * leaves headers readable, and the node encodes them the same way for gRPC over HTTP/2.
   */
  static String grpcWebMessage(int port, String path) throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpResponse<byte[]> response =
        client.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("content-type", "application/grpc-web+proto")
                .header("x-grpc-web", "1")
                .timeout(java.time.Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[5]))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    String inHeaders = response.headers().firstValue("grpc-message").orElse(null);
    if (inHeaders != null) {
      return inHeaders;
    }
    // Trailers in the body: a frame flagged 0x80 holding "name: value\r\n" lines.
    String body = new String(response.body(), java.nio.charset.StandardCharsets.ISO_8859_1);
    for (String line : body.split("\r\n")) {
      int at = line.indexOf("grpc-message:");
      if (at >= 0) {
        return line.substring(at + "grpc-message:".length()).trim();
      }
    }
    throw new AssertionError("no grpc-message in " + response.headers().map() + " / " + body);
  }

  private static MethodDescriptor<byte[], byte[]> rawClusterStatus() {
    return RawBytes.method(ClusterServiceGrpc.getClusterStatusMethod());
  }
}
