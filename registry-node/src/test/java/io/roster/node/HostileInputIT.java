package io.roster.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.roster.node.http.JsonHttp;
import io.roster.node.transport.RawGrpcHttp;
import io.roster.node.transport.RawHttp2;
import io.roster.node.transport.StreamGauges;
import io.roster.testing.Instances;
import io.roster.testing.NodeProcess;
import io.roster.testing.RawBytes;
import io.roster.testing.RosterCluster;
import io.roster.v1.DeregisterRequest;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.HealthState;
import io.roster.v1.HeartbeatRequest;
import io.roster.v1.Instance;
import io.roster.v1.InstanceKey;
import io.roster.v1.InstanceStatus;
import io.roster.v1.KeepAliveRequest;
import io.roster.v1.KeepAliveResponse;
import io.roster.v1.ListServicesRequest;
import io.roster.v1.ListServicesResponse;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegistryServiceGrpc;
import io.roster.v1.ServiceSummary;
import io.roster.v1.SetStatusRequest;
import io.roster.v1.WatchRequest;
import io.roster.v1.WatchTarget;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;

/**
 * Hostile input against a real three-node cluster, seen as its callers and its operator see it:
 *
 * <ul>
 *   <li>every malformed request of issues 12 and 15, and one of each class it stands for, sent to
 *       every node over gRPC, gRPC-Web or HTTP/JSON, is answered at once (within
 *       RawGrpcHttp.ANSWER_WITHIN_MILLIS) with the status that fits and a message saying what was
 *       wrong, and writes nothing: each node shows the same registry after the replay as before,
 *       and the instances registered before are still healthy. Issue 15's: 100,000 nested arrays,
 *       objects or protobuf groups, a JSON body over 1 MiB, bytes that are not UTF-8 in JSON names
 *       and values and in protobuf strings, a Watch on 100,000 services (refused before the node
 *       subscribes to any);
 *   <li>HTTP/2 frames cut short or stalled mid-frame, over raw sockets, cost the node nothing but
 *       their connection, which it closes with a GOAWAY saying why, and it serves on;
 *   <li>refused requests are one log line each, rate limited per kind, with no stack trace;
 *   <li>caller values are escaped in the log, so none can forge a line.
 * </ul>
 *
 * Logs are read from the nodes' own log files, as an operator would.
 */
