package io.roster.node.dashboard;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.roster.node.RegistryNode;
import io.roster.node.SingleNode;
import io.roster.node.access.AccessRules;
import io.roster.testing.FreePorts;
import io.roster.testing.Instances;
import io.roster.v1.DeregisterRequest;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.HeartbeatRequest;
import io.roster.v1.InstanceKey;
import io.roster.v1.InstanceStatus;
import io.roster.v1.KeepAliveRequest;
import io.roster.v1.KeepAliveResponse;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import io.roster.v1.SetStatusRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard of real nodes over HTTP ({@code java.net.http}, loopback): its files, its JSON
 * routes and what they tell (leases, rates, recent changes), bad input, access control on a node
 * with an access file and the dashboard on a port of its own, and a node with the dashboard off.
 * Each test uses services of its own.
 */
@Timeout(180)
class DashboardHttpTest {

  private static final java.time.Duration PROPAGATION = java.time.Duration.ofSeconds(20);
  private static final String READER = "reader-token-0123456789abcdef";
  private static final String OPERATOR = "operator-token-0123456789abcdef";

  @TempDir static Path dir;

  private static RegistryNode node;
  private static RegistryNode secured;
  private static RegistryNode off;
  private static ManagedChannel channel;
  private static final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  private final String service = "svc-" + UUID.randomUUID().toString().substring(0, 8);

  @BeforeAll
  static void startNodes() throws IOException {
    node = SingleNode.start("dashboard-test", "--eviction.grace-ms=3000");
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", node.apiPort()).usePlaintext().build();
    Path accessFile = dir.resolve("access");
    Files.writeString(
        accessFile,
        "token "
            + AccessRules.sha256(READER)
            + " reader billing:read\n"
            + "token "
            + AccessRules.sha256(OPERATOR)
            + " operator *:admin\n");
    secured =
        SingleNode.start(
            "dashboard-secured",
            "--security.access-file=" + accessFile,
            "--dashboard.port=" + FreePorts.next());
    off = SingleNode.start("dashboard-off", "--dashboard.enabled=false");
  }

  @AfterAll
  static void stopNodes() {
    if (channel != null) {
      channel.shutdownNow();
    }
    for (RegistryNode started : new RegistryNode[] {node, secured, off}) {
      if (started != null) {
        started.stop();
      }
    }
  }

