package io.roster.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallCredentials;
import io.grpc.CompositeChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.roster.node.access.AccessRules;
import io.roster.testing.Instances;
import io.roster.testing.NodeProcess;
import io.roster.testing.RosterCluster;
import io.roster.v1.DeregisterRequest;
import io.roster.v1.HeartbeatRequest;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The log of a real node process, as it writes it (its output, in its log file): JSON lines with an
 * access file and a cluster secret. Levels change at run time over HTTP, for an admin of every
 * namespace only; calls with bearer tokens (a wrong one, refused ones, lease ids sent back and
 * forth) leave neither a token, the secret, a lease id's tag nor a request body in the log; every
 * line is one JSON object with the node's fields, and the lines an operator searches for carry
 * their subjects as fields.
 */
@Timeout(300)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NodeLogsIT {

  private static final String OPERATOR = token("operator");
  private static final String BILLING = token("billing");
  private static final String READER = token("reader");
  private static final String WRONG = token("wrong");
  private static final String SECRET = HexFormat.of().formatHex(random(32));
  private static final String BODY_MARKER = "body-marker-" + HexFormat.of().formatHex(random(8));
  private static final String CONNECTIONS = "io.roster.node.api.ApiConnections";
  private static final String TIME = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";

  @TempDir static Path dir;
  private static RosterCluster cluster;
  private static NodeProcess node;

  /** Without credentials of its own: each call brings the token of the caller it plays. */
  private static ManagedChannel channel;

  private static final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void startNode() throws IOException {
    Path access = dir.resolve("access");
    Files.writeString(
        access,
        "token "
            + AccessRules.sha256(OPERATOR)
            + " operator *:admin\n"
            + "token "
            + AccessRules.sha256(BILLING)
            + " billing billing:register,billing:read\n"
            + "token "
            + AccessRules.sha256(READER)
            + " reader billing:read\n");
    Path secret = dir.resolve("cluster.secret");
    Files.writeString(secret, SECRET + "\n");
    cluster =
        RosterCluster.builder()
            .size(1)
            .channelCredentials(
                CompositeChannelCredentials.create(
                    InsecureChannelCredentials.create(), bearer(OPERATOR)))
            .flags(
                "--security.access-file=" + access,
                "--cluster.secret-file=" + secret,
                "--log.format=json")
            .start();
    node = cluster.node(0);
    channel = ManagedChannelBuilder.forAddress(node.host(), node.apiPort()).usePlaintext().build();
  }

  @AfterAll
  static void stopNode() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Order(1)
  void onlyAnAdminOfEveryNamespaceTurnsADebugLineOnAndOff() throws Exception {
    HttpResponse<String> refused = putLevel(BILLING, CONNECTIONS, "DEBUG");
    assertEquals(403, refused.statusCode(), refused.body());
    HttpResponse<String> bad = putLevel(OPERATOR, CONNECTIONS, "LOUD");
    assertEquals(400, bad.statusCode(), bad.body());
    assertTrue(bad.body().contains("unknown level \\\"LOUD\\\""), bad.body());
    openAndCloseAConnection();
    assertEquals(List.of(), connectionsClosed(), "DEBUG is off, and stays off after refusals");

    HttpResponse<String> on = putLevel(OPERATOR, CONNECTIONS, "DEBUG");
    assertEquals(200, on.statusCode(), on.body());
    openAndCloseAConnection();
    await("a DEBUG line about the closed connection")
        .atMost(Duration.ofSeconds(20))
        .until(() -> !connectionsClosed().isEmpty());
    List<JsonObject> changes = linesOf("roster.audit", "log level of " + CONNECTIONS);
    assertEquals(1, changes.size(), "one audit line, for the change made: " + changes);
    assertEquals("operator", changes.get(0).getString("principal"));
    assertEquals(CONNECTIONS, changes.get(0).getString("targetLogger"));
    assertEquals("DEBUG", changes.get(0).getString("targetLevel"));

    HttpResponse<String> off = putLevel(OPERATOR, CONNECTIONS, null);
    assertEquals(200, off.statusCode(), off.body());
    int before = connectionsClosed().size();
    openAndCloseAConnection();
    await("no more DEBUG lines once the logger inherits INFO again")
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(10))
        .until(() -> connectionsClosed().size() == before);
  }

  @Test
  @Order(2)
  void noTokenSecretLeaseIdNorRequestBodyReachesTheLog() throws Exception {
    // Everything of the node's own at DEBUG, so that paths logging only there are covered too.
    assertEquals(200, putLevel(OPERATOR, "io.roster", "DEBUG").statusCode());
    assertEquals(200, putLevel(OPERATOR, "roster", "DEBUG").statusCode());
    try {
      RegisterResponse registered =
          registry(BILLING)
              .register(
                  Instances.register(
                      Instances.of("invoices")
                          .setNamespace("billing")
                          .setInstanceId("invoices-1")
                          .putMetadata("note", BODY_MARKER)));
      String leaseId = registered.getLeaseId();
      String forged = leaseId.substring(0, leaseId.lastIndexOf('.') + 1) + "AAAAAAAAAAAAAAAAAAAAAA";
      registry(BILLING).heartbeat(HeartbeatRequest.newBuilder().setLeaseId(leaseId).build());
      HttpResponse<String> overHttp =
          send(
              BILLING,
              "POST",
              "/v1/heartbeat",
              "{\"leaseId\": \"" + leaseId + "\", \"epoch\": \"" + registered.getEpoch() + "\"}");
      assertEquals(200, overHttp.statusCode(), overHttp.body());
      assertStatus(
          Status.Code.NOT_FOUND,
          () ->
              registry(BILLING)
                  .heartbeat(HeartbeatRequest.newBuilder().setLeaseId(forged).build()));
      assertStatus(
          Status.Code.UNAUTHENTICATED,
          () -> registry(WRONG).register(Instances.register(Instances.of("invoices"))));
      assertEquals(401, send(WRONG, "GET", "/v1/discover?service=x", null).statusCode());
      assertStatus(
          Status.Code.PERMISSION_DENIED,
          () ->
              registry(READER)
                  .register(Instances.register(Instances.of("invoices").setNamespace("billing"))));
      assertEquals(403, send(READER, "GET", "/v1/admin/log-levels", null).statusCode());
      registry(BILLING).deregister(DeregisterRequest.newBuilder().setLeaseId(leaseId).build());

      await("the refusals are logged")
          .atMost(Duration.ofSeconds(20))
          .until(
              () ->
                  log().contains("Heartbeat refused")
                      && log().contains("bearer token is not one this cluster knows")
                      && log().contains("reader may not call Register")
                      && log().contains("Deregister billing/invoices/invoices-1 by billing"));
      String log = log();
      String tag = leaseId.substring(leaseId.lastIndexOf('.') + 1);
      for (String secret :
          List.of(
              OPERATOR,
              BILLING,
              READER,
              WRONG,
              AccessRules.sha256(OPERATOR),
              AccessRules.sha256(BILLING),
              SECRET,
              leaseId,
              tag,
              forged,
              BODY_MARKER)) {
        assertFalse(log.contains(secret), "the log holds " + secret + ":\n" + log);
      }
    } finally {
      putLevel(OPERATOR, "io.roster", null);
      putLevel(OPERATOR, "roster", null);
    }
  }

  @Test
  @Order(3)
  void everyLineIsOneJsonObjectAndTheLinesOperatorsSearchForCarryTheirSubjects()
      throws IOException {
    List<String> lines = Files.readAllLines(node.logFile(), StandardCharsets.UTF_8);
    assertTrue(lines.size() > 10, "a node that did all this logged more: " + lines);
    for (String line : lines) {
      JsonObject json;
      try {
        json = new JsonObject(line);
      } catch (DecodeException e) {
        throw new AssertionError("not a JSON line: " + line, e);
      }
      assertTrue(json.getString("time", "").matches(TIME), line);
      assertEquals("node1", json.getString("node"), line);
      for (String field : List.of("level", "logger", "thread", "message")) {
        assertNotNull(json.getString(field), "no " + field + ": " + line);
      }
    }
    assertTrue(
        new JsonObject(lines.get(0)).getString("time") != null, "JSON from the very first line");

    JsonObject audit = linesOf("roster.audit", "Register billing/invoices/invoices-1").get(0);
    assertEquals("billing", audit.getString("principal"));
    assertEquals("billing", audit.getString("namespace"));
    assertEquals("invoices", audit.getString("service"));
    assertEquals("invoices-1", audit.getString("instance"));

    JsonObject refusal =
        linesOf("io.roster.node.api.RequestLog", "reader may not call Register").get(0);
    assertEquals("INFO", refusal.getString("level"));
    assertEquals("reader", refusal.getString("principal"));
    assertEquals("billing", refusal.getString("namespace"));
    assertEquals("invoices", refusal.getString("service"));

    JsonObject leader =
        linesOf("io.roster.node.cluster.EvictionSweeper", "took over as leader").get(0);
    assertTrue(leader.getValue("epoch") instanceof Number, leader.encode());
  }

  private static List<JsonObject> connectionsClosed() throws IOException {
    return linesOf(CONNECTIONS, "closed by the client").stream()
        .filter(line -> line.getString("level").equals("DEBUG"))
        .toList();
  }

  /** The JSON lines of {@code logger} whose message holds {@code text}. */
  private static List<JsonObject> linesOf(String logger, String text) throws IOException {
    return log()
        .lines()
        .filter(line -> line.startsWith("{"))
        .map(JsonObject::new)
        .filter(line -> logger.equals(line.getString("logger")))
        .filter(line -> line.getString("message").contains(text))
        .toList();
  }

  private static String log() throws IOException {
    return Files.readString(node.logFile(), StandardCharsets.UTF_8);
  }

  private static void openAndCloseAConnection() throws IOException {
    try (Socket socket = new Socket(node.host(), node.apiPort())) {
      socket.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
      socket.getOutputStream().flush();
      socket.getInputStream().read();
    }
  }

  private static HttpResponse<String> putLevel(String token, String logger, String level)
      throws Exception {
    String levelJson = level == null ? "null" : "\"" + level + "\"";
    return send(
        token,
        "PUT",
        "/v1/admin/log-levels",
        "{\"logger\": \"" + logger + "\", \"level\": " + levelJson + "}");
  }

  private static HttpResponse<String> send(String token, String method, String path, String body)
      throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://" + node.apiAddress() + path))
            .header("authorization", "Bearer " + token)
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body))
            .timeout(Duration.ofSeconds(30))
            .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private static RegistryServiceGrpc.RegistryServiceBlockingStub registry(String token) {
    return RegistryServiceGrpc.newBlockingStub(channel)
        .withCallCredentials(bearer(token))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static void assertStatus(Status.Code code, Runnable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
    assertEquals(code, e.getStatus().getCode(), String.valueOf(e.getStatus()));
  }

  /** Sends {@code authorization: Bearer <token>} with every call. */
  private static CallCredentials bearer(String token) {
    return new CallCredentials() {
      @Override
      public void applyRequestMetadata(
          RequestInfo requestInfo, Executor appExecutor, MetadataApplier applier) {
        Metadata headers = new Metadata();
        headers.put(
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        applier.apply(headers);
      }
    };
  }

  private static String token(String who) {
    return who + "-token-" + HexFormat.of().formatHex(random(16));
  }

  private static byte[] random(int bytes) {
    byte[] value = new byte[bytes];
    new SecureRandom().nextBytes(value);
    return value;
  }
}
