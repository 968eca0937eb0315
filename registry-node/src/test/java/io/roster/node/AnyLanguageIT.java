package io.roster.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.roster.node.http.HttpExamples;
import io.roster.node.http.JsonHttp;
import io.roster.node.http.NodeExamples;
import io.roster.node.http.NodeScript;
import io.roster.node.http.Repository;
import io.roster.testing.NodeProcess;
import io.roster.testing.RosterCluster;
import io.roster.v1.ChangeType;
import io.roster.v1.ClusterStatusResponse;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.DiscoverResponse;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.HealthState;
import io.roster.v1.Instance;
import io.roster.v1.ListServicesResponse;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import io.roster.v1.WatchResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * "Query endpoints from any language", proven on three real node processes: the Node.js client of
 * docs/examples/node (only the .proto files and @grpc/grpc-js) and plain HTTP/JSON ({@code
 * java.net.http}) find what Java registered, and Java finds what Node.js registered and keeps
 * alive. Every command and request run here is one docs/api.md shows ({@link NodeExamples}, {@link
 * HttpExamples}). The tests run in order: the last one stops a node.
 *
 * <p>Needs {@code node} and {@code npm} (the README's apt line installs them) and the npm registry
 * for {@code npm ci}; skips, saying so, only when node or npm is missing.
 */
@Timeout(600)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AnyLanguageIT {

  private static final Duration PROPAGATION = Duration.ofSeconds(30);
  private static final Duration SCRIPT_BOUND = Duration.ofSeconds(60);
  private static final Duration NPM_CI_BOUND = Duration.ofMinutes(5);

  /** The Java-registered instance; zone and metadata match the documented discover examples. */
  private static final Instance JAVA_INSTANCE =
      Instance.newBuilder()
          .setService("orders")
          .setInstanceId("java-1")
          .setHost("10.0.0.9")
          .setPort(8080)
          .setZone("eu-1a")
          .putMetadata("team", "payments")
          .build();

  private static RosterCluster cluster;
  private static final Path LOGS = Path.of("target", "any-language").toAbsolutePath();
  private static final List<NodeScript> scripts = new ArrayList<>();
  private final JsonHttp http = new JsonHttp();

  @BeforeAll
  static void startClusterAndInstallTheNodeClient() {
    assumeTrue(
        NodeScript.toolsPresent(),
        "skipped: node and npm are not installed; on Debian or Ubuntu:"
            + " sudo apt-get install -y nodejs npm");
    long started = System.nanoTime();
    NodeScript.npmCi(Repository.nodeExample(), LOGS, NPM_CI_BOUND);
    System.out.printf("npm ci took %d ms%n", millisSince(started));
    started = System.nanoTime();
    cluster = RosterCluster.start(3);
    System.out.printf("three nodes formed a cluster in %d ms%n", millisSince(started));
  }

  @AfterAll
  static void stopEverything() {
    scripts.forEach(NodeScript::close);
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Order(1)
  void javaRegisteredInstanceIsDiscoveredFromNodeJsAndOverHttpJson() {
    long started = System.nanoTime();
    RegistryServiceGrpc.newBlockingStub(node(0).channel())
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .register(
            RegisterRequest.newBuilder()
                .setInstance(JAVA_INSTANCE)
                .setLeaseTtl(com.google.protobuf.Duration.newBuilder().setSeconds(600))
                .build());

    // Node.js, through node 2, with only the .proto files.
    await("discover.js on node2 lists java-1")
        .atMost(PROPAGATION)
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(
            () -> {
              JsonObject found = new JsonObject(runNode(NodeExamples.DISCOVER, node(1)));
              assertEquals(List.of("java-1"), instanceIds(found.getJsonArray("instances")));
              JsonObject instance = found.getJsonArray("instances").getJsonObject(0);
              assertEquals("10.0.0.9", instance.getString("host"));
              assertEquals(8080, instance.getInteger("port"));
              assertEquals("HEALTH_STATE_HEALTHY", instance.getString("health"));
            });
    System.out.printf(
        "Node.js found the Java-registered instance after %d ms%n", millisSince(started));

    // HTTP/JSON, through node 3: the documented GET and POST discover.
    await("HTTP discover on node3 lists java-1")
        .atMost(PROPAGATION)
        .untilAsserted(
            () -> {
              for (HttpExamples.Example example :
                  List.of(HttpExamples.DISCOVER_GET, HttpExamples.DISCOVER_POST)) {
                JsonHttp.Answer answer = http.send(url(node(2)), example);
                assertEquals(200, answer.status(), answer::toString);
                DiscoverResponse found = answer.as(DiscoverResponse.getDefaultInstance());
                assertEquals(1, found.getInstancesCount(), found::toString);
                assertEquals(JAVA_INSTANCE.getHost(), found.getInstances(0).getHost());
                assertEquals(
                    JAVA_INSTANCE.getMetadataMap(), found.getInstances(0).getMetadataMap());
              }
            });
  }

  @Test
  @Order(2)
  void everyDocumentedHttpExampleAnswersOnTheClusterAndTheWatchStreamsEachChange() {
    try (JsonHttp.Lines watch = http.stream(url(node(1)), HttpExamples.WATCH)) {
      assertEquals(200, watch.status());
      assertEquals("application/x-ndjson", watch.contentType());
      WatchResponse snapshot = watch.next(PROPAGATION);
      assertEquals(List.of("java-1"), ids(snapshot.getSnapshot().getInstancesList()));

      JsonHttp.Answer registered = http.send(url(node(0)), HttpExamples.REGISTER);
      assertEquals(200, registered.status());
      assertChange(watch, ChangeType.CHANGE_TYPE_ADDED, "orders-1");
      String leaseId = registered.as(RegisterResponse.getDefaultInstance()).getLeaseId();
      assertEquals(
          200, http.send(url(node(1)), HttpExamples.HEARTBEAT.with("LEASE_ID", leaseId)).status());
      assertEquals(200, http.send(url(node(2)), HttpExamples.SET_STATUS).status());
      assertChange(watch, ChangeType.CHANGE_TYPE_STATUS_CHANGED, "orders-1");

      ListServicesResponse services =
          ok(node(0), HttpExamples.LIST_SERVICES).as(ListServicesResponse.getDefaultInstance());
      assertEquals("orders", services.getServices(0).getService());
      ClusterStatusResponse status =
          ok(node(1), HttpExamples.CLUSTER_STATUS).as(ClusterStatusResponse.getDefaultInstance());
      assertEquals(3, status.getMembersCount());
      assertEquals(cluster.clusterName(), status.getClusterName());

      JsonHttp.Answer badPort = http.send(url(node(2)), HttpExamples.REGISTER_BAD_PORT);
      assertEquals(400, badPort.status());
      assertEquals("INVALID_ARGUMENT", badPort.errorCode());
      JsonHttp.Answer unknownLease = http.send(url(node(2)), HttpExamples.HEARTBEAT_UNKNOWN_LEASE);
      assertEquals(404, unknownLease.status());
      assertEquals("NOT_FOUND", unknownLease.errorCode());

      assertEquals(200, http.send(url(node(0)), HttpExamples.DEREGISTER).status());
      assertChange(watch, ChangeType.CHANGE_TYPE_REMOVED, "orders-1");
    }
  }

  @Test
  @Order(3)
  void everyDocumentedNodeJsCallAnswersOnTheCluster() {
    JsonObject registered = new JsonObject(runNode(NodeExamples.CALL_REGISTER, node(0)));
    String leaseId = registered.getString("leaseId");
    assertTrue(leaseId.startsWith("default/orders/orders-2/"), leaseId);
    JsonObject renewed =
        new JsonObject(
            runNode(NodeExamples.with(NodeExamples.CALL_HEARTBEAT, "LEASE_ID", leaseId), node(1)));
    assertEquals(registered.getString("epoch"), renewed.getString("epoch"));
    runNode(NodeExamples.CALL_SET_STATUS, node(2));
    await("call.js Discover lists orders-2 out of service")
        .atMost(PROPAGATION)
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(
            () -> {
              JsonArray instances =
                  new JsonObject(runNode(NodeExamples.CALL_DISCOVER, node(1)))
                      .getJsonArray("instances");
              assertEquals(List.of("java-1", "orders-2"), instanceIds(instances));
              assertEquals(
                  "INSTANCE_STATUS_OUT_OF_SERVICE", instances.getJsonObject(1).getString("status"));
            });
    JsonObject services = new JsonObject(runNode(NodeExamples.CALL_LIST_SERVICES, node(2)));
    assertEquals("orders", services.getJsonArray("services").getJsonObject(0).getString("service"));
    JsonObject status = new JsonObject(runNode(NodeExamples.CALL_CLUSTER_STATUS, node(0)));
    assertEquals(3, status.getJsonArray("members").size());

    try (NodeScript watch = startNode(NodeExamples.CALL_WATCH, node(0))) {
      await("call.js Watch prints a snapshot line")
          .atMost(PROPAGATION)
          .failFast("call.js Watch exited: " + watch.command(), () -> !watch.isAlive())
          .until(() -> !watch.lines().isEmpty());
      JsonObject snapshot = new JsonObject(watch.lines().get(0));
      assertEquals("snapshot", snapshot.getString("event"));
      assertEquals(2, snapshot.getJsonObject("snapshot").getJsonArray("instances").size());
      assertEquals(0, watch.terminate(Duration.ofSeconds(10)), watch.stderr());
    }

    runNode(NodeExamples.CALL_DEREGISTER, node(1));
    await()
        .atMost(PROPAGATION)
        .until(() -> ids(discover(node(2), "orders")).equals(List.of("java-1")));
  }

  /**
   * grpc-js shows grpc-message as it arrives: the node must percent-encode it only where the gRPC
   * spec says, or ':' and '/' reach the caller as %3A and %2F.
   */
  @Test
  @Order(3)
  void nodeJsSeesStatusMessagesAsWritten() {
    try (NodeScript script =
        startNode(
            List.of(
                "call.js",
                "RegistryService/Heartbeat",
                "{\"leaseId\": \"default/orders/none-such/1.AAAAAAAAAAAAAAAAAAAAAA\"}"),
            node(0))) {
      assertEquals(1, script.awaitExit(SCRIPT_BOUND), script.stderr());
      JsonObject error = new JsonObject(script.stderr().trim());
      assertEquals("NOT_FOUND", error.getString("name"));
      assertEquals(
          "unknown lease \"default/orders/none-such/1.AAAAAAAAAAAAAAAAAAAAAA\": register again",
          error.getString("message"));
    }
  }

  @Test
  @Order(4)
  void nodeJsRegisteredInstanceIsDiscoveredFromJavaAndKeptAliveUntilItLeaves() {
    long started = System.nanoTime();
    NodeScript register = startNode(NodeExamples.REGISTER, node(0), node(1), node(2));
    awaitLine(register, "\"event\":\"alive\"");
    await("Java on node3 finds the Node.js-registered instance")
        .atMost(PROPAGATION)
        .untilAsserted(
            () -> assertEquals(List.of("127.0.0.1:9090"), ids(discover(node(2), "payments"))));
    System.out.printf(
        "Java found the Node.js-registered instance after %d ms%n", millisSince(started));

    // Its lease is 3 s: still healthy well past two leases means KeepAlive renews it.
    await("the instance stays healthy past two 3 s leases")
        .during(Duration.ofSeconds(7))
        .atMost(Duration.ofSeconds(20))
        .until(() -> healthy(discover(node(2), "payments")));

    assertEquals(0, register.terminate(Duration.ofSeconds(20)), register.stderr());
    assertTrue(register.stdout().contains("\"event\":\"deregistered\""), register.stdout());
    await().atMost(PROPAGATION).until(() -> discover(node(2), "payments").isEmpty());
  }

  @Test
  @Order(5)
  void openApiDescriptionIsValidAndListsExactlyTheRoutesTheNodesServe() {
    String checked = runNode(List.of("check-openapi.js", "../../openapi.yaml"), node(0));
    String notFound = http.send("GET", url(node(0)) + "/v1/nope", null).errorMessage();
    List<String> served =
        List.of(notFound.substring(notFound.indexOf("the routes are ") + 15).split(", "));
    assertEquals(served, checked.lines().toList());
  }

  @Test
  @Order(6)
  void whenANodeLeavesItsHttpWatchEndsAndNodeJsKeepAliveMovesToAnotherNode() {
    // KeepAlive starts on node 2, the node that leaves.
    NodeScript register = startNode(NodeExamples.REGISTER, node(1), node(2), node(0));
    awaitLine(register, "\"event\":\"alive\"");
    try (JsonHttp.Lines watch = http.stream(url(node(1)), HttpExamples.WATCH)) {
      watch.next(PROPAGATION);
      long stopping = System.nanoTime();
      node(1).stop();
      assertTrue(watch.awaitEnd(PROPAGATION).isEmpty(), "the stream broke instead of ending");
      System.out.printf(
          "the HTTP watch ended %d ms after node2 was told to stop%n", millisSince(stopping));
    }
    await("register.js reconnects to node3 and is renewed there")
        .atMost(PROPAGATION)
        .until(
            () ->
                register.lines().stream()
                    .anyMatch(
                        line ->
                            line.contains("\"event\":\"alive\"")
                                && line.contains(node(2).apiAddress())));
    await("the instance stays healthy across the move")
        .during(Duration.ofSeconds(7))
        .atMost(Duration.ofSeconds(20))
        .until(() -> healthy(discover(node(2), "payments")));
    assertEquals(0, register.terminate(Duration.ofSeconds(20)), register.stderr());
  }

  /**
   * Every node dies at once and the registry starts again, empty, in a new incarnation; the same
   * service gets other instances and reaches the very revision watchers hold. A Watch resumed over
   * gRPC or HTTP with that revision and its incarnation, and the Node.js watcher, end up with
   * exactly the new instances. Before incarnations, a resume from that revision was answered with
   * nothing: watchers kept the dead instances as live for good.
   */
  @Test
  @Order(7)
  void afterEveryNodeRestartsWatchersHoldExactlyTheNewInstances() {
    String service = "restarted";
    for (String id : List.of("old-1", "old-2", "old-3")) {
      registerForAnHour(node(0), service, id);
    }
    DiscoverResponse before = discoverAnswer(node(0), service);
    NodeScript watcher =
        startNode(List.of("watch.js", "--service", service), node(0), node(2), node(1));
    awaitLine(watcher, "\"instances\":[\"old-1\",\"old-2\",\"old-3\"]");

    for (NodeProcess node : cluster.nodes()) {
      if (node.isAlive()) {
        node.kill();
      }
    }
    cluster.nodes().forEach(NodeProcess::start);
    cluster.awaitFormed(3);
    for (String id : List.of("new-1", "new-2", "new-3")) {
      registerForAnHour(node(1), service, id);
    }
    // Written through node2; node3's view follows within milliseconds, not at once.
    DiscoverResponse after =
        await("node3 sees the three new instances")
            .atMost(PROPAGATION)
            .until(
                () -> discoverAnswer(node(2), service), answer -> answer.getInstancesCount() == 3);
    assertEquals(before.getRevision(), after.getRevision(), "the same revision, other instances");
    assertTrue(
        Long.compareUnsigned(after.getIncarnation(), before.getIncarnation()) > 0,
        "a later incarnation: " + before.getIncarnation() + " then " + after.getIncarnation());

    String resume =
        String.format(
            "{\"targets\": [{\"service\": \"%s\", \"fromRevision\": \"%d\","
                + " \"incarnation\": \"%s\"}]}",
            service, before.getRevision(), Long.toUnsignedString(before.getIncarnation()));
    try (JsonHttp.Lines watch =
        http.stream(url(node(0)), new HttpExamples.Example("/v1/watch", resume, true))) {
      WatchResponse first = watch.next(PROPAGATION);
      assertTrue(first.hasSnapshot() && first.getSnapshot().getReset(), first::toString);
      assertEquals(List.of("new-1", "new-2", "new-3"), ids(first.getSnapshot().getInstancesList()));
      assertEquals(after.getIncarnation(), first.getIncarnation());
    }
    await("the Node.js watcher holds exactly the new instances")
        .atMost(PROPAGATION.multipliedBy(2))
        .failFast(watcher.command() + " exited: " + watcher.stderr(), () -> !watcher.isAlive())
        .until(
            () -> {
              List<String> lines = watcher.lines();
              String last = lines.isEmpty() ? "" : lines.get(lines.size() - 1);
              return last.contains("\"instances\":[\"new-1\",\"new-2\",\"new-3\"]")
                  && last.contains(Long.toUnsignedString(after.getIncarnation()));
            });
    assertEquals(0, watcher.terminate(SCRIPT_BOUND), watcher.stderr());
  }

  private static void registerForAnHour(NodeProcess node, String service, String id) {
    RegistryServiceGrpc.newBlockingStub(node.channel())
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .register(
            RegisterRequest.newBuilder()
                .setInstance(
                    Instance.newBuilder()
                        .setService(service)
                        .setInstanceId(id)
                        .setHost("10.0.0.9")
                        .setPort(8080))
                .setLeaseTtl(com.google.protobuf.Duration.newBuilder().setSeconds(3600))
                .build());
  }

  private static DiscoverResponse discoverAnswer(NodeProcess node, String service) {
    return DiscoveryServiceGrpc.newBlockingStub(node.channel())
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .discover(DiscoverRequest.newBuilder().setService(service).build());
  }

  private static NodeProcess node(int index) {
    return cluster.node(index);
  }

  private static String url(NodeProcess node) {
    return "http://" + node.apiAddress();
  }

  private JsonHttp.Answer ok(NodeProcess node, HttpExamples.Example example) {
    JsonHttp.Answer answer = http.send(url(node), example);
    assertEquals(200, answer.status(), () -> example.curl(url(node)) + " answered " + answer);
    return answer;
  }

  /** Runs a documented Node.js command to its end against {@code targets}; returns stdout. */
  private static String runNode(List<String> command, NodeProcess... targets) {
    try (NodeScript script = startNode(command, targets)) {
      return script.awaitSuccess(SCRIPT_BOUND);
    }
  }

  private static NodeScript startNode(List<String> command, NodeProcess... targets) {
    String addresses =
        List.of(targets).stream().map(NodeProcess::apiAddress).collect(Collectors.joining(","));
    NodeScript script =
        NodeScript.node(
            Repository.nodeExample(), command, Map.of("ROSTER_TARGETS", addresses), LOGS);
    scripts.add(script);
    return script;
  }

  private static void awaitLine(NodeScript script, String fragment) {
    await(script.command() + " prints " + fragment)
        .atMost(PROPAGATION)
        .failFast(script.command() + " exited: " + script.stderr(), () -> !script.isAlive())
        .until(() -> script.lines().stream().anyMatch(line -> line.contains(fragment)));
  }

  private static void assertChange(JsonHttp.Lines watch, ChangeType type, String instanceId) {
    WatchResponse message = watch.next(PROPAGATION);
    assertTrue(message.hasChanges(), message::toString);
    assertEquals(type, message.getChanges().getChanges(0).getType(), message::toString);
    assertEquals(instanceId, message.getChanges().getChanges(0).getInstance().getInstanceId());
  }

  private static List<Instance> discover(NodeProcess node, String service) {
    return DiscoveryServiceGrpc.newBlockingStub(node.channel())
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .discover(
            DiscoverRequest.newBuilder().setService(service).setIncludeUnhealthy(true).build())
        .getInstancesList();
  }

  private static boolean healthy(List<Instance> instances) {
    return instances.size() == 1
        && instances.get(0).getHealth() == HealthState.HEALTH_STATE_HEALTHY;
  }

  private static List<String> ids(List<Instance> instances) {
    return instances.stream().map(Instance::getInstanceId).toList();
  }

  private static List<String> instanceIds(JsonArray instances) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < instances.size(); i++) {
      ids.add(instances.getJsonObject(i).getString("instanceId"));
    }
    return ids;
  }

  private static long millisSince(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
  }
}
