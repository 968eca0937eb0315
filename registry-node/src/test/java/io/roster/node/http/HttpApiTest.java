package io.roster.node.http;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import io.roster.node.RegistryNode;
import io.roster.node.config.ConfigLoader;
import io.roster.testing.FreePorts;
import io.roster.v1.ChangeType;
import io.roster.v1.ClusterStatusResponse;
import io.roster.v1.DeregisterResponse;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.DiscoverResponse;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.HeartbeatRequest;
import io.roster.v1.HeartbeatResponse;
import io.roster.v1.Instance;
import io.roster.v1.InstanceStatus;
import io.roster.v1.ListServicesResponse;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import io.roster.v1.SetStatusResponse;
import io.roster.v1.WatchResponse;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The HTTP/JSON API of one real node (embedded Hazelcast member, Vert.x server) called with {@code
 * java.net.http} over loopback: every route, the error mapping, the limits, and the Watch stream.
 * Each test uses services of its own, except the documented examples (service "orders").
 */
@Timeout(120)
class HttpApiTest {

  private static final Duration PROPAGATION = Duration.ofSeconds(10);

  private static RegistryNode node;
  private static ManagedChannel channel;
  private static String base;
  private final JsonHttp http = new JsonHttp();
  private final String service = "svc-" + UUID.randomUUID().toString().substring(0, 8);

  @BeforeAll
  static void startNode() {
    int clusterPort = FreePorts.next();
    node =
        RegistryNode.start(
            ConfigLoader.load(
                new String[] {
                  "--profile=local",
                  "--cluster.name=http-test-" + UUID.randomUUID().toString().substring(0, 8),
                  "--cluster.port=" + clusterPort,
                  "--cluster.members=127.0.0.1:" + clusterPort,
                  "--cluster.size=1",
                  "--cluster.join-wait-s=0",
                  "--api.port=" + FreePorts.next(),
                  "--node.name=http-test"
                },
                Map.of()));
    base = "http://127.0.0.1:" + node.apiPort();
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", node.apiPort()).usePlaintext().build();
  }

