package io.roster.node.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.roster.node.RegistryNode;
import io.roster.node.SingleNode;
import io.roster.node.access.AccessRules;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * {@code /v1/admin/log-levels} on one real node with an access file, over real HTTP, its effect
 * seen by an appender on the process's loggers: an admin of every namespace turns a DEBUG line on
 * and off again, and the change is audited once; everyone else is refused (401, 403) and changes
 * nothing; bad input is refused with 400 saying what is wrong.
 */
@Timeout(120)
class LogLevelsRouteTest {

  private static final String OPERATOR = "operator-token-0123456789abcdef";
  private static final String BILLING_ADMIN = "billing-admin-token-0123456789abcdef";

  /** Logs at DEBUG whenever a client closes its connection. */
  private static final String CONNECTIONS = ApiConnections.class.getName();

  @TempDir static Path dir;

  private static RegistryNode node;
  private static final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
  private final Logger root =
      ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(Logger.ROOT_LOGGER_NAME);

  @BeforeAll
  static void startNode() throws IOException {
    Path access = dir.resolve("access");
    Files.writeString(
        access,
        "token "
            + AccessRules.sha256(OPERATOR)
            + " operator *:admin\n"
            + "token "
            + AccessRules.sha256(BILLING_ADMIN)
            + " billing-admin billing:admin,*:read\n");
    node = SingleNode.start("log-levels-test", "--security.access-file=" + access);
  }

  @AfterAll
  static void stopNode() {
    node.stop();
  }

  @BeforeEach
  void captureLogs() {
    logged.start();
    root.addAppender(logged);
  }

  @AfterEach
  void restoreLevels() {
    root.detachAppender(logged);
    ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(CONNECTIONS).setLevel(null);
  }

  @Test
  void anAdminOfEveryNamespaceTurnsADebugLineOnAndOffAgainAndIsAudited() throws Exception {
    assertEquals(List.of(), connectionsClosedAtDebug(), "off by default");

    HttpResponse<String> on =
        put(OPERATOR, "{\"logger\": \"" + CONNECTIONS + "\", \"level\": \"debug\"}");
    assertEquals(200, on.statusCode(), on.body());
    assertEquals(
        new JsonObject(Map.of("logger", CONNECTIONS, "level", "DEBUG", "effectiveLevel", "DEBUG")),
        new JsonObject(on.body()));
    openAndCloseAConnection();
    await("the DEBUG line of a closed connection")
        .atMost(Duration.ofSeconds(10))
        .until(() -> !connectionsClosedAtDebug().isEmpty());
    JsonArray listed = new JsonObject(get(OPERATOR).body()).getJsonArray("loggers");
    assertTrue(
        listed.contains(
            new JsonObject(
                Map.of("logger", CONNECTIONS, "level", "DEBUG", "effectiveLevel", "DEBUG"))),
        listed::encode);
    assertEquals("ROOT", listed.getJsonObject(0).getString("logger"), listed::encode);

    HttpResponse<String> off =
        put(OPERATOR, "{\"logger\": \"" + CONNECTIONS + "\", \"level\": null}");
    assertEquals(200, off.statusCode(), off.body());
    JsonObject inherited = new JsonObject(off.body());
    assertNull(inherited.getValue("level"), off.body());
    assertEquals("INFO", inherited.getString("effectiveLevel"));
    synchronized (logged) {
      logged.list.clear();
    }
    openAndCloseAConnection();
    await("no DEBUG line once the logger inherits INFO again")
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(5))
        .until(() -> connectionsClosedAtDebug().isEmpty());

