package io.roster.node.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.roster.node.RegistryNode;
import io.roster.node.SingleNode;
import io.roster.testing.RawBytes;
import io.roster.v1.RegistryServiceGrpc;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Malformed gRPC requests, sent as raw bytes to a real node: each is answered at once, with the
 * status that fits and a message saying what was wrong. Before, two were never answered (their
 * streams held), one blamed the node (INTERNAL "Half-closed without a request") and one had no
 * message.
 */
@Timeout(120)
class MalformedRequestsIT {

  private static final String REGISTER = "roster.v1.RegistryService/Register";

  private static RegistryNode node;
  private static ManagedChannel channel;
  private static RawGrpcHttp raw;

  @BeforeAll
  static void startNode() throws Exception {
    node = SingleNode.start("malformed-requests");
    channel = NettyChannelBuilder.forAddress("127.0.0.1", node.apiPort()).usePlaintext().build();
    raw = new RawGrpcHttp();
    raw.warmUp("127.0.0.1", node.apiPort());
  }

  @AfterAll
  static void stopNode() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (raw != null) {
      raw.close();
    }
    if (node != null) {
      node.stop();
    }
  }

  @Test
  void aMessageThatIsNotProtobufIsInvalidArgument() {
    Status status = callWithRawBytes(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff});

    assertEquals(Status.Code.INVALID_ARGUMENT, status.getCode(), status.toString());
    assertTrue(status.getDescription().contains("could not be parsed"), status.toString());
  }

  /**
   * Groups nested 100,000 deep: protobuf stops at 100 levels, and its message advised the caller to
   * raise the server's recursion limit; the refusal names the limit instead.
   */
  @Test
  void aMessageNestedPastTheParsersLimitIsRefusedNamingTheLimit() {
    int depth = 100_000;
    byte[] groups = new byte[2 * depth];
    Arrays.fill(groups, 0, depth, (byte) (15 << 3 | 3)); // start group, field 15
    Arrays.fill(groups, depth, 2 * depth, (byte) (15 << 3 | 4)); // end group

    Status status = callWithRawBytes(groups);

    assertEquals(Status.Code.INVALID_ARGUMENT, status.getCode(), status.toString());
    assertTrue(
        status
            .getDescription()
            .endsWith("could not be parsed (messages or groups nested more than 100 deep)"),
        status.toString());
  }

  @Test
  void aMessageOverTheLimitIsResourceExhaustedNamingTheLimit() {
    Status status = callWithRawBytes(new byte[1024 * 1024 + 1]);

    assertEquals(Status.Code.RESOURCE_EXHAUSTED, status.getCode(), status.toString());
    assertTrue(status.getDescription().contains("1048577 bytes"), status.toString());
    assertTrue(status.getDescription().contains("1048576 bytes"), status.toString());
  }

  @Test
  void aCompressedMessageWithoutGrpcEncodingIsAnswered() throws Exception {
    // Flag 1 (compressed), 3 bytes, and no grpc-encoding header.
    RawGrpcHttp.Answer answer =
        raw.http2(
            "127.0.0.1",
            node.apiPort(),
            "/" + REGISTER,
            "application/grpc",
            Buffer.buffer(new byte[] {1, 0, 0, 0, 3, 1, 2, 3}));

    assertEquals(Status.Code.INTERNAL, answer.code(), answer.toString());
    assertTrue(answer.message().contains("no grpc-encoding"), answer.toString());
  }

  @Test
  void aGrpcWebTextBodyThatIsNotBase64IsInvalidArgument() throws Exception {
    RawGrpcHttp.Answer answer =
        raw.http1(
            "127.0.0.1",
            node.apiPort(),
            "/" + REGISTER,
            "application/grpc-web-text",
            Buffer.buffer("this is not base64!"));

    assertEquals(Status.Code.INVALID_ARGUMENT, answer.code(), answer.toString());
    assertTrue(answer.message().contains("not base64"), answer.toString());
  }

  /**
   * The JSON wire format ({@code +json}) is not served: Vert.x parsed such messages itself, before
   * the call guard, leniently, and a malformed one was answered INTERNAL "Half-closed without a
   * request" with a stack trace in the log. It is refused before any of it is read, naming the
   * content types served, whether the JSON is well formed or not.
   */
  @Test
  void theJsonWireFormatIsRefusedNamingTheContentTypesServed() throws Exception {
    Buffer malformed = RawGrpcHttp.frame("{'instance': ".getBytes(StandardCharsets.UTF_8));
    Buffer wellFormed = RawGrpcHttp.frame("{}".getBytes(StandardCharsets.UTF_8));
    String clusterStatus = "/roster.v1.ClusterService/ClusterStatus";

    for (RawGrpcHttp.Answer answer :
        List.of(
            raw.http2(
                "127.0.0.1", node.apiPort(), "/" + REGISTER, "application/grpc+json", malformed),
            raw.http1(
                "127.0.0.1",
                node.apiPort(),
                "/" + REGISTER,
                "application/grpc-web+json",
                malformed),
            raw.http1(
                "127.0.0.1",
                node.apiPort(),
                "/" + REGISTER,
                "application/grpc-web-text+json",
                Buffer.buffer(Base64.getEncoder().encode(malformed.getBytes()))),
            raw.http2(
                "127.0.0.1", node.apiPort(), clusterStatus, "application/grpc+json", wellFormed),
            raw.http1(
                "127.0.0.1",
                node.apiPort(),
                clusterStatus,
                "application/grpc-web+json",
                wellFormed))) {
      assertEquals(200, answer.httpStatus(), answer.toString());
      assertEquals(Status.Code.UNIMPLEMENTED, answer.code(), answer.toString());
      assertTrue(answer.message().contains("+json"), answer.toString());
      assertTrue(answer.message().contains("application/grpc-web+proto"), answer.toString());
      assertTrue(answer.message().contains("/v1/"), answer.toString());
    }
  }

  /** Content types Vert.x answered with a bare 415 now get a gRPC status saying what is served. */
  @Test
  void otherContentTypesAreRefusedNamingTheContentTypesServed() throws Exception {
    Buffer empty = RawGrpcHttp.frame(new byte[0]);
    for (RawGrpcHttp.Answer answer :
        List.of(
            raw.http2(
                "127.0.0.1", node.apiPort(), "/" + REGISTER, "application/grpc+thrift", empty),
            raw.http2(
                "127.0.0.1", node.apiPort(), "/" + REGISTER, "application/grpc; charset=x", empty),
            raw.http1("127.0.0.1", node.apiPort(), "/" + REGISTER, "application/grpc", empty))) {
      assertEquals(Status.Code.UNIMPLEMENTED, answer.code(), answer.toString());
      assertTrue(answer.message().contains("application/grpc+proto"), answer.toString());
    }
  }

  @Test
  void aKeepAliveRefusedForAnUnparseableMessageIsReleased() throws Exception {
    assertKeepAliveRefusedAndReleased(
        new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff}, Status.Code.INVALID_ARGUMENT);
  }

  @Test
  void aKeepAliveRefusedForAMessageOverTheLimitIsReleased() throws Exception {
    assertKeepAliveRefusedAndReleased(new byte[1024 * 1024 + 1], Status.Code.RESOURCE_EXHAUSTED);
  }

  /**
   * Opens a KeepAlive stream with one good message, then sends {@code bad}: the node answers with
   * {@code expected} and releases the stream (the open-streams gauge goes back to where it was).
   */
  private static void assertKeepAliveRefusedAndReleased(byte[] bad, Status.Code expected)
      throws Exception {
    StreamGauges before = StreamGauges.read(node.apiPort());
    MethodDescriptor<byte[], byte[]> raw =
        RawBytes.method(RegistryServiceGrpc.getKeepAliveMethod());
    java.util.concurrent.CompletableFuture<Status> ended =
        new java.util.concurrent.CompletableFuture<>();
    java.util.concurrent.CountDownLatch answered = new java.util.concurrent.CountDownLatch(1);
    io.grpc.stub.StreamObserver<byte[]> requests =
        ClientCalls.asyncBidiStreamingCall(
            channel.newCall(raw, CallOptions.DEFAULT),
            new io.grpc.stub.StreamObserver<byte[]>() {
              @Override
              public void onNext(byte[] value) {
                answered.countDown();
              }

              @Override
              public void onError(Throwable t) {
                ended.complete(Status.fromThrowable(t));
              }

              @Override
              public void onCompleted() {
                ended.complete(Status.OK);
              }
            });
    requests.onNext(
        io.roster.v1.KeepAliveRequest.newBuilder()
            .setLeaseId("no-such-lease")
            .build()
            .toByteArray());
    assertTrue(answered.await(10, TimeUnit.SECONDS), "the good message was not answered");
    assertEquals(before.streamsOpen() + 1, StreamGauges.read(node.apiPort()).streamsOpen());

    requests.onNext(bad);

    Status status = ended.get(1, TimeUnit.SECONDS);
    assertEquals(expected, status.getCode(), status.toString());
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertEquals(
                    before.streamsOpen(),
                    StreamGauges.read(node.apiPort()).streamsOpen(),
                    "the refused KeepAlive is still open on the node"));
  }

  /** Register with {@code bytes} as the request message, as a grpc-java client sends it. */
  private static Status callWithRawBytes(byte[] bytes) {
    MethodDescriptor<byte[], byte[]> raw = RawBytes.method(RegistryServiceGrpc.getRegisterMethod());
    try {
      ClientCalls.blockingUnaryCall(
          channel, raw, CallOptions.DEFAULT.withDeadlineAfter(1, TimeUnit.SECONDS), bytes);
      throw new AssertionError("the node accepted a malformed request");
    } catch (StatusRuntimeException e) {
      return e.getStatus();
    }
  }
}
