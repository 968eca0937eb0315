package io.roster.node.transport;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.roster.node.RegistryNode;
import io.roster.node.SingleNode;
import java.time.Duration;
import java.util.UUID;
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
    try (AbandoningClient.Running client =
        AbandoningClient.Running.start(node.apiPort(), WATCHES, service)) {
      assertEquals(
          before.streamsOpen() + WATCHES + 1, StreamGauges.read(node.apiPort()).streamsOpen());

      client.signal("STOP");

      await()
          .atMost(Duration.ofSeconds(15))
          .untilAsserted(
              () ->
                  assertEquals(
                      before,
                      StreamGauges.read(node.apiPort()),
                      "the node still holds the streams of a client that stopped answering"));
    }
  }
}