    put(OPERATOR, "{\"logger\": \"" + CONNECTIONS + "\", \"level\": \"WARN\"}");
    List<ILoggingEvent> audited = eventsOf("roster.audit");
    assertEquals(1, audited.size(), audited.toString());
    ILoggingEvent audit = audited.get(0);
    assertEquals(Level.INFO, audit.getLevel());
    assertEquals(
        "log level of " + CONNECTIONS + " set to WARN (was inherited (INFO)) by operator",
        audit.getFormattedMessage());
    assertEquals(
        Map.of("principal", "operator", "targetLogger", CONNECTIONS, "targetLevel", "WARN"),
        audit.getKeyValuePairs().stream()
            .collect(Collectors.toMap(pair -> pair.key, pair -> String.valueOf(pair.value))));
  }

  @Test
  void othersAreRefusedAndChangeNothing() throws Exception {
    HttpResponse<String> notEverywhere =
        put(BILLING_ADMIN, "{\"logger\": \"" + CONNECTIONS + "\", \"level\": \"DEBUG\"}");
    assertEquals(403, notEverywhere.statusCode(), notEverywhere.body());
    assertEquals(
        "billing-admin may not change log levels: that needs the role admin in every namespace"
            + " (*:admin)",
        new JsonObject(notEverywhere.body()).getString("message"));
    assertEquals(403, get(BILLING_ADMIN).statusCode());
    assertEquals(401, get(null).statusCode());
    assertEquals(
        401, put("made-up-token", "{\"logger\": \"ROOT\", \"level\": \"OFF\"}").statusCode());

    assertFalse(
        LoggerFactory.getLogger(CONNECTIONS).isDebugEnabled(), "the refused change was applied");
    assertEquals(Level.INFO, root.getLevel());
    assertEquals(List.of(), eventsOf("roster.audit"), "a refused change is not audited");
  }

  @Test
  void badInputIsRefusedWith400SayingWhatIsWrong() throws Exception {
    assertBadRequest(
        "{\"logger\": \"io.roster\", \"level\": \"verbose\"}",
        "level: unknown level \"verbose\"; levels are trace, debug, info, warn, error, off");
    assertBadRequest("{\"logger\": \"io.roster\", \"level\": ", "the body is not JSON");
    assertBadRequest("{'logger': 'io.roster'}", "the body is not JSON");
    assertBadRequest("[\"io.roster\"]", "the body must be a JSON object");
    assertBadRequest("", "the body must be a JSON object");
    assertBadRequest(
        "{\"logger\": \"io.roster\", \"logger\": \"io.vertx\", \"level\": \"INFO\"}",
        "the body is not JSON (Duplicate field 'logger')");
    assertBadRequest("{\"logger\": \"io.roster\", \"lvl\": \"INFO\"}", "unknown field \"lvl\"");
    assertBadRequest("{\"level\": \"INFO\"}", "logger: is required");
    assertBadRequest("{\"logger\": 7, \"level\": \"INFO\"}", "logger: must be a string");
    assertBadRequest(
        "{\"logger\": \"io.roster\", \"level\": 7}", "level: must be a string or null");
    assertBadRequest(
        "{\"logger\": \"io roster\\n\", \"level\": \"INFO\"}",
        "logger \"io roster\n\" may hold only letters, digits and _ . $ -");
    assertBadRequest(
        "{\"logger\": \"" + "a".repeat(201) + "\", \"level\": \"INFO\"}",
        "is longer than 200 characters");
    assertBadRequest("{\"logger\": \"ROOT\", \"level\": null}", "the root logger has no parent");
    assertBadRequest("{\"logger\": \"io.roster\", \"level\": \"INFO\"} {}", "more follows it");

    assertEquals(List.of(), eventsOf("roster.audit"), "nothing was changed");
    assertEquals(Level.INFO, root.getLevel());
  }

  private void assertBadRequest(String body, String expected) throws Exception {
    HttpResponse<String> answer = put(OPERATOR, body);
    assertEquals(400, answer.statusCode(), body + " answered " + answer.body());
    JsonObject error = new JsonObject(answer.body());
    assertEquals("INVALID_ARGUMENT", error.getString("code"));
    assertTrue(
        error.getString("message").contains(expected),
        body + " answered " + answer.body() + ", not saying " + expected);
  }

  private List<ILoggingEvent> connectionsClosedAtDebug() {
    return eventsOf(CONNECTIONS).stream()
        .filter(event -> event.getLevel() == Level.DEBUG)
        .filter(event -> event.getFormattedMessage().contains("closed by the client"))
        .toList();
  }

  private List<ILoggingEvent> eventsOf(String logger) {
    synchronized (logged) {
      return logged.list.stream().filter(event -> event.getLoggerName().equals(logger)).toList();
    }
  }

  private static void openAndCloseAConnection() throws IOException {
    try (Socket socket = new Socket("127.0.0.1", node.apiPort())) {
      socket.getOutputStream().write("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
      socket.getOutputStream().flush();
      socket.getInputStream().read();
    }
  }

  private static HttpResponse<String> get(String token) throws Exception {
    return send(request(token).GET());
  }

  private static HttpResponse<String> put(String token, String body) throws Exception {
    return send(request(token).PUT(HttpRequest.BodyPublishers.ofString(body)));
  }

  private static HttpRequest.Builder request(String token) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + node.apiPort() + "/v1/admin/log-levels"))
            .timeout(Duration.ofSeconds(30));
    if (token != null) {
      request.header("authorization", "Bearer " + token);
    }
    return request;
  }

  private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
