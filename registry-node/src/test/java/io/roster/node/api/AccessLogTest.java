package io.roster.node.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.roster.node.RegistryNode;
import io.roster.node.SingleNode;
import io.roster.node.access.AccessRules;
import io.roster.testing.Instances;
import io.roster.v1.HeartbeatRequest;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

/**
 * The access log of real nodes, read from an appender of the logging backend: with {@code
 * log.access} on, one line per finished call with its method, status, duration, principal and peer,
 * and never the caller's token or lease id; with it off (the default), nothing.
 */
@Timeout(120)
class AccessLogTest {

  private static final String TOKEN = "access-log-token-0123456789abcdef";

  @TempDir static Path dir;

  private static RegistryNode logging;
  private static RegistryNode quiet;
  private static ManagedChannel channel;
  private static ManagedChannel quietChannel;

  private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
  private final Logger accessLogger = (Logger) LoggerFactory.getLogger(AccessLog.LOGGER);

  @BeforeAll
  static void startNodes() throws Exception {
    Path access = dir.resolve("access");
    Files.writeString(access, "token " + AccessRules.sha256(TOKEN) + " billing-team *:admin\n");
    logging =
        SingleNode.start("access-log", "--log.access=true", "--security.access-file=" + access);
    quiet = SingleNode.start("no-access-log");
    channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", logging.apiPort()).usePlaintext().build();
    quietChannel =
        ManagedChannelBuilder.forAddress("127.0.0.1", quiet.apiPort()).usePlaintext().build();
  }

  @AfterAll
  static void stopNodes() {
    channel.shutdownNow();
    quietChannel.shutdownNow();
    logging.stop();
    quiet.stop();
  }

  @BeforeEach
  void listen() {
    lines.start();
    accessLogger.addAppender(lines);
    accessLogger.setLevel(Level.INFO);
  }

  @AfterEach
  void stopListening() {
    accessLogger.detachAppender(lines);
  }

  @Test
  void aCallWithABearerTokenIsLoggedWithItsPrincipalAndWithoutTheTokenOrLeaseId() throws Exception {
    RegistryServiceGrpc.RegistryServiceBlockingStub registry = registry(channel, TOKEN);
    RegisterResponse registered =
        registry.register(Instances.register(Instances.of("logged").setInstanceId("l-1")));
    registry.heartbeat(HeartbeatRequest.newBuilder().setLeaseId(registered.getLeaseId()).build());

    ILoggingEvent heartbeat =
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> find("roster.v1.RegistryService/Heartbeat"), line -> line != null);
    Map<String, Object> fields = fields(heartbeat);
    assertEquals("grpc", fields.get("protocol"));
    assertEquals("OK", fields.get("code"));
    assertEquals("billing-team", fields.get("principal"));
    assertTrue(String.valueOf(fields.get("peer")).startsWith("127.0.0.1:"), fields.toString());
    assertTrue(((Number) fields.get("duration_ms")).doubleValue() >= 0, fields.toString());
    assertEquals(Level.INFO, heartbeat.getLevel());
    for (ILoggingEvent line : List.copyOf(lines.list)) {
      String everything = line.getFormattedMessage() + " " + fields(line);
      assertFalse(everything.contains(TOKEN), "the token in: " + everything);
      assertFalse(everything.contains(registered.getLeaseId()), "the lease id in: " + everything);
    }
  }

  @Test
  void httpCallsAndRefusedCallsAreLoggedToo() throws Exception {
    HttpResponse<String> answer =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .build()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://127.0.0.1:" + logging.apiPort() + "/v1/discover?service=x"))
                    .header("authorization", "Bearer " + TOKEN)
                    .timeout(Duration.ofSeconds(10))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, answer.statusCode(), answer.body());
    try {
      registry(channel, "not-a-token-anyone-has")
          .register(Instances.register(Instances.of("refused")));
    } catch (io.grpc.StatusRuntimeException expected) {
      // UNAUTHENTICATED, logged without a principal
    }

    ILoggingEvent discover =
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> find("GET /v1/discover"), line -> line != null);
    assertEquals("200", fields(discover).get("code"));
    assertEquals("billing-team", fields(discover).get("principal"));
    ILoggingEvent refused =
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> find("roster.v1.RegistryService/Register"), line -> line != null);
    assertEquals("UNAUTHENTICATED", fields(refused).get("code"));
    assertEquals(ServedCall.NO_PRINCIPAL, fields(refused).get("principal"));
    assertFalse(
        refused.getFormattedMessage().contains("not-a-token"), refused.getFormattedMessage());
  }

  @Test
  void nothingIsLoggedWhenTheAccessLogIsOff() throws Exception {
    RegistryServiceGrpc.RegistryServiceBlockingStub registry = registry(quietChannel, null);
    registry.register(Instances.register(Instances.of("unlogged")));
    // A call on the logging node after it: once its line is there, the quiet node's would be too.
    registry(channel, TOKEN).register(Instances.register(Instances.of("marker")));
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> find("roster.v1.RegistryService/Register"), line -> line != null);

    assertEquals(
        1,
        lines.list.stream()
            .filter(line -> "roster.v1.RegistryService/Register".equals(fields(line).get("method")))
            .count(),
        "only the logging node's call: " + lines.list);
  }

  private ILoggingEvent find(String method) {
    for (ILoggingEvent line : List.copyOf(lines.list)) {
      if (method.equals(fields(line).get("method"))) {
        return line;
      }
    }
    return null;
  }

  private static Map<String, Object> fields(ILoggingEvent line) {
    Map<String, Object> fields = new HashMap<>();
    List<KeyValuePair> pairs = line.getKeyValuePairs();
    if (pairs != null) {
      for (KeyValuePair pair : pairs) {
        fields.put(pair.key, pair.value);
      }
    }
    return fields;
  }

  private static RegistryServiceGrpc.RegistryServiceBlockingStub registry(
      ManagedChannel channel, String token) {
    RegistryServiceGrpc.RegistryServiceBlockingStub stub =
        RegistryServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    if (token == null) {
      return stub;
    }
    Metadata headers = new Metadata();
    headers.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }
}
