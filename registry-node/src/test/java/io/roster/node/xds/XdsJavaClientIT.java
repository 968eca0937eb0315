package io.roster.node.xds;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.xds.shaded.io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.grpc.xds.shaded.io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.grpc.xds.shaded.io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.xds.shaded.io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
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
 * A grpc-java program with no Roster code (grpc-xds, {@code xds:///orders}, the bootstrap in {@code
 * GRPC_XDS_BOOTSTRAP_CONFIG}) calling three real backends registered in three real nodes with
 * weights 1:2:7: calls spread by weight, move off a DRAINING backend within 1 s and off an evicted
 * one within its TTL + 1 s, and follow a node's death.
 *
 * <p>The client runs in a JVM of its own ({@link XdsHealthClient}): grpc-java reads its bootstrap
 * once per process, and its xDS server is a host name that resolves to every node (from a hosts
 * file, {@code -Djdk.net.hosts.file}), as a cluster's DNS name does. Backends stamp each call with
 * this JVM's clock, so every time is measured on one clock.
 *
 * <p>The tests run in order: the last one kills a node.
 */
@Timeout(600)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class XdsJavaClientIT {

  private static final Path LOGS = Path.of("target", "xds-java").toAbsolutePath();
  private static final Duration CLIENT_BOUND = Duration.ofMinutes(2);

  /** Longer than any wait of a test for its steady client, which stops it once done. */
  private static final Duration STEADY_BOUND = Duration.ofSeconds(150);

  private static XdsTestbed testbed;

  @BeforeAll
  static void start() {
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
        "grpc-java");
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
  void everyNodeAnswersTheSameResourcesWithTheSameVersions() {
    String cluster = "orders.service.default.roster";
    await("the three nodes answer alike")
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              List<DiscoveryResponse> answers = new ArrayList<>();
              for (NodeProcess node : testbed.cluster.nodes()) {
                try (RawAds<DiscoveryRequest, DiscoveryResponse> ads =
                    RawAds.sotw(node.channel())) {
                  ads.send(
                      RawAds.request(ResourceType.ENDPOINT, "", "", List.of(cluster)).toBuilder()
                          .setNode(RawAds.node("probe", "z1"))
                          .build());
                  answers.add(ads.next(Duration.ofSeconds(10)));
                }
              }
              for (DiscoveryResponse answer : answers) {
                assertEquals(answers.get(0).getVersionInfo(), answer.getVersionInfo());
                assertEquals(answers.get(0).getResourcesList(), answer.getResourcesList());
              }
            });

    // An incremental client that got a version from one node and resumes on another with it is
    // told nothing new: the versions mean the same everywhere.
    String version;
    try (RawAds<DeltaDiscoveryRequest, DeltaDiscoveryResponse> first =
        RawAds.delta(testbed.cluster.node(0).channel())) {
      first.send(subscribe(cluster, Map.of()));
      version = first.next(Duration.ofSeconds(10)).getResources(0).getVersion();
    }
    try (RawAds<DeltaDiscoveryRequest, DeltaDiscoveryResponse> resumed =
        RawAds.delta(testbed.cluster.node(2).channel())) {
      resumed.send(subscribe(cluster, Map.of(cluster, version)));
      assertEquals(null, resumed.poll(Duration.ofSeconds(1)), "nothing the client lacks");
      assertTrue(resumed.isOpen());
    }
  }

  private static DeltaDiscoveryRequest subscribe(String name, Map<String, String> held) {
    return DeltaDiscoveryRequest.newBuilder()
        .setTypeUrl(ResourceType.ENDPOINT.typeUrl())
        .setNode(RawAds.node("probe", "z1"))
        .addResourceNamesSubscribe(name)
        .putAllInitialResourceVersions(held)
        .build();
  }

  @Test
  @Order(6)
  void theClientFollowsTheDeathOfTheNodeItsStreamIsOn() {
    ChildProcess client = steadyClient();
    try (client) {
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> testbed.backends.get("b1").calls.get() > 0);
      NodeProcess serving = testbed.nodeServingTheStream();
      long b1Before = testbed.backends.get("b1").calls.get();

      serving.kill();
      long killed = System.nanoTime();
      HealthBackends.Backend after = testbed.backends.add("after-death");
      testbed.register(after, 10, "z1");

      await("calls go on after " + serving.name() + " died")
          .atMost(Duration.ofSeconds(10))
          .until(() -> testbed.backends.get("b1").calls.get() > b1Before + 20);
      await("the registration made after the death reaches the client")
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> after.calls.get() > 0);
      System.out.printf(
          "grpc-java: %s killed; a registration made then reached the client %d ms later%n",
          serving.name(), XdsTestbed.millis(after.lastCallNanos() - killed));
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
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Djdk.net.hosts.file=" + testbed.hostsFile());
    command.add("-Xmx256m");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(XdsHealthClient.class.getName());
    command.add("--target");
    command.add("xds:///orders");
    command.addAll(args);
    return ChildProcess.start(
        Path.of("").toAbsolutePath(),
        command,
        Map.of("GRPC_XDS_BOOTSTRAP_CONFIG", testbed.javaBootstrap("java-client", "z1")),
        LOGS,
        "java-client");
  }
}
