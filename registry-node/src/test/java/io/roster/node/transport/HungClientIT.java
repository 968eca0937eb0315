package io.roster.node.transport;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.roster.node.RegistryNode;
import io.roster.node.SingleNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A client that hangs with its connection open (SIGSTOP: its socket stays up, nothing answers): the
 * node's HTTP/2 ping goes unanswered, and after {@code api.keepalive-timeout-s} the node closes the
 * connection and releases its Watch and KeepAlive streams, long before the idle timeout or TCP
 * would. A node pinging every second, with a 2 s ping timeout and a 60 s idle timeout.
 */
@Timeout(180)
class HungClientIT {

  private static final int WATCHES = 5;

  private static RegistryNode node;

  @BeforeAll
  static void startNode() {
    node =
        SingleNode.start(
            "hung-client",
            "--api.idle-timeout-s=60",
            "--api.keepalive-interval-s=1",
            "--api.keepalive-timeout-s=2");
  }

  @AfterAll
  static void stopNode() {
    if (node != null) {
      node.stop();
    }
  }

  @Test
  void streamsOfAClientThatStopsAnsweringPingsAreReleased() throws Exception {
    StreamGauges before = StreamGauges.read(node.apiPort());
    String service = "hung-" + UUID.randomUUID().toString().substring(0, 8);
    Process client =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                AbandoningClient.class.getName(),
                Integer.toString(node.apiPort()),
                Integer.toString(WATCHES),
                service)
            .redirectErrorStream(true)
            .start();
    try {
      List<String> output = new CopyOnWriteArrayList<>();
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader lines =
                    new BufferedReader(
                        new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8))) {
                  String line;
                  while ((line = lines.readLine()) != null) {
                    output.add(line);
                  }
                } catch (java.io.IOException ended) {
                  // The process is gone.
                }
              },
              "hung-client-output");
      reader.setDaemon(true);
      reader.start();
      await()
          .atMost(Duration.ofSeconds(60))
          .failFast("the client process exited: " + output, () -> !client.isAlive())
          .until(() -> output.contains("READY"));
      assertEquals(
          before.streamsOpen() + WATCHES + 1, StreamGauges.read(node.apiPort()).streamsOpen());

      signal(client, "STOP");

      await()
          .atMost(Duration.ofSeconds(15))
          .untilAsserted(
              () ->
                  assertEquals(
                      before,
                      StreamGauges.read(node.apiPort()),
                      "the node still holds the streams of a client that stopped answering"));
    } finally {
      signal(client, "CONT");
      client.destroyForcibly();
      client.waitFor(30, TimeUnit.SECONDS);
    }
  }

  private static void signal(Process process, String signal) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).start();
    kill.waitFor(10, TimeUnit.SECONDS);
  }
}
