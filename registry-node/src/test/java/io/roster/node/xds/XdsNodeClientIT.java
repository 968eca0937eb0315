package io.roster.node.xds;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.roster.node.http.NodeScript;
import io.roster.node.http.Repository;
import io.roster.testing.NodeProcess;
import io.roster.v1.InstanceStatus;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The Node.js client of docs/examples/xds-node ({@code @grpc/grpc-js-xds}, {@code xds:///orders},
 * no Roster code) against three real nodes and three real backends weighted 1:2:7: calls spread by
 * weight, move off a DRAINING backend within 1 s and off an evicted one within its TTL and 1 s, a
 * registration reaches it in milliseconds, and it follows the death of the node its stream is on.
 * Its bootstrap names every node in one {@code ipv4:} target, so its xDS channel moves to another
 * node when its node dies.
 *
 * <p>Needs {@code node} and {@code npm} and the npm registry for {@code npm ci}; skips, saying so,
 * only when node or npm is missing. The tests run in order: the last one kills a node.
 */
@Timeout(600)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class XdsNodeClientIT {

  private static final Path LOGS = Path.of("target", "xds-node").toAbsolutePath();
  private static final Path EXAMPLE = Repository.root().resolve("docs/examples/xds-node");
  private static final Duration CLIENT_BOUND = Duration.ofMinutes(2);

  /** Longer than any wait of a test for its steady client, which stops it once done. */
  private static final Duration STEADY_BOUND = Duration.ofSeconds(150);

  private static XdsTestbed testbed;

  @BeforeAll
  static void start() {
    assumeTrue(
        NodeScript.toolsPresent(),
        "skipped: node and npm are not installed; on Debian or Ubuntu:"
            + " sudo apt-get install -y nodejs npm");
    NodeScript.npmCi(EXAMPLE, LOGS, Duration.ofMinutes(5));
    testbed = XdsTestbed.start(LOGS);
    testbed.addBackend("b1", 1, "z1");
    testbed.addBackend("b2", 2, "z1");
    testbed.addBackend("b3", 7, "z1");
  }

  @AfterAll
  static void stop() {
    if (testbed != null) {
      testbed.close();
    }
  }

  @Test
  @Order(1)
  void callsSpreadOverTheBackendsAsTheirWeightsSay() {
    WeightCheck.passes(
        () -> testbed.callsByBackend(runClient(List.of("--expect-peers", "3", "--calls", "2000"))),
        testbed.all("b1", "b2", "b3"),
        new double[] {1, 2, 7},
        "grpc-js");
  }

  @Test
  @Order(2)
  void callsMoveOffADrainingBackendWithinOneSecond() {
    Moves.offWithin(
        testbed,
        steadyClient(),
        "b3",
        () -> testbed.setStatus("b3", InstanceStatus.INSTANCE_STATUS_DRAINING),
        Duration.ofSeconds(1));
    testbed.setStatus("b3", InstanceStatus.INSTANCE_STATUS_UP);
  }

  @Test
  @Order(3)
  void callsMoveOffAnEvictedBackendWithinItsTtlAndOneSecond() {
    Moves.offWithin(
        testbed,
        steadyClient(),
        "b2",
        () -> testbed.stopHeartbeats("b2"),
        Duration.ofMillis(XdsTestbed.TTL_MILLIS + 1_000));
  }

  @Test
  @Order(4)
  void aRegistrationReachesTheClientWithinASecond() {
    ChildProcess client = steadyClient();
    try (client) {
      List<Long> millis = Propagation.measure(testbed, 7);
      assertTrue(millis.get(millis.size() / 2) < 1_000, "median of " + millis);
    }
  }

  @Test
  @Order(5)
  void theExampleServerIsCalledThroughXdsOnceRegistered() {
    int port = io.roster.testing.FreePorts.next();
    try (ChildProcess server =
        ChildProcess.start(
            EXAMPLE,
            List.of("node", "server.js", "--port", Integer.toString(port)),
            Map.of(),
            LOGS,
            "example-server")) {
      testbed.register("example-server", port, 100, "z1");
      await("the example client calls the example server")
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () -> {
                JsonObject byPeer =
                    new JsonObject(runClient(List.of("--expect-peers", "1", "--calls", "50")))
                        .getJsonObject("byPeer");
                assertTrue(
                    byPeer.containsKey("127.0.0.1:" + port),
                    "server.js answered: " + byPeer + "; " + server.stderr());
              });
      testbed.deregister("example-server");
    }
  }

  @Test
  @Order(6)
  void theClientFollowsTheDeathOfTheNodeItsStreamIsOn() {
    try (ChildProcess client = steadyClient()) {
      HealthBackends.Backend b1 = testbed.backends.get("b1");
      long before = b1.calls.get();
      await().atMost(Duration.ofSeconds(30)).until(() -> b1.calls.get() > before + 5);
      NodeProcess serving = testbed.nodeServingTheStream();
      long callsAtDeath = b1.calls.get();

      serving.kill();
      long killed = System.nanoTime();
      HealthBackends.Backend after = testbed.backends.add("after-death");
      testbed.register(after, 10, "z1");

      await("calls go on after " + serving.name() + " died")
          .atMost(Duration.ofSeconds(10))
          .until(() -> b1.calls.get() > callsAtDeath + 20);
      await("the registration made after the death reaches the client")
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> after.calls.get() > 0);
      System.out.printf(
          "grpc-js: %s killed; a registration made then reached the client %d ms later%n",
          serving.name(), XdsTestbed.millis(after.firstCallNanos() - killed));
      XdsTestbed.keepsCallingPastTheResourceTimeout(client, killed);
      JsonObject summary = new JsonObject(client.stop(Duration.ofSeconds(30)));
      assertEquals(0, summary.getInteger("failures"), summary.encode());
    }
  }

  /** A client calling every few milliseconds until the test stops it (at most STEADY_BOUND). */
  private static ChildProcess steadyClient() {
    return startClient(
        List.of("--expect-peers", "1", "--duration-ms", Long.toString(STEADY_BOUND.toMillis())));
  }

  private static String runClient(List<String> args) {
    try (ChildProcess client = startClient(args)) {
      return client.awaitSuccess(CLIENT_BOUND);
    }
  }

  private static ChildProcess startClient(List<String> args) {
    List<String> command =
        new ArrayList<>(List.of("node", "calls.js", "--target", "xds:///orders"));
    command.addAll(args);
    return ChildProcess.start(
        EXAMPLE,
        command,
        Map.of(
            "GRPC_XDS_BOOTSTRAP_CONFIG",
            XdsTestbed.bootstrap(testbed.ipv4Target(), "node-client", "z1")),
        LOGS,
        "node-client");
  }
}