  @AfterAll
  static void stopNode() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (node != null) {
      node.stop();
    }
  }

  @Test
  void documentedExamplesRegisterRenewDrainFindAndRemoveAnInstance() {
    RegisterResponse registered =
        ok(HttpExamples.REGISTER).as(RegisterResponse.getDefaultInstance());
    assertTrue(
        registered
            .getLeaseId()
            .startsWith("default/orders/orders-1/" + registered.getEpoch() + "."),
        registered.getLeaseId());
    assertEquals(30, registered.getGrantedTtl().getSeconds());
    assertEquals(10, registered.getHeartbeatInterval().getSeconds());

    HeartbeatResponse renewed =
        ok(HttpExamples.HEARTBEAT.with("LEASE_ID", registered.getLeaseId()))
            .as(HeartbeatResponse.getDefaultInstance());
    assertEquals(registered.getEpoch(), renewed.getEpoch());

    SetStatusResponse drained =
        ok(HttpExamples.SET_STATUS).as(SetStatusResponse.getDefaultInstance());
    assertTrue(drained.getRevision() > registered.getRevision());

    await()
        .atMost(PROPAGATION)
        .untilAsserted(
            () -> {
              DiscoverResponse found =
                  ok(HttpExamples.DISCOVER_GET).as(DiscoverResponse.getDefaultInstance());
              assertEquals(1, found.getInstancesCount(), found::toString);
              Instance instance = found.getInstances(0);
              assertEquals("10.0.0.7", instance.getHost());
              assertEquals(200, instance.getWeight());
              assertEquals(InstanceStatus.INSTANCE_STATUS_DRAINING, instance.getStatus());
              assertEquals(
                  found, ok(HttpExamples.DISCOVER_POST).as(DiscoverResponse.getDefaultInstance()));
            });

    ListServicesResponse services =
        ok(HttpExamples.LIST_SERVICES).as(ListServicesResponse.getDefaultInstance());
    assertTrue(
        services.getServicesList().stream().anyMatch(s -> s.getService().equals("orders")),
        services::toString);
    ClusterStatusResponse cluster =
        ok(HttpExamples.CLUSTER_STATUS).as(ClusterStatusResponse.getDefaultInstance());
    assertEquals(1, cluster.getMembersCount());
    assertTrue(cluster.getQuorum().getHasQuorum());

    ok(HttpExamples.DEREGISTER).as(DeregisterResponse.getDefaultInstance());
    await()
        .atMost(PROPAGATION)
        .until(
            () ->
                ok(HttpExamples.DISCOVER_POST)
                        .as(DiscoverResponse.getDefaultInstance())
                        .getInstancesCount()
                    == 0);
  }

  @Test
  void errorsCarryTheGrpcStatusNameAndTheSameMessageAsGrpc() {
    JsonHttp.Answer badPort = http.send(base, HttpExamples.REGISTER_BAD_PORT);
    assertEquals(400, badPort.status());
    assertEquals("application/json", badPort.contentType());
    assertEquals("INVALID_ARGUMENT", badPort.errorCode());
    assertEquals(
        grpcMessage(() -> registry().register(parse(HttpExamples.REGISTER_BAD_PORT))),
        badPort.errorMessage());

    JsonHttp.Answer unknownLease = http.send(base, HttpExamples.HEARTBEAT_UNKNOWN_LEASE);
    assertEquals(404, unknownLease.status());
    assertEquals("NOT_FOUND", unknownLease.errorCode());
    assertEquals(
        "unknown lease \"default/orders/nobody/1.AAAAAAAAAAAAAAAAAAAAAA\": register again",
        unknownLease.errorMessage());

    // Registering again raises the epoch: the first registration's heartbeats are now stale.
    String register =
        "{\"instance\": {\"service\": \""
            + service
            + "\", \"instanceId\": \"a\", \"host\": \"h\", \"port\": 1}}";
    String firstLease =
        http.send("POST", base + "/v1/register", register)
            .as(RegisterResponse.getDefaultInstance())
            .getLeaseId();
    http.send("POST", base + "/v1/register", register);
    String stale = "{\"leaseId\": \"" + firstLease + "\"}";
    JsonHttp.Answer replaced = http.send("POST", base + "/v1/heartbeat", stale);
    assertEquals(409, replaced.status());
    assertEquals("FAILED_PRECONDITION", replaced.errorCode());
    assertEquals(
        grpcMessage(
            () ->
                registry().heartbeat(HeartbeatRequest.newBuilder().setLeaseId(firstLease).build())),
        replaced.errorMessage());
  }

  @Test
  void requestsThatAreNotJsonForTheMessageAreRefusedWith400NamingTheProblem() {
    assertRefused(400, "POST", "/v1/register", "{\"instance\": ", "end-of-input");
    assertRefused(
        400, "POST", "/v1/register", "{\"serivce\": \"orders\"}", "Cannot find field: serivce");
    assertRefused(
        400,
        "POST",
        "/v1/register",
        "{\"instance\": {\"service\": \"orders\", \"port\": \"eighty\"}}",
        "instance.port: Not an uint32 value: \"eighty\"");
    assertRefused(400, "POST", "/v1/register", "[]", "roster.v1.RegisterRequest");
    assertRefused(
        400,
        "POST",
        "/v1/watch",
        "{\"targets\": [{\"service\": \"a\"}, {\"fromRevision\": \"x\"}]}",
        "targets[1].fromRevision: ");
    assertRefused(
        400,
        "POST",
        "/v1/register",
        "{\"instance\": {\"service\": \"a\"}, \"leaseTtl\": \"soon\"}",
        "leaseTtl: ");
    assertRefused(
        400,
        "GET",
        "/v1/discover?service=orders&colour=red",
        null,
        "unknown query parameter \"colour\"");
    assertRefused(
        400,
        "GET",
        "/v1/discover?service=orders&include_unhealthy=maybe",
        null,
        "Invalid bool value");
    assertRefused(
        400,
        "GET",
        "/v1/discover?service=orders&metadata_selector=x",
        null,
        "metadata_selector.KEY=VALUE");
    assertRefused(400, "GET", "/v1/discover?service=a&service=b", null, "given more than once");
    // One field under its proto and its JSON name: the last one given used to win, silently.
    assertRefused(
        400,
        "GET",
        "/v1/discover?service=a&include_unhealthy=true&includeUnhealthy=false",
        null,
        "query parameters \"include_unhealthy\" and \"includeUnhealthy\" both set"
            + " include_unhealthy: give it once");
    assertRefused(
        400,
        "GET",
        "/v1/discover?service=a&metadata_selector.team=x&metadataSelector.team=y",
        null,
        "both set metadata_selector.team");
    assertRefused(400, "GET", "/v1/services?page_size=-1", null, "page_size: Out of range");
    // uint32 values of 2^31 and above: Java reads them negative; refused as sent, not a 500.
    assertRefused(
        400,
        "GET",
        "/v1/services?page_size=4294967295",
        null,
        "page_size: must be at most 1000, got 4294967295");
    assertRefused(
        400,
        "GET",
        "/v1/services?page_size=2147483648",
        null,
        "page_size: must be at most 1000, got 2147483648");
    // Valid JSON, invalid request: the service's own validation, as over gRPC.
    assertRefused(400, "POST", "/v1/register", "", "instance: is required");
    assertRefused(400, "GET", "/v1/discover?service=Or@ders", null, "service: must be");
  }

  /** docs/api.md promises strict JSON; JsonFormat alone accepted all of these. */
  @Test
  void bodiesThatAreNotStrictJsonAreRefusedAndWriteNothing() {
    String service = "strict-" + UUID.randomUUID().toString().substring(0, 8);
    String instance =
        "\"instance\": {\"service\": \"" + service + "\", \"host\": \"h\", \"port\": 80";
    assertRefused(400, "POST", "/v1/register", "{" + instance + "}} // note", "comment");
    assertRefused(400, "POST", "/v1/register", "{/* note */" + instance + "}}", "comment");
    assertRefused(400, "POST", "/v1/register", "{'instance': {'service': 'a'}}", "double-quote");
    assertRefused(400, "POST", "/v1/register", "{instance: {service: \"a\"}}", "double-quote");
    assertRefused(
        400, "POST", "/v1/register", "{" + instance + "}} {\"instance\": {}}", "more follows");
    assertRefused(400, "POST", "/v1/register", "{" + instance + "}} garbage", "");
    assertRefused(
        400,
        "POST",
        "/v1/register",
        "{" + instance + ", \"port\": 81}}",
        "instance.port: Duplicate field 'port'");
    assertRefused(
        400,
        "POST",
        "/v1/register",
        "{" + instance + ", \"metadata\": {\"k\": \"1\", \"k\": \"2\"}}}",
        "Duplicate field 'k'");
    assertRefused(
        400,
        "POST",
        "/v1/register",
        "{\"instance\": {\"service\": 12, \"host\": \"h\", \"port\": 80}}",
        "instance.service: must be a JSON string, got 12");
    assertRefused(
        400,
        "POST",
        "/v1/register",
        "{" + instance + ", \"metadata\": {\"team\": true}}}",
        "instance.metadata[team]: must be a JSON string, got true");
    assertRefused(
        400,
        "POST",
        "/v1/register",
        "{" + instance + ", \"metadata\": {\"team\": \"a\\ud800b\"}}}",
        "instance.metadata[team]: holds a lone surrogate \\ud800");
    // Nesting: 100,000 arrays once took 1,000 nested calls and named a path of 1,000 "[0]"s.
    assertRefused(
        400,
        "POST",
        "/v1/register",
        "{"
            + instance
            + ", \"metadata\": {\"team\": "
            + "[".repeat(100_000)
            + "]".repeat(100_000)
            + "}}}",
        "the body nests arrays and objects more than 8 deep (at line 1, column ");
    // Caller text in a message is cut short: a 10,000-character name is not answered back whole.
    JsonHttp.Answer longName =
        http.send(
            "POST",
            base + "/v1/register",
            "{" + instance + ", \"" + "n".repeat(10_000) + "\": 1}}");
    assertEquals(400, longName.status(), longName::toString);
    assertTrue(longName.errorMessage().contains("n".repeat(80) + "..."), longName::toString);
    assertTrue(longName.errorMessage().length() < 1_000, longName::toString);
    byte[] invalidUtf8 =
        ("{" + instance + ", \"metadata\": {\"team\": \"a\u00ffb\"}}}")
            .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    JsonHttp.Answer answer = http.post(base + "/v1/register", invalidUtf8);
    assertEquals(400, answer.status(), answer::toString);
    assertTrue(
        answer.errorMessage().contains("instance.metadata[team]: Invalid UTF-8"), answer::toString);

    assertEquals(
        0,
        DiscoveryServiceGrpc.newBlockingStub(channel)
            .withDeadlineAfter(30, java.util.concurrent.TimeUnit.SECONDS)
            .discover(
                DiscoverRequest.newBuilder().setService(service).setIncludeUnhealthy(true).build())
            .getRevision(),
        "a refused body must write nothing");
    // A number as a string stays valid, as the protobuf JSON mapping allows.
    assertEquals(
        200,
        http.send(
                "POST",
                base + "/v1/register",
                // The port only: the random service name may hold "80" too.
                "{" + instance.replace("\"port\": 80", "\"port\": \"80\"") + "}}")
            .status());
  }

  /**
   * Query strings are percent-encoded UTF-8: bytes that are not UTF-8 (a lone surrogate encoded
   * included) are refused naming the parameter, like a body that is not UTF-8. Vert.x decoded them
   * to U+FFFD, so {@code %ff} reached the service as a character nobody sent; a broken escape was a
   * 500 with a stack trace.
   */
  @Test
  void queryStringsThatAreNotPercentEncodedUtf8AreRefusedNamingTheParameter() {
    assertRefused(
        400,
        "GET",
        "/v1/discover?service=orders%ff",
        null,
        "query parameter \"service\": byte 0xff at 6 of its value is not UTF-8");
    assertRefused(
        400,
        "GET",
        "/v1/discover?service=orders&metadata_selector.team=a%ed%a0%80",
        null,
        "query parameter \"metadata_selector.team\": byte 0xed at 1 of its value is not UTF-8");
    assertRefused(
        400,
        "GET",
        "/v1/services?namespace=%c3",
        null,
        "query parameter \"namespace\": byte 0xc3 at 0 of its value is not UTF-8");
    assertRefused(
        400,
        "GET",
        "/v1/discover?service=orders&%ff=1",
        null,
        "query parameter \"%ff\": byte 0xff at 0 of its name is not UTF-8");
    assertRefused(
        400,
        "GET",
        "/v1/cluster?x%ff",
        null,
        "query parameter \"x%ff\": byte 0xff at 1 of its name is not UTF-8");
    // No HTTP client sends a broken escape: written on a socket as it is.
    for (String broken : List.of("%zz", "%f")) {
      JsonHttp.Answer answer =
          http.getAsSent("127.0.0.1", node.apiPort(), "/v1/discover?service=orders" + broken);
      assertEquals(400, answer.status(), answer::toString);
      assertEquals(
          "query parameter \"service\": \""
              + broken
              + "\" is not a percent-encoded byte (%XX, two hex digits): encode '%' as %25",
          answer.errorMessage());
    }
    // Percent-encoded UTF-8 and '+' for a space are decoded as before.
    assertRefused(400, "GET", "/v1/discover?service=caf%C3%A9+bar", null, "service: must be");
    JsonHttp.Answer answer =
        http.send(
            "GET", base + "/v1/discover?service=orders&metadata_selector.team=caf%C3%A9", null);
    assertEquals(200, answer.status(), answer::toString);
  }

  @Test
  void queryParametersTakeProtoAndJsonNamesAndMapEntries() {
    String register =
        "{\"instance\": {\"service\": \""
            + service
            + "\", \"host\": \"h\", \"port\": 1, \"zone\": \"z1\", \"metadata\": {\"team\": \"a\"}}}";
    assertEquals(200, http.send("POST", base + "/v1/register", register).status());
    await()
        .atMost(PROPAGATION)
        .untilAsserted(
            () -> {
              for (String query :
                  List.of(
                      "service=" + service + "&metadata_selector.team=a",
                      "service=" + service + "&metadataSelector.team=a&preferredZone=z1",
                      "service=" + service + "&includeUnhealthy=true")) {
                assertEquals(1, discover(query).getInstancesCount(), query);
              }
              assertEquals(
                  0,
                  discover("service=" + service + "&metadata_selector.team=b").getInstancesCount());
            });
  }

  @Test
  void discoverPagesFromTheQueryStringInEitherNaming() {
    for (int i = 0; i < 3; i++) {
      String register =
          "{\"instance\": {\"service\": \""
              + service
              + "\", \"instanceId\": \"i"
              + i
              + "\", \"host\": \"h\", \"port\": 1}}";
      assertEquals(200, http.send("POST", base + "/v1/register", register).status());
    }
    await()
        .atMost(PROPAGATION)
        .until(() -> discover("service=" + service).getInstancesCount() == 3);

    DiscoverResponse first = discover("service=" + service + "&page_size=2");
    DiscoverResponse second =
        discover("service=" + service + "&pageSize=2&pageToken=" + first.getNextPageToken());

    assertEquals(List.of("i0", "i1"), ids(first));
    assertEquals(List.of("i2"), ids(second));
    assertTrue(second.getNextPageToken().isEmpty());
    assertRefused(
        400, "GET", "/v1/discover?service=" + service + "&page_size=5001", null, "page_size");
  }

  private static List<String> ids(DiscoverResponse answer) {
    return answer.getInstancesList().stream().map(instance -> instance.getInstanceId()).toList();
  }

  @Test
  void unknownRoutesAre404AndOtherMethods405() {
    assertRefused(
        404, "GET", "/v1/nope", null, "no route GET /v1/nope; the routes are POST /v1/register");
    assertRefused(404, "GET", "/", null, "no route GET /");
    JsonHttp.Answer wrongMethod = http.send("DELETE", base + "/v1/register", null);
    assertEquals(405, wrongMethod.status());
    assertEquals("UNIMPLEMENTED", wrongMethod.errorCode());
    assertEquals("/v1/register answers POST, not DELETE", wrongMethod.errorMessage());
    assertEquals(405, http.send("GET", base + "/v1/watch", null).status());
    assertEquals(405, http.send("PUT", base + "/v1/discover", "{}").status());
  }

  @Test
  void bodiesOverOneMebibyteAreRefusedWith413() throws Exception {
    char[] spaces = new char[1024 * 1024];
    Arrays.fill(spaces, ' ');
    String atTheLimit = new String(spaces);
    // At the limit the body is read: all whitespace, the empty request, which lacks an instance.
    assertRefused(400, "POST", "/v1/register", atTheLimit, "instance: is required");
    JsonHttp.Answer tooLarge = http.send("POST", base + "/v1/register", atTheLimit + " ");
    assertEquals(413, tooLarge.status());
    assertEquals("RESOURCE_EXHAUSTED", tooLarge.errorCode());
    assertEquals("the request body is larger than 1048576 bytes", tooLarge.errorMessage());
    // The connection was closed after the 413; the next request gets a fresh one.
    assertEquals(200, http.send("GET", base + "/v1/cluster", null).status());
    // A client that sends its whole body before it reads the answer (the JDK's HttpClient does)
    // gets the 413 too: the node reads and drops the rest of the body before it closes. Closed at
    // once, such a client, still writing, saw a broken pipe instead.
    assertEquals(413, statusAfterSendingAllOf(4 * 1024 * 1024));
  }

  /**
   * POSTs a body of {@code bytes} to /v1/register over a socket of its own, in 64 KiB writes a few
   * milliseconds apart (a client on a slower network), and only then reads the answer's status.
   */
  private int statusAfterSendingAllOf(int bytes) throws Exception {
    URI uri = URI.create(base);
    try (java.net.Socket socket = new java.net.Socket(uri.getHost(), uri.getPort())) {
      socket.setSoTimeout(30_000);
      java.io.OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /v1/register HTTP/1.1\r\nhost: "
                  + uri.getHost()
                  + "\r\ncontent-type: application/json\r\ncontent-length: "
                  + bytes
                  + "\r\n\r\n")
              .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      byte[] chunk = new byte[64 * 1024];
      Arrays.fill(chunk, (byte) ' ');
      for (int sent = 0; sent < bytes; sent += chunk.length) {
        out.write(chunk, 0, Math.min(chunk.length, bytes - sent));
        out.flush();
        Thread.sleep(2);
      }
      String statusLine =
          new java.io.BufferedReader(
                  new java.io.InputStreamReader(
                      socket.getInputStream(), java.nio.charset.StandardCharsets.US_ASCII))
              .readLine();
      return Integer.parseInt(statusLine.split(" ")[1]);
    }
  }

  @Test
  void watchStreamsASnapshotThenOneJsonLinePerChange() {
    JsonHttp.Answer noTargets = http.send("POST", base + "/v1/watch", "{\"targets\": []}");
    assertEquals(400, noTargets.status());
    assertEquals("targets: must name 1-256 services, got 0", noTargets.errorMessage());

    HttpExamples.Example watch =
        new HttpExamples.Example(
            "/v1/watch", "{\"targets\": [{\"service\": \"" + service + "\"}]}", true);
    try (JsonHttp.Lines lines = http.stream(base, watch)) {
      assertEquals(200, lines.status());
      assertEquals("application/x-ndjson", lines.contentType());
      WatchResponse snapshot = lines.next(PROPAGATION);
      assertTrue(snapshot.hasSnapshot(), snapshot::toString);
      assertEquals(0, snapshot.getSnapshot().getInstancesCount());

      String key = "{\"key\": {\"service\": \"" + service + "\", \"instanceId\": \"a\"}";
      http.send(
          "POST",
          base + "/v1/register",
          "{\"instance\": {\"service\": \""
              + service
              + "\", \"instanceId\": \"a\", \"host\": \"h\", \"port\": 1}}");
      assertEquals(ChangeType.CHANGE_TYPE_ADDED, onlyChange(lines.next(PROPAGATION)));
      http.send(
          "POST",
          base + "/v1/set-status",
          key + ", \"status\": \"INSTANCE_STATUS_OUT_OF_SERVICE\"}");
      assertEquals(ChangeType.CHANGE_TYPE_STATUS_CHANGED, onlyChange(lines.next(PROPAGATION)));
      http.send("POST", base + "/v1/deregister", key + "}");
      assertEquals(ChangeType.CHANGE_TYPE_REMOVED, onlyChange(lines.next(PROPAGATION)));
    }
  }

  @Test
  void grpcAndMetricsAreStillServedOnTheSamePort() {
    DiscoverResponse answer =
        DiscoveryServiceGrpc.newBlockingStub(channel)
            .withDeadlineAfter(30, TimeUnit.SECONDS)
            .discover(DiscoverRequest.newBuilder().setService(service).build());
    assertEquals(0, answer.getInstancesCount());
    JsonHttp.Answer metrics = http.send("GET", base + "/metrics", null);
    assertEquals(200, metrics.status());
    assertTrue(metrics.contentType().startsWith("text/plain"), metrics.contentType());
  }

  @Test
  void theOpenApiDescriptionDocumentsExactlyTheRoutesServed() throws IOException {
    String notFound = http.send("GET", base + "/v1/nope", null).errorMessage();
    List<String> served =
        List.of(notFound.substring(notFound.indexOf("the routes are ") + 15).split(", "));
    assertEquals(openApiOperations(Files.readString(Repository.docs("openapi.yaml"))), served);
  }

  /** "METHOD /path" of every operation of an OpenAPI document, in document order. */
  static List<String> openApiOperations(String yaml) {
    List<String> operations = new ArrayList<>();
    String path = null;
    Matcher line =
        Pattern.compile(
                "^(  (/\\S*):|    (get|post|put|delete|patch|head|options):)\\s*$",
                Pattern.MULTILINE)
            .matcher(yaml);
    while (line.find()) {
      if (line.group(2) != null) {
        path = line.group(2);
      } else {
        operations.add(line.group(3).toUpperCase() + " " + path);
      }
    }
    return operations;
  }

  private JsonHttp.Answer ok(HttpExamples.Example example) {
    JsonHttp.Answer answer = http.send(base, example);
    assertEquals(200, answer.status(), () -> example.curl(base) + " answered " + answer);
    assertEquals("application/json", answer.contentType());
    return answer;
  }

  private DiscoverResponse discover(String query) {
    JsonHttp.Answer answer = http.send("GET", base + "/v1/discover?" + query, null);
    assertEquals(200, answer.status(), answer::toString);
    return answer.as(DiscoverResponse.getDefaultInstance());
  }

  private void assertRefused(int status, String method, String path, String body, String mentions) {
    JsonHttp.Answer answer = http.send(method, base + path, body);
    assertEquals(status, answer.status(), answer::toString);
    assertEquals("application/json", answer.contentType());
    assertTrue(
        answer.errorMessage().contains(mentions),
        () -> method + " " + path + " answered " + answer.body() + ", not mentioning " + mentions);
  }

  private static ChangeType onlyChange(WatchResponse message) {
    assertTrue(message.hasChanges(), message::toString);
    assertEquals(1, message.getChanges().getChangesCount(), message::toString);
    return message.getChanges().getChanges(0).getType();
  }

  private static RegistryServiceGrpc.RegistryServiceBlockingStub registry() {
    return RegistryServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static RegisterRequest parse(HttpExamples.Example example) {
    return new JsonHttp.Answer(200, "", example.body()).as(RegisterRequest.getDefaultInstance());
  }

  private static String grpcMessage(Runnable call) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      return e.getStatus().getDescription();
    }
    throw new AssertionError("the gRPC call succeeded");
  }
}
