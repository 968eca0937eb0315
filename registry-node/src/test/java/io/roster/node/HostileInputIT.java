package io.roster.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.roster.testing.Instances;
import io.roster.testing.NodeProcess;
import io.roster.testing.RawBytes;
import io.roster.testing.RosterCluster;
import io.roster.v1.HeartbeatRequest;
import io.roster.v1.RegistryServiceGrpc;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * A node process under hostile input keeps its log readable and small: refused requests are one
 * line each, rate limited per kind, with no stack trace; caller values are escaped, so none can
 * forge a line. Read from the node's own log file, as an operator would.
 */
@Timeout(300)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileInputIT {

  /** 2,000 garbage requests once wrote 15 MB of stack traces in 5 s. */
  private static final int FLOOD = 2_000;

  /** A few kilobytes: a handful of lines per kind, whatever the number of requests. */
  private static final long MAX_LOG_GROWTH_BYTES = 8 * 1024;

  private static RosterCluster cluster;

  @BeforeAll
  static void startNode() {
    cluster = RosterCluster.start(1);
  }

  @AfterAll
  static void stopNode() {
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
        .atMost(Duration.ofSeconds(30))
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
  void floodsOfBadRequestsGrowTheLogByAFewKilobytes() throws Exception {
    NodeProcess node = cluster.node(0);
    long before = Files.size(node.logFile());
    ManagedChannel channel = node.channel();
    MethodDescriptor<byte[], byte[]> register = raw(RegistryServiceGrpc.getRegisterMethod());
    HttpClient http = HttpClient.newHttpClient();
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
                  .timeout(Duration.ofSeconds(30))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(400, answer.statusCode(), answer.body());
    }

    long grown = Files.size(node.logFile()) - before;
    String tail =
        new String(Files.readAllBytes(node.logFile()), StandardCharsets.UTF_8)
            .substring((int) before);
    assertTrue(
        grown <= MAX_LOG_GROWTH_BYTES,
        "3 x " + FLOOD + " bad requests grew the log by " + grown + " bytes:\n" + tail);
    assertFalse(tail.contains("\tat "), "a stack trace for bad input:\n" + tail);
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

  /** {@code method} sending and receiving bytes as they are, to send what no stub would. */
  private static MethodDescriptor<byte[], byte[]> raw(MethodDescriptor<?, ?> method) {
    return RawBytes.method(method);
  }
}