  @Test
  void pagesComeFromTheJarWithTheirTypesAPolicyOfThisNodeOnlyAndRevalidation() {
    Answer redirect = get(node.apiPort(), "/ui", null);
    assertEquals(301, redirect.status());
    assertEquals("/ui/", redirect.header("location"));

    Answer index = get(node.apiPort(), "/ui/", null);
    assertEquals(200, index.status(), index::toString);
    assertEquals("text/html; charset=utf-8", index.header("content-type"));
    assertTrue(index.body().contains("<script type=\"module\" src=\"app.js\">"), index.body());
    String policy = index.header("content-security-policy");
    assertTrue(policy.contains("default-src 'none'") && policy.contains("connect-src 'self'"));
    assertFalse(policy.contains("unsafe-inline"), policy);
    assertEquals("nosniff", index.header("x-content-type-options"));
    assertEquals("no-cache", index.header("cache-control"));
    Answer unchanged =
        send(
            HttpRequest.newBuilder(uri(node.apiPort(), "/ui/"))
                .header("if-none-match", index.header("etag")));
    assertEquals(304, unchanged.status());

    Pattern external =
        Pattern.compile(
            "(src|href)\\s*=\\s*[\"']?(https?:)?//|url\\(\\s*[\"']?https?:|from\\s+[\"']https?:");
    for (String file : DashboardAssets.FILES) {
      Answer asset = get(node.apiPort(), "/ui/" + file, null);
      assertEquals(200, asset.status(), file);
      assertEquals(DashboardAssets.contentType(file), asset.header("content-type"), file);
      assertFalse(external.matcher(asset.body()).find(), file + " loads from another origin");
    }

    Answer missing = get(node.apiPort(), "/ui/nope.js", null);
    assertEquals(404, missing.status());
    assertEquals("NOT_FOUND", missing.json().getString("code"));
    assertTrue(missing.json().getString("message").contains("no dashboard file /ui/nope.js"));
    Answer posted =
        send(
            HttpRequest.newBuilder(uri(node.apiPort(), "/ui/"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")));
    assertEquals(405, posted.status());
    assertEquals("GET, HEAD", posted.header("allow"));
  }

  @Test
  void clusterRouteShowsTheMemberTheLeaderSinceWhenAndEachNodesRates() {
    for (int i = 0; i < 3; i++) {
      registry().register(Instances.register(Instances.of(service)));
    }
    await("the node publishes a registration rate")
        .atMost(PROPAGATION)
        .untilAsserted(
            () -> {
              JsonObject cluster = ok(node.apiPort(), "/ui/api/cluster", null);
              JsonArray members = cluster.getJsonArray("members");
              assertEquals(1, members.size(), cluster::encode);
              JsonObject member = members.getJsonObject(0);
              assertEquals("dashboard-test", member.getString("name"));
              assertTrue(member.getBoolean("leader") && member.getBoolean("local"));
              JsonObject stats = member.getJsonObject("stats");
              assertNotNull(stats, cluster::encode);
              assertFalse(stats.getBoolean("stale"));
              assertTrue(stats.getJsonObject("totals").getLong("register") >= 3, stats::encode);
              assertTrue(stats.getJsonObject("perSecond").getDouble("register") > 0, stats::encode);
              JsonObject leader = cluster.getJsonObject("leader");
              assertEquals(member.getString("id"), leader.getString("id"));
              assertTrue(leader.getLong("epoch") >= 1);
              long since = leader.getLong("sinceMillis");
              assertTrue(since > 0 && since <= cluster.getLong("now"), cluster::encode);
              assertTrue(cluster.getJsonObject("quorum").getBoolean("hasQuorum"));
              assertTrue(cluster.getJsonObject("counts").getInteger("instances") >= 3);
            });
  }

  @Test
  void everyOperationIsCountedWhateverItsTransport() throws Exception {
    Map<String, Double> before = operationCounts();
    RegisterResponse lease =
        registry()
            .register(
                Instances.register(Instances.of(service)).toBuilder()
                    .setLeaseTtl(Duration.newBuilder().setSeconds(60))
                    .build());
    JsonObject overHttp =
        new JsonObject()
            .put(
                "instance",
                new JsonObject()
                    .put("service", service)
                    .put("instanceId", "http-1")
                    .put("host", "127.0.0.1")
                    .put("port", 9000));
    assertEquals(200, post(node.apiPort(), "/v1/register", overHttp, null).status());
    registry().heartbeat(HeartbeatRequest.newBuilder().setLeaseId(lease.getLeaseId()).build());
    keepAlive(lease.getLeaseId(), 3);
    DiscoveryServiceGrpc.newBlockingStub(channel)
        .discover(DiscoverRequest.newBuilder().setService(service).build());
    assertEquals(200, get(node.apiPort(), "/v1/discover?service=" + service, null).status());
    registry()
        .setStatus(
            SetStatusRequest.newBuilder()
                .setLeaseId(lease.getLeaseId())
                .setStatus(InstanceStatus.INSTANCE_STATUS_DRAINING)
                .build());
    registry().deregister(DeregisterRequest.newBuilder().setLeaseId(lease.getLeaseId()).build());

    Map<String, Double> after = operationCounts();
    assertEquals(2, after.get("register") - before.get("register"), after::toString);
    assertEquals(4, after.get("heartbeat") - before.get("heartbeat"), after::toString);
    assertEquals(2, after.get("discover") - before.get("discover"), after::toString);
    assertEquals(1, after.get("set_status") - before.get("set_status"), after::toString);
    assertEquals(1, after.get("deregister") - before.get("deregister"), after::toString);
  }

  @Test
  void servicesRouteCountsTheInstancesOfEachServiceByHealthAndStatus() {
    String namespace = "ns-" + UUID.randomUUID().toString().substring(0, 8);
    RegisterResponse up = register(namespace, service, "up", 60);
    register(namespace, service, "drained", 60);
    register(namespace, service, "silent", 1);
    register(namespace, "other-" + service, "lone", 60);
    registry()
        .setStatus(
            SetStatusRequest.newBuilder()
                .setKey(key(namespace, service, "drained"))
                .setStatus(InstanceStatus.INSTANCE_STATUS_DRAINING)
                .build());
    assertTrue(up.getEpoch() > 0);

    await("the silent instance is declared expired")
        .atMost(PROPAGATION)
        .untilAsserted(
            () -> {
              JsonObject answer =
                  ok(node.apiPort(), "/ui/api/services?namespace=" + namespace, null);
              assertEquals(namespace, answer.getString("namespace"));
              assertTrue(answer.getJsonArray("namespaces").contains(namespace), answer::encode);
              JsonArray services = answer.getJsonArray("services");
              // In name order: "other-svc-..." first.
              assertEquals(2, services.size(), answer::encode);
              JsonObject counted = services.getJsonObject(1);
              assertEquals(service, counted.getString("service"));
              assertEquals(3, counted.getInteger("instances"));
              assertEquals(2, counted.getInteger("healthy"), counted::encode);
              assertEquals(1, counted.getInteger("unhealthy"));
              assertEquals(1, counted.getInteger("draining"));
              assertEquals(0, counted.getInteger("outOfService"));
              assertEquals(2, counted.getInteger("serving"));
              assertTrue(counted.getLong("revision") >= 5);
            });
  }

  @Test
  void serviceRouteGivesEachInstanceItsLeaseConditionsAndShareOfNewWork() {
    registry()
        .register(
            RegisterRequest.newBuilder()
                .setInstance(
                    Instances.of(service)
                        .setInstanceId("light")
                        .setWeight(100)
                        .setZone("eu-1a")
                        .setVersion("1.2.3")
                        .putMetadata("team", "payments"))
                .setLeaseTtl(Duration.newBuilder().setSeconds(30))
                .build());
    register("default", service, "heavy", 30, 300);

    await()
        .atMost(PROPAGATION)
        .untilAsserted(
            () -> {
              JsonObject answer =
                  ok(node.apiPort(), "/ui/api/service?namespace=default&service=" + service, null);
              long now = answer.getLong("now");
              JsonArray instances = answer.getJsonArray("instances");
              assertEquals(2, instances.size(), answer::encode);
              JsonObject heavy = instances.getJsonObject(0);
              JsonObject light = instances.getJsonObject(1);
              assertEquals("heavy", heavy.getString("id"));
              assertEquals(0.75, heavy.getDouble("share"), 1e-9);
              assertEquals(0.25, light.getDouble("share"), 1e-9);
              assertEquals("eu-1a", light.getString("zone"));
              assertEquals("1.2.3", light.getString("version"));
              assertEquals("payments", light.getJsonObject("metadata").getString("team"));
              assertEquals("UP", light.getString("status"));
              JsonObject condition = light.getJsonArray("conditions").getJsonObject(0);
              assertEquals("lease", condition.getString("type"));
              assertEquals("HeartbeatsOk", condition.getString("reason"));
              assertTrue(condition.getLong("sinceMillis") <= now);
              JsonObject lease = light.getJsonObject("lease");
              assertEquals(30_000, lease.getLong("ttlMillis"));
              long left = lease.getLong("expiresAtMillis") - now;
              assertTrue(left > 0 && left <= 30_000, lease::encode);
              assertEquals(
                  lease.getLong("expiresAtMillis") - 30_000, lease.getLong("renewedAtMillis"));
              assertFalse(lease.getBoolean("declaredExpired"));
              assertEquals(2, answer.getLong("revision"));
              assertFalse(answer.getString("incarnation").isEmpty());
            });

    JsonObject none = ok(node.apiPort(), "/ui/api/service?service=never-" + service, null);
    assertEquals(0, none.getJsonArray("instances").size());
    assertEquals(0, none.getLong("revision"));
  }

  @Test
  void recentChangesTellRegisteredDrainedDeclaredExpiredRevivedAndRemoved() {
    RegisterResponse lease = register("default", service, "a", 2);
    registry()
        .setStatus(
            SetStatusRequest.newBuilder()
                .setKey(key("default", service, "a"))
                .setStatus(InstanceStatus.INSTANCE_STATUS_DRAINING)
                .build());
    await("a is declared expired").atMost(PROPAGATION).until(() -> kinds("a").size() == 3);
    // Within the 3 s grace: the heartbeat revives it; then it leaves.
    registry().heartbeat(HeartbeatRequest.newBuilder().setLeaseId(lease.getLeaseId()).build());
    await("a is revived").atMost(PROPAGATION).until(() -> kinds("a").size() == 4);
    registry().deregister(DeregisterRequest.newBuilder().setLeaseId(lease.getLeaseId()).build());
    register("default", service, "b", 1);

    await("b is removed after the grace")
        .atMost(PROPAGATION)
        .untilAsserted(
            () ->
                assertEquals(
                    List.of("REMOVED", "DECLARED_EXPIRED", "REGISTERED"),
                    kinds("b").stream().map(change -> change.getString("kind")).toList()));
    assertEquals(
        List.of("REMOVED", "REVIVED", "DECLARED_EXPIRED", "DRAINED", "REGISTERED"),
        kinds("a").stream().map(change -> change.getString("kind")).toList());
    assertEquals("deregistered", kinds("a").get(0).getString("detail"));
    assertEquals("UP → DRAINING", kinds("a").get(3).getString("detail"));
    assertEquals("removed after its lease expired", kinds("b").get(0).getString("detail"));
    List<JsonObject> all = changes();
    for (int i = 1; i < all.size(); i++) {
      assertTrue(
          all.get(i - 1).getLong("revision") > all.get(i).getLong("revision"), "newest first");
    }
  }

  @Test
  void badInputIsRefusedWith400SayingWhatIsWrong() {
    assertRefused("/ui/api/services?namespace=Bad_NS", 400, "namespace: must be 1-63 lower-case");
    assertRefused("/ui/api/service?namespace=default", 400, "service: is required");
    assertRefused("/ui/api/service?service=-x", 400, "service: must be 1-128");
    assertRefused(
        "/ui/api/services?color=red",
        400,
        "unknown query parameter \"color\": /ui/api/services takes [namespace]");
    assertRefused("/ui/api/services?namespace=a&namespace=b", 400, "given more than once");
    assertRefused("/ui/api/services?namespace=%e9", 400, "is not UTF-8");
    assertRefused("/ui/api/cluster?x=1", 400, "/ui/api/cluster takes none");
    assertRefused("/ui/api/nope", 404, "no dashboard route /ui/api/nope; the routes are");
    Answer posted =
        send(
            HttpRequest.newBuilder(uri(node.apiPort(), "/ui/api/cluster"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")));
    assertEquals(405, posted.status());
  }

  @Test
  void aNodeThatChecksCallersAsksTheDashboardForATokenAndHonoursRoles() {
    int port = secured.dashboardPort();
    assertTrue(port != secured.apiPort());
    assertEquals(404, get(secured.apiPort(), "/ui/", null).status(), "only on its own port");
    assertEquals(200, get(port, "/ui/", null).status(), "the files hold no data");

    Answer anonymous = get(port, "/ui/api/cluster", null);
    assertEquals(401, anonymous.status());
    assertEquals("UNAUTHENTICATED", anonymous.json().getString("code"));
    assertTrue(anonymous.json().getString("message").contains("no credential"));
    assertEquals(401, get(port, "/ui/api/whoami", "made-up").status());

    JsonObject reader = ok(port, "/ui/api/whoami", READER);
    assertEquals("reader", reader.getString("principal"));
    assertTrue(reader.getBoolean("accessControl"));
    assertEquals(
        new JsonObject().put("billing", new JsonArray().add("read")),
        reader.getJsonObject("roles"));
    assertEquals(
        new JsonObject().put("*", new JsonArray().add("admin")),
        ok(port, "/ui/api/whoami", OPERATOR).getJsonObject("roles"));

    ok(port, "/ui/api/cluster", READER);
    assertEquals(
        List.of("billing"),
        ok(port, "/ui/api/services?namespace=billing", READER)
            .getJsonArray("namespaces")
            .getList());
    Answer elsewhere = get(port, "/ui/api/services?namespace=default", READER);
    assertEquals(403, elsewhere.status());
    assertTrue(
        elsewhere.json().getString("message").contains("that needs the role read"),
        elsewhere::toString);
    assertEquals(403, get(port, "/ui/api/service?namespace=default&service=x", READER).status());

    // The page's actions: the API's own route, on the dashboard's port, with its refusals.
    JsonObject drain =
        new JsonObject()
            .put(
                "key",
                new JsonObject()
                    .put("namespace", "billing")
                    .put("service", "invoices")
                    .put("instanceId", "i-1"))
            .put("status", "INSTANCE_STATUS_DRAINING");
    Answer refused = post(port, "/v1/set-status", drain, READER);
    assertEquals(403, refused.status());
    assertTrue(
        refused.json().getString("message").contains("needs the role admin"), refused::toString);
    Answer missing = post(port, "/v1/set-status", drain, OPERATOR);
    assertEquals(404, missing.status(), missing::toString);
    assertTrue(missing.json().getString("message").contains("no instance invoices/i-1"));
  }

  @Test
  void aDisabledDashboardIsNotServed() {
    for (String path : List.of("/ui", "/ui/", "/ui/app.js", "/ui/api/cluster")) {
      Answer answer = get(off.apiPort(), path, null);
      assertEquals(404, answer.status(), path);
      assertEquals("NOT_FOUND", answer.json().getString("code"));
    }
    assertTrue(
        get(off.apiPort(), "/metrics", null)
            .body()
            .contains("roster_operations_total{operation=\"register\"}"));
  }

  // --- helpers

  private RegistryServiceGrpc.RegistryServiceBlockingStub registry() {
    return RegistryServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private RegisterResponse register(String namespace, String name, String id, long ttlSeconds) {
    return register(namespace, name, id, ttlSeconds, 100);
  }

  private RegisterResponse register(
      String namespace, String name, String id, long ttlSeconds, int weight) {
    return registry()
        .register(
            RegisterRequest.newBuilder()
                .setInstance(
                    Instances.of(name).setNamespace(namespace).setInstanceId(id).setWeight(weight))
                .setLeaseTtl(Duration.newBuilder().setSeconds(ttlSeconds))
                .build());
  }

  private static InstanceKey key(String namespace, String name, String id) {
    return InstanceKey.newBuilder()
        .setNamespace(namespace)
        .setService(name)
        .setInstanceId(id)
        .build();
  }

  /** Sends {@code heartbeats} heartbeats on one KeepAlive stream and waits for their answers. */
  private void keepAlive(String leaseId, int heartbeats) throws InterruptedException {
    CountDownLatch answered = new CountDownLatch(heartbeats);
    StreamObserver<KeepAliveRequest> stream =
        RegistryServiceGrpc.newStub(channel)
            .keepAlive(
                new StreamObserver<>() {
                  @Override
                  public void onNext(KeepAliveResponse value) {
                    answered.countDown();
                  }

                  @Override
                  public void onError(Throwable t) {}

                  @Override
                  public void onCompleted() {}
                });
    for (int i = 0; i < heartbeats; i++) {
      stream.onNext(KeepAliveRequest.newBuilder().setLeaseId(leaseId).build());
    }
    assertTrue(answered.await(10, TimeUnit.SECONDS), "KeepAlive answered every heartbeat");
    stream.onCompleted();
  }

  private List<JsonObject> changes() {
    JsonArray changes =
        ok(node.apiPort(), "/ui/api/service?namespace=default&service=" + service, null)
            .getJsonArray("changes");
    List<JsonObject> all = new ArrayList<>();
    for (int i = 0; i < changes.size(); i++) {
      all.add(changes.getJsonObject(i));
    }
    return all;
  }

  /** The recent changes of one instance, newest first. */
  private List<JsonObject> kinds(String instanceId) {
    return changes().stream()
        .filter(change -> change.getString("instanceId").equals(instanceId))
        .toList();
  }

  private static Map<String, Double> operationCounts() {
    String metrics = get(node.apiPort(), "/metrics", null).body();
    Map<String, Double> counts = new java.util.HashMap<>();
    Matcher line =
        Pattern.compile("roster_operations_total\\{operation=\"(\\w+)\"[^}]*} (\\S+)")
            .matcher(metrics);
    while (line.find()) {
      counts.put(line.group(1), Double.parseDouble(line.group(2)));
    }
    assertEquals(5, counts.size(), metrics);
    return counts;
  }

  private static void assertRefused(String path, int status, String message) {
    Answer answer = get(node.apiPort(), path, null);
    assertEquals(status, answer.status(), answer::toString);
    assertTrue(answer.json().getString("message").contains(message), answer::toString);
  }

  private static JsonObject ok(int port, String path, String token) {
    Answer answer = get(port, path, token);
    assertEquals(200, answer.status(), answer::toString);
    assertEquals("no-store", answer.header("cache-control"));
    return answer.json();
  }

  private static Answer get(int port, String path, String token) {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri(port, path));
    if (token != null) {
      request.header("authorization", "Bearer " + token);
    }
    return send(request);
  }

  private static Answer post(int port, String path, JsonObject body, String token) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri(port, path))
            .POST(HttpRequest.BodyPublishers.ofString(body.encode()));
    if (token != null) {
      request.header("authorization", "Bearer " + token);
    }
    return send(request);
  }

  private static URI uri(int port, String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  private static Answer send(HttpRequest.Builder request) {
    try {
      HttpResponse<String> response =
          http.send(
              request.timeout(java.time.Duration.ofSeconds(30)).build(),
              HttpResponse.BodyHandlers.ofString());
      return new Answer(response.statusCode(), response.headers().map(), response.body());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private record Answer(int status, Map<String, List<String>> headers, String body) {
    String header(String name) {
      List<String> values = headers.get(name);
      return values == null ? null : values.get(0);
    }

    JsonObject json() {
      return new JsonObject(body);
    }
  }
}
