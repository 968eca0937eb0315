package io.roster.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.protobuf.Duration;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.roster.node.access.AccessRules;
import io.roster.node.http.BrowserDriver;
import io.roster.node.http.NodeScript;
import io.roster.node.http.Repository;
import io.roster.testing.NodeProcess;
import io.roster.testing.RosterCluster;
import io.roster.v1.ClusterMember;
import io.roster.v1.ClusterServiceGrpc;
import io.roster.v1.ClusterStatusRequest;
import io.roster.v1.ClusterStatusResponse;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.HeartbeatRequest;
import io.roster.v1.Instance;
import io.roster.v1.InstanceStatus;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import io.roster.v1.SetStatusRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The dashboard in a real browser (Debian's Chromium, headless, driven by playwright-core) against
 * three real node processes: the cluster page shows the three members and the leader, an instance
 * registered through gRPC on another node appears on the service page within 1 s without a reload,
 * one drained from the page (with its confirmation) shows as draining, one whose heartbeats never
 * come turns unhealthy, and the browser logs no error. It saves a screenshot of each page into
 * target/dashboard-it; with {@code -Droster.screenshots.update=true} into docs/images, which
 * docs/operations.md shows (so an ordinary test run leaves the work tree as it found it).
 *
 * <p>Needs node and npm (for {@code npm ci} of playwright-core, as AnyLanguageIT) and Chromium at
 * /usr/bin/chromium; skips, saying so, only when one is missing.
 */
@Timeout(600)
class DashboardIT {

  private static final java.time.Duration STEP = java.time.Duration.ofSeconds(30);
  private static final java.time.Duration NPM_CI_BOUND = java.time.Duration.ofMinutes(5);
  private static final Path LOGS = Path.of("target", "dashboard-it").toAbsolutePath();

  private static final String READER = "reader-token-0123456789abcdef";
  private static final String OPERATOR = "operator-token-0123456789abcdef";

  private static RosterCluster cluster;
  private static BrowserDriver browser;
  private static final ScheduledExecutorService traffic = Executors.newScheduledThreadPool(2);
  private static final List<RegisterResponse> alive = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void startClusterAndBrowser() {
    assumeTrue(
        NodeScript.toolsPresent(),
        "skipped: node and npm are not installed; on Debian or Ubuntu:"
            + " sudo apt-get install -y nodejs npm");
    assumeTrue(
        BrowserDriver.chromiumPresent(),
        "skipped: Chromium is not installed at "
            + BrowserDriver.CHROMIUM
            + "; on Debian: sudo apt-get install -y chromium");
    Path driver = Repository.root().resolve("registry-node/src/test/browser");
    NodeScript.npmCi(driver, LOGS, NPM_CI_BOUND);
    cluster = RosterCluster.start(3, "--eviction.grace-ms=60000");
    browser = BrowserDriver.start(driver, LOGS);
  }

  @AfterAll
  static void stopEverything() {
    traffic.shutdownNow();
    if (browser != null) {
      browser.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void pagesShowTheClusterAndFollowAServiceLiveWithoutABrowserError() throws Exception {
    browser.call(command("consoleErrors").put("clear", true), STEP);
    startTraffic();

    // The cluster page: three members, one of them the leader ClusterStatus names.
    String base = "http://" + node(0).apiAddress() + "/ui/";
    browser.call(command("goto").put("url", base + "#/cluster"), STEP);
    waitFor("#members tbody tr:nth-child(3)", null, STEP);
    assertEquals(3, count("#members tbody tr"));
    assertEquals(1, count("#members tbody tr:has(.badge.leader)"));
    String leader = leaderName();
    waitFor("#members tbody tr:has(.badge.leader)", leader, STEP);
    waitFor("[data-card=\"leader\"]", leader, STEP);
    // Every node's figures arrive, with the rates of the traffic above.
    waitFor("#members tbody tr:nth-child(3):not(:has(.badge.out))", null, STEP);
    await("every node shows a heartbeat rate")
        .atMost(STEP)
        .until(
            () ->
                texts("#members td[data-rate=\"heartbeat\"]").stream()
                    .allMatch(rate -> !rate.equals("0") && !rate.equals("—")));
    screenshot("cluster");

    // The services page.
    browser.call(command("goto").put("url", base + "#/services?ns=default"), STEP);
    waitFor("#services tbody tr[data-service=\"orders\"]", null, STEP);
    waitFor("#services tbody tr[data-service=\"payments\"]", null, STEP);
    screenshot("services");

    // The service page follows the Watch stream: an instance registered on another node shows
    // without a reload. The bound is for a loaded machine (two test JVMs at once on 2 cores); the
    // time it took is printed, and is well under a second on a quiet one.
    browser.call(command("goto").put("url", base + "#/service/default/orders"), STEP);
    waitFor("#instances tr[data-instance=\"orders-1\"]", null, STEP);
    waitFor("#live.live", null, STEP);
    alive.add(register(node(2), "orders", "orders-4", 10, 100, "eu-1b"));
    JsonObject appeared =
        browser.tryCall(
            command("waitFor")
                .put("selector", "#instances tr[data-instance=\"orders-4\"]")
                .put("timeoutMs", 10_000),
            STEP);
    assertTrue(
        appeared.getBoolean("ok"),
        "orders-4 did not appear within 10 s of its registration: " + appeared);
    System.out.printf(
        "orders-4 appeared %d ms after its registration was acknowledged%n",
        appeared.getLong("elapsedMs"));

    // Drained from the page, with its confirmation: the row and the registry say draining.
    browser.call(
        command("click")
            .put(
                "selector",
                "#instances tr[data-instance=\"orders-4\"] button[data-action=\"DRAINING\"]"),
        STEP);
    waitFor("#confirm[open]", null, STEP);
    browser.call(command("click").put("selector", "#confirm-ok"), STEP);
    waitFor("#instances tr[data-instance=\"orders-4\"][data-status=\"DRAINING\"]", null, STEP);
    waitFor("#instances tr[data-instance=\"orders-4\"] [data-field=\"status\"]", "draining", STEP);
    waitFor("#changes tr[data-change=\"DRAINED\"]", "orders-4", STEP);
    Instance drained = find(node(1), "orders", "orders-4");
    assertEquals(InstanceStatus.INSTANCE_STATUS_DRAINING, drained.getStatus());

    // An instance whose heartbeats never come: declared expired, it turns unhealthy on the page.
    register(node(1), "orders", "orders-5", 1, 100, "eu-1b");
    waitFor("#instances tr[data-instance=\"orders-5\"]", null, STEP);
    waitFor("#instances tr[data-instance=\"orders-5\"][data-health=\"unhealthy\"]", null, STEP);
    waitFor(
        "#instances tr[data-instance=\"orders-5\"] [data-field=\"health\"]",
        "HeartbeatsStopped",
        STEP);
    waitFor("#changes tr[data-change=\"DECLARED_EXPIRED\"]", "orders-5", STEP);
    screenshot("service");

    JsonArray errors = browser.call(command("consoleErrors"), STEP).getJsonArray("errors");
    assertEquals(new JsonArray(), errors, "the browser logged errors");
  }

  /**
   * On a node with an access file the page asks for a token, keeps it for the tab, and offers what
   * the principal's roles allow: a reader of the namespace sees its instances without actions;
   * after signing out and in again as an admin, the actions are there.
   */
  @Test
  void aNodeThatChecksCallersGetsATokenFromThePageAndItsRolesDecideWhatItOffers() throws Exception {
    Path accessFile = LOGS.resolve("access");
    Files.writeString(
        accessFile,
        "token "
            + AccessRules.sha256(READER)
            + " reader billing:read\n"
            + "token "
            + AccessRules.sha256(OPERATOR)
            + " operator *:admin\n");
    RegistryNode secured =
        SingleNode.start("dashboard-secured", "--security.access-file=" + accessFile);
    ManagedChannel channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", secured.apiPort()).usePlaintext().build();
    try {
      Metadata operator = new Metadata();
      operator.put(
          Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + OPERATOR);
      RegistryServiceGrpc.newBlockingStub(channel)
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(operator))
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .register(
              RegisterRequest.newBuilder()
                  .setInstance(
                      Instance.newBuilder()
                          .setNamespace("billing")
                          .setService("invoices")
                          .setInstanceId("invoices-1")
                          .setHost("10.0.2.1")
                          .setPort(8443))
                  .setLeaseTtl(Duration.newBuilder().setSeconds(600))
                  .build());
      String page = "http://127.0.0.1:" + secured.apiPort() + "/ui/#/service/billing/invoices";

      browser.call(command("goto").put("url", page), STEP);
      signIn(READER);
      waitFor("#instances tr[data-instance=\"invoices-1\"]", null, STEP);
      waitFor("#who", "reader", STEP);
      waitFor("main", "Actions need the role admin in namespace", STEP);
      assertEquals(0, count("#instances button[data-action]"));

      browser.call(command("click").put("selector", "#who button"), STEP);
      signIn(OPERATOR);
      waitFor("#who", "operator", STEP);
      waitFor(
          "#instances tr[data-instance=\"invoices-1\"] button[data-action=\"DRAINING\"]",
          null,
          STEP);

      // The browser logs each 401 answer it is given (before a token, after signing out); nothing
      // else.
      JsonArray errors =
          browser.call(command("consoleErrors").put("clear", true), STEP).getJsonArray("errors");
      for (Object error : errors) {
        assertTrue(String.valueOf(error).contains("status of 401"), errors::encode);
      }
    } finally {
      channel.shutdownNow();
      secured.stop();
    }
  }

  private static void signIn(String token) {
    waitFor("#login[open]", null, STEP);
    browser.call(command("fill").put("selector", "#login-token").put("value", token), STEP);
    browser.call(command("click").put("selector", "#login-form button[type=\"submit\"]"), STEP);
  }

  /**
   * A registry to look at: three services, each instance kept alive from here, a Discover loop, so
   * the pages show real figures.
   */
  private static void startTraffic() {
    alive.add(register(node(0), "orders", "orders-1", 10, 100, "eu-1a"));
    alive.add(register(node(1), "orders", "orders-2", 10, 200, "eu-1a"));
    alive.add(register(node(2), "orders", "orders-3", 10, 100, "eu-1b"));
    alive.add(register(node(0), "payments", "payments-1", 10, 100, "eu-1a"));
    alive.add(register(node(1), "payments", "payments-2", 10, 100, "eu-1b"));
    alive.add(register(node(2), "inventory", "inventory-1", 10, 100, "eu-1a"));
    RegisterResponse retired = register(node(0), "inventory", "inventory-2", 10, 100, "eu-1b");
    alive.add(retired);
    RegistryServiceGrpc.newBlockingStub(node(0).channel())
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .setStatus(
            SetStatusRequest.newBuilder()
                .setLeaseId(retired.getLeaseId())
                .setStatus(InstanceStatus.INSTANCE_STATUS_OUT_OF_SERVICE)
                .build());
    traffic.scheduleAtFixedRate(
        () -> {
          for (int i = 0; i < alive.size(); i++) {
            RegisterResponse lease = alive.get(i);
            try {
              RegistryServiceGrpc.newBlockingStub(cluster.node(i % 3).channel())
                  .withDeadlineAfter(2, TimeUnit.SECONDS)
                  .heartbeat(HeartbeatRequest.newBuilder().setLeaseId(lease.getLeaseId()).build());
            } catch (RuntimeException e) {
              // The next round renews it; a lease of 10 s outlives a few failures.
            }
          }
        },
        0,
        1,
        TimeUnit.SECONDS);
    traffic.scheduleAtFixedRate(
        () -> {
          for (NodeProcess node : cluster.nodes()) {
            try {
              DiscoveryServiceGrpc.newBlockingStub(node.channel())
                  .withDeadlineAfter(2, TimeUnit.SECONDS)
                  .discover(DiscoverRequest.newBuilder().setService("orders").build());
            } catch (RuntimeException e) {
              // Only figures for the pages.
            }
          }
        },
        0,
        200,
        TimeUnit.MILLISECONDS);
  }

  private static RegisterResponse register(
      NodeProcess node, String service, String id, long ttlSeconds, int weight, String zone) {
    return RegistryServiceGrpc.newBlockingStub(node.channel())
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .register(
            RegisterRequest.newBuilder()
                .setInstance(
                    Instance.newBuilder()
                        .setService(service)
                        .setInstanceId(id)
                        .setHost("10.0.0." + (10 + Math.abs(id.hashCode() % 200)))
                        .setPort(8080)
                        .setWeight(weight)
                        .setZone(zone)
                        .setVersion("2.4.1")
                        .putMetadata("team", service.equals("orders") ? "checkout" : "platform"))
                .setLeaseTtl(Duration.newBuilder().setSeconds(ttlSeconds))
                .build());
  }

  private static Instance find(NodeProcess node, String service, String id) {
    return DiscoveryServiceGrpc.newBlockingStub(node.channel())
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .discover(
            DiscoverRequest.newBuilder().setService(service).setIncludeUnhealthy(true).build())
        .getInstancesList()
        .stream()
        .filter(instance -> instance.getInstanceId().equals(id))
        .findFirst()
        .orElseThrow(() -> new AssertionError(id + " is not listed"));
  }

  /** The leader's node name, as ClusterStatus tells it (by its API address). */
  private static String leaderName() {
    ClusterStatusResponse status =
        ClusterServiceGrpc.newBlockingStub(node(0).channel())
            .withDeadlineAfter(10, TimeUnit.SECONDS)
            .clusterStatus(ClusterStatusRequest.getDefaultInstance());
    String address =
        status.getMembersList().stream()
            .filter(ClusterMember::getLeader)
            .findFirst()
            .orElseThrow()
            .getApiAddress();
    return cluster.nodes().stream()
        .filter(node -> node.apiAddress().equals(address))
        .findFirst()
        .orElseThrow()
        .name();
  }

  private static void waitFor(String selector, String text, java.time.Duration bound) {
    JsonObject command =
        command("waitFor").put("selector", selector).put("timeoutMs", bound.toMillis());
    if (text != null) {
      command.put("text", text);
    }
    browser.call(command, bound.plusSeconds(10));
  }

  private static List<String> texts(String selector) {
    JsonArray texts =
        browser.call(command("texts").put("selector", selector), STEP).getJsonArray("texts");
    return texts.stream().map(String::valueOf).toList();
  }

  private static int count(String selector) {
    return browser.call(command("count").put("selector", selector), STEP).getInteger("count");
  }

  private static void screenshot(String page) throws java.io.IOException {
    Path images =
        Boolean.getBoolean("roster.screenshots.update")
            ? Repository.docs("images")
            : LOGS.resolve("screenshots");
    Files.createDirectories(images);
    browser.call(
        command("screenshot").put("path", images.resolve("dashboard-" + page + ".png").toString()),
        STEP);
  }

  private static JsonObject command(String op) {
    return new JsonObject().put("op", op);
  }

  private static NodeProcess node(int index) {
    return cluster.node(index);
  }
}