@Timeout(300)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileInputIT {

  /** A malformed request is answered at once; every call and request below is bounded by it. */
  private static final long ANSWER_WITHIN_MILLIS = RawGrpcHttp.ANSWER_WITHIN_MILLIS;

  /** 2,000 garbage requests once wrote 15 MB of stack traces in 5 s. */
  private static final int FLOOD = 2_000;

  /**
   * The node logs at most 5 lines of each kind of refusal per 10 s window (RequestLog): the flood
   * below has three kinds, each line well under 400 bytes. So the log may grow by a few kilobytes
   * per window the flood lasts, whatever the number of requests; a loaded machine makes the flood
   * last more windows, never more lines per window.
   */
  private static final long LOG_BYTES_PER_WINDOW = 3 * 5 * 400;

  private static final long LOG_WINDOW_MILLIS = 10_000;

  /** The services of the instances registered before the replay. */
  private static final String ORDERS = "hostile-orders";

  private static final String PAYMENTS = "hostile-payments";

  private static final String REGISTER = "/roster.v1.RegistryService/Register";
  private static final String DISCOVER = "/roster.v1.DiscoveryService/Discover";

  /** uint64 2^63 and 2^64 - 1, which Java reads as negative longs. */
  private static final long TWO_TO_THE_63 = Long.MIN_VALUE;

  private static final long TWO_TO_THE_64_MINUS_1 = -1L;

  private static RosterCluster cluster;
  private static RawGrpcHttp raw;
  private static final JsonHttp http =
      new JsonHttp(java.time.Duration.ofMillis(ANSWER_WITHIN_MILLIS));

  /**
   * The nodes' idle timeout and keepalive: short, so that connections stalled mid-frame are closed
   * within the test. Busy connections (every client here) never reach either.
   */
  private static final int IDLE_TIMEOUT_SECONDS = 10;

  private static final int KEEPALIVE_INTERVAL_SECONDS = 2;
  private static final int KEEPALIVE_TIMEOUT_SECONDS = 2;

  @BeforeAll
  static void startCluster() throws Exception {
    cluster =
        RosterCluster.start(
            3,
            "--api.idle-timeout-s=" + IDLE_TIMEOUT_SECONDS,
            "--api.keepalive-interval-s=" + KEEPALIVE_INTERVAL_SECONDS,
            "--api.keepalive-timeout-s=" + KEEPALIVE_TIMEOUT_SECONDS);
    raw = new RawGrpcHttp();
    for (NodeProcess node : cluster.nodes()) {
      raw.warmUp(node.host(), node.apiPort());
    }
  }

  @AfterAll
  static void stopCluster() {
    if (raw != null) {
      raw.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Order(1)
  void aCallerValueWithANewlineCannotForgeALogLine() throws IOException {
    NodeProcess node = cluster.node(0);
    String forged = "12:00:00.000 ERROR [main] i.r.n.RegistryNode - FORGED";

    assertStatus(
        Status.Code.INVALID_ARGUMENT,
        () ->
            RegistryServiceGrpc.newBlockingStub(node.channel())
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .heartbeat(
                    HeartbeatRequest.newBuilder()
                        .setLeaseId("default/orders/a b\n" + forged)
                        .build()));

    await("the refusal is logged")
        .atMost(java.time.Duration.ofSeconds(30))
        .until(() -> Files.readString(node.logFile()).contains("Heartbeat refused"));
    List<String> lines = Files.readAllLines(node.logFile());
    assertFalse(
        lines.stream().anyMatch(line -> line.startsWith(forged)),
        "a caller's newline started a line of its own: " + lines);
    assertTrue(
        lines.stream()
            .anyMatch(line -> line.contains("Heartbeat refused") && line.contains("FORGED")),
        "the value is logged, escaped, on the refusal's line: " + lines);
  }

  @Test
  @Order(2)
  void everyMalformedRequestIsAnsweredWithinASecondByEveryNodeAndWritesNothing()
      throws IOException {
    NodeCalls.register(cluster.node(0), ORDERS, "orders-a", 3600);
    NodeCalls.register(cluster.node(1), ORDERS, "orders-b", 3600);
    NodeCalls.register(cluster.node(2), PAYMENTS, "payments-a", 3600);
    RegistryState before = awaitTheSameStateOnEveryNode(3);
    for (NodeProcess node : cluster.nodes()) {
      awaitServedOverEveryProtocol(node);
    }
    Map<NodeProcess, Long> logSizes = new HashMap<>();
    for (NodeProcess node : cluster.nodes()) {
      logSizes.put(node, Files.size(node.logFile()));
    }

    List<Executable> replay = new ArrayList<>();
    for (NodeProcess node : cluster.nodes()) {
      for (Malformed request : malformedRequests()) {
        replay.add(() -> request.assertAnsweredBy(node));
      }
    }
    assertAll("every malformed request answered at once, as it should be", replay);

    RegistryState after = null;
    for (NodeProcess node : cluster.nodes()) {
      after = RegistryState.of(node);
      assertEquals(before, after, "the registry changed, seen from " + node.name());
    }
    // Also once the replay's deadlines have passed: a refused call's deadline once made the gRPC
    // server answer it a second time, which threw, and the throw was logged with its stack trace.
    await("no error nor stack trace in the logs, for a while after the replay")
        .during(java.time.Duration.ofMillis(2 * ANSWER_WITHIN_MILLIS))
        .atMost(java.time.Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              for (NodeProcess node : cluster.nodes()) {
                String logged = logSince(node, logSizes.get(node));
                assertFalse(
                    logged.contains("\tat "), node.name() + " logged a stack trace:\n" + logged);
                assertFalse(
                    logged.contains(" ERROR "), node.name() + " logged an error:\n" + logged);
              }
            });
    for (List<Instance> instances : after.instances().values()) {
      for (Instance instance : instances) {
        assertEquals(HealthState.HEALTH_STATE_HEALTHY, instance.getHealth(), instance::toString);
        assertEquals(InstanceStatus.INSTANCE_STATUS_UP, instance.getStatus(), instance::toString);
      }
    }
  }

  @Test
  @Order(3)
  void floodsOfBadRequestsGrowTheLogByAFewKilobytes() throws Exception {
    NodeProcess node = cluster.node(0);
    long before = Files.size(node.logFile());
    long startedNanos = System.nanoTime();
    ManagedChannel channel = node.channel();
    MethodDescriptor<byte[], byte[]> register =
        RawBytes.method(RegistryServiceGrpc.getRegisterMethod());
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    URI registerOverHttp = URI.create("http://" + node.apiAddress() + "/v1/register");

    for (int i = 0; i < FLOOD; i++) {
      assertStatus(
          Status.Code.INVALID_ARGUMENT,
          () ->
              ClientCalls.blockingUnaryCall(
                  channel,
                  register,
                  CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS),
                  new byte[] {(byte) 0xff, 1, 2, 3, 4}));
      assertStatus(
          Status.Code.INVALID_ARGUMENT,
          () ->
              RegistryServiceGrpc.newBlockingStub(channel)
                  .withDeadlineAfter(30, TimeUnit.SECONDS)
                  .register(Instances.register(Instances.of("svc").setPort(0))));
      HttpResponse<String> answer =
          http.send(
              HttpRequest.newBuilder(registerOverHttp)
                  .POST(HttpRequest.BodyPublishers.ofString("{'not': json}"))
                  .timeout(java.time.Duration.ofSeconds(30))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(400, answer.statusCode(), answer.body());
    }

    long floodMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
    // Every window the flood touched, the first and last partly.
    long windows = floodMillis / LOG_WINDOW_MILLIS + 2;
    long grown = Files.size(node.logFile()) - before;
    String tail = logSince(node, before);
    assertTrue(
        grown <= windows * LOG_BYTES_PER_WINDOW,
        "3 x "
            + FLOOD
            + " bad requests in "
            + floodMillis
            + " ms grew the log by "
            + grown
            + " bytes, more than "
            + windows
            + " windows of "
            + LOG_BYTES_PER_WINDOW
            + ":\n"
            + tail);
    assertFalse(tail.contains("\tat "), "a stack trace for bad input:\n" + tail);
  }

  /**
   * A Watch on 100,000 services is refused at once, naming the limit of 256, before the node
   * subscribes to any of them: its streams and subscriptions stay as they were.
   */
  @Test
  @Order(4)
  void aWatchOn100000ServicesIsRefusedAtOnceHoldingNothing() throws Exception {
    NodeProcess node = cluster.node(1);
    StreamGauges before = StreamGauges.read(node.host(), node.apiPort());

    long started = System.nanoTime();
    Answer answer = grpc(() -> discovery(node).watch(WATCH_100_000).next());
    long tookMillis = (System.nanoTime() - started) / 1_000_000;

    assertEquals("INVALID_ARGUMENT", answer.status(), answer::toString);
    assertEquals("targets: must name 1-256 services, got 100000", answer.message());
    assertTrue(tookMillis < ANSWER_WITHIN_MILLIS, "answered after " + tookMillis + " ms");
    assertEquals(before, StreamGauges.read(node.host(), node.apiPort()), "streams held");
  }

  /**
   * HTTP/2 cut short, over raw sockets to one node: a HEADERS frame cut in the middle, then the
   * socket closed; a frame header announcing 16 MiB, over the 16 KiB frame limit; and two
   * connections that stop mid-frame and stay open, one before any stream exists and one in the
   * middle of a Register call's DATA frame. The oversized frame is refused at once (GOAWAY
   * FRAME_SIZE_ERROR naming the limit); each stalled connection is closed with a GOAWAY saying why,
   * after the idle timeout or an unanswered ping; while they hang, every node answers good calls at
   * once; the half-sent Register writes nothing; nothing is logged as an error.
   */
  @Test
  @Order(5)
  void truncatedAndStalledHttp2FramesAreDroppedAndTheNodeServesOn() throws Exception {
    NodeProcess node = cluster.node(2);
    Map<NodeProcess, RegistryState> before = new HashMap<>();
    Map<NodeProcess, Long> logSizes = new HashMap<>();
    for (NodeProcess each : cluster.nodes()) {
      before.put(each, RegistryState.of(each));
      logSizes.put(each, Files.size(each.logFile()));
    }
    String authority = node.apiAddress();
    byte[] headers =
        RawHttp2.frame(
            RawHttp2.HEADERS,
            RawHttp2.END_HEADERS,
            1,
            RawHttp2.grpcRequestHeaders(authority, REGISTER));
    byte[] register =
        RawHttp2.frame(
            RawHttp2.DATA,
            RawHttp2.END_STREAM,
            1,
            RawHttp2.grpcMessage(
                Instances.register(Instances.of(ORDERS).setInstanceId("half-sent")).toByteArray()));

    try (RawHttp2 cut = RawHttp2.connect(node.host(), node.apiPort())) {
      cut.open();
      cut.send(Arrays.copyOf(headers, headers.length / 2));
    }

    List<RawHttp2.Frame> refused;
    try (RawHttp2 oversized = RawHttp2.connect(node.host(), node.apiPort())) {
      oversized.open();
      oversized.send(RawHttp2.header(16 * 1024 * 1024 - 1, RawHttp2.DATA, 0, 1));
      refused = oversized.readUntilClosed(5 * ANSWER_WITHIN_MILLIS, false);
    }
    RawHttp2.Frame goAway = refused.get(refused.size() - 1);
    assertEquals(RawHttp2.GOAWAY, goAway.type(), refused::toString);
    assertEquals(RawHttp2.FRAME_SIZE_ERROR, goAway.goAwayErrorCode(), goAway::toString);
    assertTrue(goAway.goAwayDebugData().contains("exceeds maximum: 16384"), goAway::toString);

    long stalledAt = System.nanoTime();
    try (RawHttp2 beforeStream = RawHttp2.connect(node.host(), node.apiPort());
        RawHttp2 inCall = RawHttp2.connect(node.host(), node.apiPort())) {
      beforeStream.open();
      beforeStream.send(Arrays.copyOf(headers, 20));
      inCall.open();
      inCall.send(headers);
      inCall.send(Arrays.copyOf(register, register.length - 10));

      for (NodeProcess each : cluster.nodes()) {
        assertEquals(200, http.send("GET", base(each) + "/v1/cluster", null).status());
        assertEquals("OK", grpc(() -> discovery(each).listServices(pageSize(1))).status());
      }

      // Neither answers the node's SETTINGS or PINGs: bytes sent now would be read as the rest of
      // the frame cut short.
      List<RawHttp2.Frame> toInCall = inCall.readUntilClosed(30_000, false);
      assertEquals(
          "no answer to a ping within " + KEEPALIVE_TIMEOUT_SECONDS + " s",
          lastGoAway(toInCall).goAwayDebugData());
      List<RawHttp2.Frame> toBeforeStream = beforeStream.readUntilClosed(30_000, false);
      assertEquals(
          "nothing sent or received for " + IDLE_TIMEOUT_SECONDS + " s (api.idle-timeout-s)",
          lastGoAway(toBeforeStream).goAwayDebugData());
    }
    long closedAfterMillis = (System.nanoTime() - stalledAt) / 1_000_000;
    assertTrue(
        closedAfterMillis >= IDLE_TIMEOUT_SECONDS * 1000L - 1000,
        "the idle connection was closed after " + closedAfterMillis + " ms");

    for (NodeProcess each : cluster.nodes()) {
      assertEquals(
          before.get(each), RegistryState.of(each), "the registry changed on " + each.name());
      String logged = logSince(each, logSizes.get(each));
      assertFalse(logged.contains("\tat "), each.name() + " logged a stack trace:\n" + logged);
      assertFalse(logged.contains(" ERROR "), each.name() + " logged an error:\n" + logged);
    }
  }

  private static RawHttp2.Frame lastGoAway(List<RawHttp2.Frame> frames) {
    for (int i = frames.size() - 1; i >= 0; i--) {
      if (frames.get(i).type() == RawHttp2.GOAWAY) {
        return frames.get(i);
      }
    }
    throw new AssertionError("closed without a GOAWAY: " + frames);
  }

  /**
   * The malformed requests of issues 12 and 15, each standing for its class, in the order the
   * issues list them. Those that would write, were they accepted, name the services registered
   * before (or instances of them), so that anything accepted shows in the registry's state.
   */
  private static List<Malformed> malformedRequests() {
    String leaseOfA = "default/" + ORDERS + "/orders-a";
    InstanceKey keyOfA =
        InstanceKey.newBuilder().setService(ORDERS).setInstanceId("orders-a").build();
    // A registration every lenient JSON parser would accept, were it not for what surrounds it.
    String lenient =
        "\"instance\": {\"service\": \""
            + ORDERS
            + "\", \"instanceId\": \"lenient\", \"host\": \"h\", \"port\": 80";
    String invalid = "HTTP 400 INVALID_ARGUMENT";
    return List.of(
        // Calls that never answered.
        new Malformed(
            "gRPC ListServices with page_size 2^31",
            "INVALID_ARGUMENT",
            "page_size: must be at most 1000, got 2147483648",
            node -> grpc(() -> discovery(node).listServices(pageSize(Integer.MIN_VALUE)))),
        new Malformed(
            "gRPC ListServices with page_size 2^32 - 1",
            "INVALID_ARGUMENT",
            "page_size: must be at most 1000, got 4294967295",
            node -> grpc(() -> discovery(node).listServices(pageSize(-1)))),
        new Malformed(
            "HTTP ListServices with page_size 2^31",
            invalid,
            "page_size: must be at most 1000, got 2147483648",
            node -> http(node, "GET", "/v1/services?page_size=2147483648", null)),
        new Malformed(
            "gRPC message flagged compressed without grpc-encoding",
            "INTERNAL",
            "flagged compressed but the request has no grpc-encoding header",
            node ->
                grpcAsHttp(
                    raw.http2(
                        node.host(),
                        node.apiPort(),
                        REGISTER,
                        "application/grpc",
                        Buffer.buffer(new byte[] {1, 0, 0, 0, 3, 1, 2, 3})))),
        new Malformed(
            "gRPC-Web-text body that is not base64",
            "INVALID_ARGUMENT",
            "the application/grpc-web-text body is not base64",
            node ->
                grpcAsHttp(
                    raw.http1(
                        node.host(),
                        node.apiPort(),
                        REGISTER,
                        "application/grpc-web-text",
                        Buffer.buffer("this is not base64!")))),
        new Malformed(
            "gRPC Register message that is not protobuf",
            "INVALID_ARGUMENT",
            "is not a valid roster.v1.RegistryService/Register request message: it could not be"
                + " parsed",
            node -> rawRegister(node, new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff})),
        new Malformed(
            "gRPC-Web Discover message that is not protobuf",
            "INVALID_ARGUMENT",
            "is not a valid roster.v1.DiscoveryService/Discover request message: it could not be"
                + " parsed",
            node ->
                grpcAsHttp(
                    raw.http1(
                        node.host(),
                        node.apiPort(),
                        DISCOVER,
                        "application/grpc-web+proto",
                        RawGrpcHttp.frame(new byte[] {(byte) 0xff, (byte) 0xff})))),
        new Malformed(
            "gRPC+JSON message that is not JSON",
            "UNIMPLEMENTED",
            "content type application/grpc+json is not served",
            node ->
                grpcAsHttp(
                    raw.http2(
                        node.host(),
                        node.apiPort(),
                        REGISTER,
                        "application/grpc+json",
                        RawGrpcHttp.frame(utf8("{'instance': "))))),
        new Malformed(
            "gRPC-Web+JSON message that is not JSON",
            "UNIMPLEMENTED",
            "content type application/grpc-web+json is not served",
            node ->
                grpcAsHttp(
                    raw.http1(
                        node.host(),
                        node.apiPort(),
                        REGISTER,
                        "application/grpc-web+json",
                        RawGrpcHttp.frame(utf8("{'instance': "))))),
        new Malformed(
            "gRPC Register message over 1 MiB",
            "RESOURCE_EXHAUSTED",
            "the request message is 1048577 bytes, over the limit of 1048576 bytes",
            node -> rawRegister(node, new byte[1024 * 1024 + 1])),
        new Malformed(
            "HTTP Register body over 1 MiB",
            "HTTP 413 RESOURCE_EXHAUSTED",
            "the request body is larger than 1048576 bytes",
            node -> http(node, "POST", "/v1/register", " ".repeat(1024 * 1024 + 1))),
        // Values that could never be fixed.
        new Malformed(
            "gRPC Register of a 253-character host, a 5-digit port and no instance id",
            "INVALID_ARGUMENT",
            "instance.instance_id: is required when host and port make an id over 256 characters",
            node ->
                grpc(
                    () ->
                        registry(node)
                            .register(
                                Instances.register(
                                    Instances.of(ORDERS)
                                        .clearInstanceId()
                                        .setHost("h".repeat(253)))))),
        new Malformed(
            "HTTP Register of a 253-character host, port 20000 and no instance id (a 259-character id)",
            invalid,
            "instance.instance_id: is required when host and port make an id over 256 characters",
            node ->
                http(
                    node,
                    "POST",
                    "/v1/register",
                    "{\"instance\": {\"service\": \""
                        + ORDERS
                        + "\", \"host\": \""
                        + "h".repeat(253)
                        + "\", \"port\": 20000}}")),
        new Malformed(
            "gRPC Register with a metadata value that is not UTF-8",
            "INVALID_ARGUMENT",
            "could not be parsed",
            node -> rawRegister(node, registerWithMetadataThatIsNotUtf8())),
        new Malformed(
            "HTTP Register with a metadata value that is not UTF-8",
            invalid,
            "instance.metadata[team]: Invalid UTF-8",
            node ->
                httpAnswer(
                    http.post(
                        base(node) + "/v1/register",
                        ("{" + lenient + ", \"metadata\": {\"team\": \"a\u00ffb\"}}}")
                            .getBytes(StandardCharsets.ISO_8859_1)))),
        new Malformed(
            "HTTP Register with a lone surrogate in a metadata value",
            invalid,
            "instance.metadata[team]: holds a lone surrogate \\ud800",
            node ->
                http(
                    node,
                    "POST",
                    "/v1/register",
                    "{" + lenient + ", \"metadata\": {\"team\": \"a\\ud800b\"}}}")),
        new Malformed(
            "HTTP Register with a comment after the body",
            invalid,
            "comment",
            node -> http(node, "POST", "/v1/register", "{" + lenient + "}} // note")),
        new Malformed(
            "HTTP Register with a comment inside the body",
            invalid,
            "comment",
            node -> http(node, "POST", "/v1/register", "{/* note */" + lenient + "}}")),
        new Malformed(
            "HTTP Register in single quotes",
            invalid,
            "double-quote",
            node -> http(node, "POST", "/v1/register", "{" + lenient.replace('"', '\'') + "}}")),
        new Malformed(
            "HTTP Register with unquoted names",
            invalid,
            "double-quote",
            node ->
                http(
                    node,
                    "POST",
                    "/v1/register",
                    "{instance: {service: \"" + ORDERS + "\", host: \"h\", port: 80}}")),
        new Malformed(
            "HTTP Register followed by a second document",
            invalid,
            "more follows",
            node -> http(node, "POST", "/v1/register", "{" + lenient + "}} {\"instance\": {}}")),
        new Malformed(
            "HTTP Register naming a field twice",
            invalid,
            "instance.port: Duplicate field 'port'",
            node -> http(node, "POST", "/v1/register", "{" + lenient + ", \"port\": 81}}")),
        new Malformed(
            "HTTP Register with a number for a string",
            invalid,
            "instance.instanceId: must be a JSON string, got 12",
            node ->
                http(
                    node,
                    "POST",
                    "/v1/register",
                    "{\"instance\": {\"service\": \""
                        + ORDERS
                        + "\", \"instanceId\": 12, \"host\": \"h\", \"port\": 80}}")),
        // Caller values in the log.
        new Malformed(
            "gRPC Heartbeat with a newline in the lease id",
            "INVALID_ARGUMENT",
            "lease_id: is not a lease id Register returned",
            node ->
                grpc(
                    () ->
                        registry(node)
                            .heartbeat(
                                HeartbeatRequest.newBuilder()
                                    .setLeaseId(leaseOfA + "\nforged")
                                    .build()))),
        new Malformed(
            "KeepAlive with a newline in the lease id",
            "LEASE_STATE_INVALID",
            "lease_id: is not a lease id Register returned",
            node ->
                keepAlive(node, KeepAliveRequest.newBuilder().setLeaseId(leaseOfA + "\nforged"))),
        new Malformed(
            "HTTP Heartbeat with a newline in the lease id",
            invalid,
            "lease_id: is not a lease id Register returned",
            node ->
                http(
                    node, "POST", "/v1/heartbeat", "{\"leaseId\": \"" + leaseOfA + "\\nforged\"}")),
        // Interop: uint64 epochs of 2^63 and above, an invalid Duration.
        new Malformed(
            "gRPC Heartbeat with epoch 2^63",
            "INVALID_ARGUMENT",
            "epoch: must be below 2^63 (a value this registry returned), got 9223372036854775808",
            node ->
                grpc(
                    () ->
                        registry(node)
                            .heartbeat(
                                HeartbeatRequest.newBuilder()
                                    .setLeaseId(leaseOfA)
                                    .setEpoch(TWO_TO_THE_63)
                                    .build()))),
        new Malformed(
            "KeepAlive with epoch 2^63",
            "LEASE_STATE_INVALID",
            "epoch: must be below 2^63 (a value this registry returned), got 9223372036854775808",
            node ->
                keepAlive(
                    node,
                    KeepAliveRequest.newBuilder().setLeaseId(leaseOfA).setEpoch(TWO_TO_THE_63))),
        new Malformed(
            "gRPC Deregister with epoch 2^64 - 1",
            "INVALID_ARGUMENT",
            "epoch: must be below 2^63 (a value this registry returned), got 18446744073709551615",
            node ->
                grpc(
                    () ->
                        registry(node)
                            .deregister(
                                DeregisterRequest.newBuilder()
                                    .setKey(keyOfA)
                                    .setEpoch(TWO_TO_THE_64_MINUS_1)
                                    .build()))),
        new Malformed(
            "gRPC SetStatus with epoch 2^63",
            "INVALID_ARGUMENT",
            "epoch: must be below 2^63 (a value this registry returned), got 9223372036854775808",
            node ->
                grpc(
                    () ->
                        registry(node)
                            .setStatus(
                                SetStatusRequest.newBuilder()
                                    .setKey(keyOfA)
                                    .setStatus(InstanceStatus.INSTANCE_STATUS_OUT_OF_SERVICE)
                                    .setEpoch(TWO_TO_THE_63)
                                    .build()))),
        new Malformed(
            "gRPC Watch from revision 2^63",
            "INVALID_ARGUMENT",
            "targets[0].from_revision: must be below 2^63",
            node ->
                grpc(
                    () ->
                        discovery(node)
                            .watch(
                                WatchRequest.newBuilder()
                                    .addTargets(
                                        WatchTarget.newBuilder()
                                            .setService(ORDERS)
                                            .setFromRevision(TWO_TO_THE_63))
                                    .build())
                            .next())),
        new Malformed(
            "HTTP Deregister with epoch 2^63",
            invalid,
            "epoch: must be below 2^63 (a value this registry returned), got 9223372036854775808",
            node ->
                http(
                    node,
                    "POST",
                    "/v1/deregister",
                    "{\"key\": {\"service\": \""
                        + ORDERS
                        + "\", \"instanceId\": \"orders-a\"}, \"epoch\": \"9223372036854775808\"}")),
        new Malformed(
            "gRPC Register with a lease_ttl of 30 s and 10^9 nanos",
            "INVALID_ARGUMENT",
            "lease_ttl: is not a valid Duration: nanos must be -999999999 to 999999999, got"
                + " 1000000000",
            node ->
                grpc(
                    () ->
                        registry(node)
                            .register(
                                RegisterRequest.newBuilder()
                                    .setInstance(Instances.of(ORDERS).setInstanceId("orders-a"))
                                    .setLeaseTtl(
                                        Duration.newBuilder()
                                            .setSeconds(30)
                                            .setNanos(1_000_000_000))
                                    .build()))),
        // Query strings that are not percent-encoded UTF-8.
        new Malformed(
            "HTTP Discover with a service that is not UTF-8",
            invalid,
            "query parameter \"service\": byte 0xff at 14 of its value is not UTF-8",
            node -> http(node, "GET", "/v1/discover?service=" + ORDERS + "%ff", null)),
        new Malformed(
            "HTTP ListServices with a broken percent escape",
            invalid,
            "query parameter \"namespace\": \"%zz\" is not a percent-encoded byte",
            node ->
                httpAnswer(
                    http.getAsSent(node.host(), node.apiPort(), "/v1/services?namespace=%zz"))),
        // Issue 15: deep nesting, size, bytes that are not UTF-8, a Watch on 100,000 services.
        new Malformed(
            "HTTP Register of 100,000 nested arrays",
            invalid,
            "the body nests arrays and objects more than 8 deep (at line 1, column ",
            node -> http(node, "POST", "/v1/register", nested("[", "", "]", DEEP))),
        new Malformed(
            "HTTP Register with 100,000 nested objects in a metadata value",
            invalid,
            "nests arrays and objects more than 8 deep",
            node ->
                http(
                    node,
                    "POST",
                    "/v1/register",
                    "{"
                        + lenient
                        + ", \"metadata\": {\"team\": "
                        + nested("{\"a\": ", "1", "}", DEEP)
                        + "}}}")),
        new Malformed(
            "gRPC Register of 100,000 nested groups",
            "INVALID_ARGUMENT",
            "could not be parsed (messages or groups nested more than 100 deep)",
            node -> rawRegister(node, nestedGroups(DEEP))),
        new Malformed(
            "HTTP Register of a JSON document over 1 MiB",
            "HTTP 413 RESOURCE_EXHAUSTED",
            "the request body is larger than 1048576 bytes",
            node ->
                http(
                    node,
                    "POST",
                    "/v1/register",
                    "{"
                        + lenient
                        + ", \"metadata\": {\"team\": \""
                        + "x".repeat(1024 * 1024)
                        + "\"}}}")),
        new Malformed(
            "HTTP Register with a field name that is not UTF-8",
            invalid,
            "Invalid UTF-8",
            node ->
                httpAnswer(
                    http.post(
                        base(node) + "/v1/register",
                        ("{\"inst\u00ffance\": {}}").getBytes(StandardCharsets.ISO_8859_1)))),
        new Malformed(
            "HTTP Heartbeat with a lease id cut inside a UTF-8 sequence",
            invalid,
            "Invalid UTF-8",
            node ->
                httpAnswer(
                    http.post(
                        base(node) + "/v1/heartbeat",
                        ("{\"leaseId\": \"" + leaseOfA + "\u00e2\u0082\"}")
                            .getBytes(StandardCharsets.ISO_8859_1)))),
        new Malformed(
            "gRPC Register with a service name that is not UTF-8",
            "INVALID_ARGUMENT",
            "invalid UTF-8",
            node ->
                rawRegister(
                    node,
                    notUtf8(
                        Instances.register(Instances.of(ORDERS + "@@").setInstanceId("not-utf8"))
                            .toByteArray()))),
        new Malformed(
            "gRPC Heartbeat with a lease id that is not UTF-8",
            "INVALID_ARGUMENT",
            "invalid UTF-8",
            node ->
                grpc(
                    () ->
                        ClientCalls.blockingUnaryCall(
                            node.channel(),
                            RawBytes.method(RegistryServiceGrpc.getHeartbeatMethod()),
                            CallOptions.DEFAULT.withDeadlineAfter(
                                ANSWER_WITHIN_MILLIS, TimeUnit.MILLISECONDS),
                            notUtf8(
                                HeartbeatRequest.newBuilder()
                                    .setLeaseId(leaseOfA + "@@")
                                    .build()
                                    .toByteArray())))),
        new Malformed(
            "gRPC Watch on 100,000 services",
            "INVALID_ARGUMENT",
            "targets: must name 1-256 services, got 100000",
            node -> grpc(() -> discovery(node).watch(WATCH_100_000).next())),
        new Malformed(
            "HTTP Watch on 257 services",
            invalid,
            "targets: must name 1-256 services, got 257",
            node -> http(node, "POST", "/v1/watch", watchBody(257))),
        new Malformed(
            "HTTP Watch on 100,000 services (a body over 1 MiB)",
            "HTTP 413 RESOURCE_EXHAUSTED",
            "the request body is larger than 1048576 bytes",
            node -> http(node, "POST", "/v1/watch", watchBody(100_000))));
  }

  /** Nesting depth of the deeply nested requests. */
  private static final int DEEP = 100_000;

  /** A Watch on 100,000 services with short names: 800 kB, under the 1 MiB a message may have. */
  private static final WatchRequest WATCH_100_000 = watchOn(100_000);

  private static WatchRequest watchOn(int services) {
    WatchRequest.Builder watch = WatchRequest.newBuilder();
    for (int i = 0; i < services; i++) {
      watch.addTargets(WatchTarget.newBuilder().setService(Integer.toString(i, 36)));
    }
    return watch.build();
  }

  private static String watchBody(int services) {
    StringBuilder body = new StringBuilder("{\"targets\": [");
    for (int i = 0; i < services; i++) {
      body.append(i == 0 ? "" : ",")
          .append("{\"service\":\"")
          .append(Integer.toString(i, 36))
          .append("\"}");
    }
    return body.append("]}").toString();
  }

  /** {@code open} {@code depth} times, {@code middle}, then {@code close} as many times. */
  private static String nested(String open, String middle, String close, int depth) {
    return open.repeat(depth) + middle + close.repeat(depth);
  }

  /**
   * Protobuf bytes of {@code depth} nested groups of the unknown field 15 (a start-group tag each,
   * then as many end-group tags): a message nests them only as deep as the parser lets it.
   */
  private static byte[] nestedGroups(int depth) {
    byte[] bytes = new byte[2 * depth];
    Arrays.fill(bytes, 0, depth, (byte) (15 << 3 | 3));
    Arrays.fill(bytes, depth, 2 * depth, (byte) (15 << 3 | 4));
    return bytes;
  }

  /** An answer: a gRPC status name, a lease state or "HTTP 400 INVALID_ARGUMENT"; its message. */
  private record Answer(String status, String message) {}

  /** Sends one malformed request to a node and returns its answer. */
  @FunctionalInterface
  private interface Sender {
    Answer sendTo(NodeProcess node) throws Exception;
  }

  /** One malformed request: what it is, how it is sent, its status and a phrase of its message. */
  private record Malformed(String what, String status, String phrase, Sender sender) {

    void assertAnsweredBy(NodeProcess node) throws Exception {
      Answer answer = sender.sendTo(node);
      String seen = what + ", sent to " + node.name() + ", was answered " + answer;
      assertEquals(status, answer.status(), seen);
      assertTrue(answer.message().contains(phrase), seen + ", not saying: " + phrase);
    }
  }

  /** What a node shows of the registry: its services and all their instances, healthy or not. */
  private record RegistryState(
      ListServicesResponse services, Map<String, List<Instance>> instances) {

    static RegistryState of(NodeProcess node) {
      ListServicesResponse services = NodeCalls.listServices(node);
      Map<String, List<Instance>> instances = new TreeMap<>();
      for (ServiceSummary service : services.getServicesList()) {
        instances.put(service.getService(), NodeCalls.discover(node, service.getService()));
      }
      return new RegistryState(services, instances);
    }

    int instanceCount() {
      return instances.values().stream().mapToInt(List::size).sum();
    }
  }

  /** Waits until every node shows {@code instances} instances, and the same registry. */
  private static RegistryState awaitTheSameStateOnEveryNode(int instances) {
    await("every node shows the same " + instances + " instances")
        .atMost(java.time.Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              RegistryState first = RegistryState.of(cluster.node(0));
              assertEquals(instances, first.instanceCount(), first::toString);
              for (NodeProcess node : cluster.nodes()) {
                assertEquals(first, RegistryState.of(node), node.name());
              }
            });
    return RegistryState.of(cluster.node(0));
  }

  /**
   * Waits until {@code node} answers a good call over HTTP/JSON, gRPC over HTTP/2 and gRPC-Web at
   * once, through the very clients of the replay: the first call loads classes and opens
   * connections on both sides, which a loaded machine can take longer than a second to do.
   */
  private static void awaitServedOverEveryProtocol(NodeProcess node) {
    String clusterStatus = "/roster.v1.ClusterService/ClusterStatus";
    Buffer empty = RawGrpcHttp.frame(new byte[0]);
    await(node.name() + " answers good calls at once")
        .atMost(java.time.Duration.ofSeconds(30))
        .ignoreExceptions()
        .untilAsserted(
            () -> {
              assertEquals(200, http.send("GET", base(node) + "/v1/cluster", null).status());
              assertEquals(
                  Status.Code.OK,
                  raw.http2(node.host(), node.apiPort(), clusterStatus, "application/grpc", empty)
                      .code());
              assertEquals(
                  Status.Code.OK,
                  raw.http1(
                          node.host(),
                          node.apiPort(),
                          clusterStatus,
                          "application/grpc-web+proto",
                          empty)
                      .code());
              assertEquals("OK", grpc(() -> discovery(node).listServices(pageSize(1))).status());
            });
  }

  private static RegistryServiceGrpc.RegistryServiceBlockingStub registry(NodeProcess node) {
    return RegistryServiceGrpc.newBlockingStub(node.channel())
        .withDeadlineAfter(ANSWER_WITHIN_MILLIS, TimeUnit.MILLISECONDS);
  }

  private static DiscoveryServiceGrpc.DiscoveryServiceBlockingStub discovery(NodeProcess node) {
    return DiscoveryServiceGrpc.newBlockingStub(node.channel())
        .withDeadlineAfter(ANSWER_WITHIN_MILLIS, TimeUnit.MILLISECONDS);
  }

  private static ListServicesRequest pageSize(int uint32) {
    return ListServicesRequest.newBuilder().setPageSize(uint32).build();
  }

  /** The status a gRPC call ends with ("OK" and the answer when it succeeds). */
  private static Answer grpc(Callable<?> call) throws Exception {
    try {
      return new Answer("OK", String.valueOf(call.call()));
    } catch (StatusRuntimeException e) {
      Status status = e.getStatus();
      return new Answer(
          status.getCode().name(), status.getDescription() == null ? "" : status.getDescription());
    }
  }

  /** Register with {@code bytes} as the request message, as a grpc-java client sends it. */
  private static Answer rawRegister(NodeProcess node, byte[] bytes) throws Exception {
    return grpc(
        () ->
            ClientCalls.blockingUnaryCall(
                node.channel(),
                RawBytes.method(RegistryServiceGrpc.getRegisterMethod()),
                CallOptions.DEFAULT.withDeadlineAfter(ANSWER_WITHIN_MILLIS, TimeUnit.MILLISECONDS),
                bytes));
  }

  /**
   * A gRPC answer read off the wire. Its message is decoded as the gRPC spec encodes it: one
   * encoded beyond the spec (a space as {@code +}, as Vert.x once wrote it) fails the phrase.
   */
  private static Answer grpcAsHttp(RawGrpcHttp.Answer answer) {
    return answer.code() == null
        ? new Answer("HTTP " + answer.httpStatus() + " without grpc-status", answer.toString())
        : new Answer(answer.code().name(), answer.message());
  }

  private static Answer http(NodeProcess node, String method, String path, String body) {
    return httpAnswer(http.send(method, base(node) + path, body));
  }

  private static Answer httpAnswer(JsonHttp.Answer answer) {
    return answer.status() == 200
        ? new Answer("HTTP 200", answer.body())
        : new Answer("HTTP " + answer.status() + " " + answer.errorCode(), answer.errorMessage());
  }

  private static String base(NodeProcess node) {
    return "http://" + node.apiAddress();
  }

  /** Opens a KeepAlive stream, sends {@code request} and returns the first answer's state. */
  private static Answer keepAlive(NodeProcess node, KeepAliveRequest.Builder request)
      throws Exception {
    CompletableFuture<KeepAliveResponse> first = new CompletableFuture<>();
    StreamObserver<KeepAliveRequest> requests =
        RegistryServiceGrpc.newStub(node.channel())
            .withDeadlineAfter(ANSWER_WITHIN_MILLIS, TimeUnit.MILLISECONDS)
            .keepAlive(
                new StreamObserver<>() {
                  @Override
                  public void onNext(KeepAliveResponse answer) {
                    first.complete(answer);
                  }

                  @Override
                  public void onError(Throwable failure) {
                    first.completeExceptionally(failure);
                  }

                  @Override
                  public void onCompleted() {
                    first.completeExceptionally(new AssertionError("ended without an answer"));
                  }
                });
    requests.onNext(request.build());
    try {
      KeepAliveResponse answer = first.get(ANSWER_WITHIN_MILLIS, TimeUnit.MILLISECONDS);
      return new Answer(answer.getState().name(), answer.getMessage());
    } catch (ExecutionException e) {
      return grpc(
          () -> {
            throw e.getCause() instanceof Exception cause ? cause : e;
          });
    } finally {
      requests.onCompleted();
    }
  }

  /** A Register request whose metadata value is bytes that are not UTF-8. */
  private static byte[] registerWithMetadataThatIsNotUtf8() {
    return notUtf8(
        Instances.register(
                Instances.of(ORDERS).setInstanceId("not-utf8").putMetadata("team", "@@@@"))
            .toByteArray());
  }

  /** {@code message} with its first "@@" made bytes 0xff 0xfe, which are not UTF-8. */
  private static byte[] notUtf8(byte[] message) {
    byte[] marker = utf8("@@");
    for (int at = 0; at + marker.length <= message.length; at++) {
      if (Arrays.equals(message, at, at + marker.length, marker, 0, marker.length)) {
        message[at] = (byte) 0xff;
        message[at + 1] = (byte) 0xfe;
        return message;
      }
    }
    throw new AssertionError("no @@ in the message");
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static String logSince(NodeProcess node, long offset) throws IOException {
    byte[] log = Files.readAllBytes(node.logFile());
    return new String(log, (int) offset, log.length - (int) offset, StandardCharsets.UTF_8);
  }

  private static void assertStatus(Status.Code code, Runnable call) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      assertEquals(code, e.getStatus().getCode(), String.valueOf(e.getStatus()));
      return;
    }
    throw new AssertionError("answered OK, not " + code);
  }
}
