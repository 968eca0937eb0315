package io.roster.node.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.roster.node.RegistryNode;
import io.roster.node.Scrape;
import io.roster.node.SingleNode;
import io.roster.node.http.Repository;
import io.roster.testing.Instances;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.HeartbeatRequest;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import io.roster.v1.SetStatusRequest;
import io.roster.v1.WatchRequest;
import io.roster.v1.WatchResponse;
import io.roster.v1.WatchTarget;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.yaml.snakeyaml.Yaml;

/**
 * The Grafana board (deploy/grafana/roster.json) and the alerting rules
 * (deploy/prometheus/alerts.yaml) against one real node: every metric their expressions name is one
 * the node exports, read from its {@code /metrics} after real gRPC and HTTP calls; every alert
 * links to a runbook section that exists; the Prometheus config for the local cluster loads the
 * rules and scrapes the three local nodes.
 */
@Timeout(180)
class DashboardMetricsTest {

  /** Made by Prometheus for each target it scrapes, not by the node. */
  static final Set<String> FROM_PROMETHEUS = Set.of("up");

  /** Exported only by nodes with TLS on their API port (ApiTlsTest reads it there). */
  static final Set<String> WITH_TLS_ONLY =
      Set.of("roster_tls_certificate_expiry_seconds", "roster_tls_reloads_total");

  /** How every metric name the board and the alerts use begins. */
  private static final Pattern METRIC_NAME =
      Pattern.compile("(roster|jvm|process|system|hazelcast)_[a-z0-9_]+|up");

  private static final Set<String> PROMQL_WORDS =
      Set.of(
          "and",
          "or",
          "unless",
          "bool",
          "offset",
          "by",
          "without",
          "on",
          "ignoring",
          "group_left",
          "group_right",
          "inf",
          "nan");

  private static RegistryNode node;
  private static ManagedChannel channel;
  private static Scrape scrape;

  @BeforeAll
  static void startNodeAndCallIt() throws Exception {
    node = SingleNode.start("dashboard-metrics");
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", node.apiPort()).usePlaintext().build();
    RegistryServiceGrpc.RegistryServiceBlockingStub registry =
        RegistryServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    RegisterResponse registered =
        registry.register(Instances.register(Instances.of("boarded").setInstanceId("b-1")));
    registry.register(Instances.register(Instances.of("boarded").setInstanceId("b-2")));
    registry.heartbeat(HeartbeatRequest.newBuilder().setLeaseId(registered.getLeaseId()).build());
    registry.setStatus(
        SetStatusRequest.newBuilder()
            .setLeaseId(registered.getLeaseId())
            .setStatus(io.roster.v1.InstanceStatus.INSTANCE_STATUS_DRAINING)
            .build());
    DiscoveryServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .discover(DiscoverRequest.newBuilder().setService("boarded").build());
    watchOnce("boarded");
    HttpResponse<String> json =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .build()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://127.0.0.1:" + node.apiPort() + "/v1/discover?service=boarded"))
                    .timeout(Duration.ofSeconds(10))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, json.statusCode(), json.body());
    // GC pauses are timed once a collection happened.
    System.gc();
    scrape =
        Awaitility.await("every meter the calls above create")
            .atMost(Duration.ofSeconds(30))
            .until(
                () -> Scrape.of(node.apiPort()),
                s ->
                    s.families().containsKey("jvm_gc_pause_seconds")
                        && s.sum("roster_view_propagation_seconds_count", Map.of()) > 0
                        && s.sum(
                                "roster_rpc_server_seconds_count",
                                Map.of("method", "roster.v1.DiscoveryService/Watch"))
                            > 0);
  }

  @AfterAll
  static void stopNode() {
    channel.shutdownNow();
    node.stop();
  }

  @Test
  void everyMetricTheBoardAndTheAlertsUseIsExported() throws IOException {
    Set<String> used = new TreeSet<>();
    for (String expr : boardExpressions()) {
      used.addAll(metricNames(expr));
    }
    for (String expr : alertExpressions()) {
      used.addAll(metricNames(expr));
    }
    assertTrue(used.contains("roster_rpc_server_seconds_bucket"), used.toString());
    assertTrue(used.contains("roster_instances"), used.toString());

    List<String> missing = new ArrayList<>();
    for (String name : used) {
      if (!exported(name) && !FROM_PROMETHEUS.contains(name) && !WITH_TLS_ONLY.contains(name)) {
        missing.add(name);
      }
    }
    assertEquals(List.of(), missing, "used by the board or the alerts, not exported:\n" + scrape);
  }

  @Test
  void theNodeExportsItsRegistryClusterAndJvmFigures() {
    assertEquals(
        1, scrape.sum("roster_instances", Map.of("namespace", "default", "health", "healthy")));
    assertEquals(
        1, scrape.sum("roster_instances", Map.of("namespace", "default", "health", "draining")));
    assertEquals(1, scrape.sum("roster_services", Map.of("namespace", "default")));
    assertEquals(1, scrape.sum("roster_leader", Map.of()), "a cluster of one leads");
    assertEquals(1, scrape.sum("roster_quorum", Map.of()));
    assertEquals(1, scrape.sum("roster_cluster_members", Map.of()));
    assertEquals(271, scrape.sum("roster_cluster_partitions", Map.of()));
    assertEquals(271, scrape.sum("roster_cluster_partitions_local", Map.of()));
    assertTrue(scrape.sum("roster_lease_tables_owned", Map.of()) >= 1);
    assertTrue(scrape.sum("jvm_memory_used_bytes", Map.of("area", "heap")) > 0);
  }

  @Test
  void everyAlertLinksToARunbookSectionThatExists() throws IOException {
    Set<String> anchors = new TreeSet<>();
    for (String line : Files.readAllLines(Repository.docs("failover.md"))) {
      if (line.startsWith("#")) {
        anchors.add(anchor(line.replaceFirst("^#+\\s*", "")));
      }
    }
    List<Map<String, Object>> rules = alertRules();
    assertFalse(rules.isEmpty());
    for (Map<String, Object> rule : rules) {
      @SuppressWarnings("unchecked")
      Map<String, Object> annotations = (Map<String, Object>) rule.get("annotations");
      String url = String.valueOf(annotations.get("runbook_url"));
      assertTrue(url.startsWith("docs/failover.md#"), rule.get("alert") + ": " + url);
      String anchor = url.substring(url.indexOf('#') + 1);
      assertTrue(anchors.contains(anchor), rule.get("alert") + " links to #" + anchor);
    }
  }

  @Test
  void theLocalPrometheusScrapesTheThreeNodesWithTheRules() throws IOException {
    Map<String, Object> config = yaml(deploy("prometheus", "prometheus.yaml"));
    assertEquals(List.of("alerts.yaml"), config.get("rule_files"));
    String text = Files.readString(deploy("prometheus", "prometheus.yaml"));
    for (String target : List.of("127.0.0.1:7101", "127.0.0.1:7102", "127.0.0.1:7103")) {
      assertTrue(text.contains("- " + target), target);
    }
    assertTrue(text.contains("job_name: roster"), "the alerts select job=\"roster\"");
  }

  @Test
  void theBoardLetsOnePickTheDataSourceAndTheNodes() throws IOException {
    String board = Files.readString(deploy("grafana", "roster.json"));
    assertTrue(board.contains("\"type\": \"datasource\""), "a data source variable");
    assertTrue(board.contains("\"name\": \"instance\""), "a node variable");
    for (String expr : boardExpressions()) {
      if (!expr.startsWith("label_values") && !expr.contains("up{")) {
        assertTrue(expr.contains("instance=~\"$instance\""), "not filtered by node: " + expr);
      }
    }
  }

  /** Whether the scrape has {@code name}: a family, a histogram's series, a counter's total. */
  private static boolean exported(String name) {
    Map<String, String> families = scrape.families();
    if (families.containsKey(name)) {
      return true;
    }
    for (String suffix : List.of("_bucket", "_count", "_sum")) {
      if (name.endsWith(suffix)) {
        String type = families.get(name.substring(0, name.length() - suffix.length()));
        if ("histogram".equals(type) || (!suffix.equals("_bucket") && "summary".equals(type))) {
          return true;
        }
      }
    }
    return name.endsWith("_total")
        && "counter".equals(families.get(name.substring(0, name.length() - 6)));
  }

  /**
   * The metric names a PromQL expression reads: its identifiers once strings, label matchers,
   * ranges and grouping clauses are taken out, less function names and PromQL's own words.
   */
  static Set<String> metricNames(String expr) {
    Set<String> names = new TreeSet<>();
    Matcher labelValues = Pattern.compile("^label_values\\(([^,{)]+)").matcher(expr);
    if (labelValues.find()) {
      names.add(labelValues.group(1).trim());
      return names;
    }
    String bare =
        expr.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"")
            .replaceAll("\\{[^}]*}", " ")
            .replaceAll("\\[[^]]*]", " ")
            .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
    Matcher identifier =
        Pattern.compile("(?<![\\w$.])([a-zA-Z_:][a-zA-Z0-9_:]*+)(?!\\s*\\()").matcher(bare);
    while (identifier.find()) {
      String name = identifier.group(1);
      if (PROMQL_WORDS.contains(name.toLowerCase(Locale.ROOT))) {
        continue;
      }
      if (!METRIC_NAME.matcher(name).matches()) {
        fail("\"" + name + "\" in " + expr + " is not a metric name this test knows");
      }
      names.add(name);
    }
    return names;
  }

  /** GitHub's anchor of a heading: lower case, spaces as '-', punctuation dropped. */
  private static String anchor(String heading) {
    return heading.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9 _-]", "").trim().replace(' ', '-');
  }

  /** Every query of the board: panels' targets and the variables'. */
  private static List<String> boardExpressions() throws IOException {
    List<String> exprs = new ArrayList<>();
    try (JsonParser json =
        new JsonFactory().createParser(deploy("grafana", "roster.json").toFile())) {
      for (JsonToken token = json.nextToken(); token != null; token = json.nextToken()) {
        if (token == JsonToken.FIELD_NAME
            && (json.currentName().equals("expr") || json.currentName().equals("definition"))
            && json.nextToken() == JsonToken.VALUE_STRING) {
          exprs.add(json.getText());
        }
      }
    }
    assertTrue(exprs.size() > 20, "the board's queries: " + exprs);
    return exprs;
  }

  private static List<String> alertExpressions() throws IOException {
    List<String> exprs = new ArrayList<>();
    for (Map<String, Object> rule : alertRules()) {
      exprs.add(String.valueOf(rule.get("expr")));
    }
    return exprs;
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> alertRules() throws IOException {
    Map<String, Object> alerts = yaml(deploy("prometheus", "alerts.yaml"));
    List<Map<String, Object>> rules = new ArrayList<>();
    for (Map<String, Object> group : (List<Map<String, Object>>) alerts.get("groups")) {
      rules.addAll((List<Map<String, Object>>) group.get("rules"));
    }
    return rules;
  }

  private static Map<String, Object> yaml(Path file) throws IOException {
    return new Yaml().load(Files.readString(file));
  }

  private static Path deploy(String dir, String file) {
    return Repository.root().resolve("deploy").resolve(dir).resolve(file);
  }

  /** Opens a Watch, takes its first message, and cancels it: a stream that ended. */
  private static void watchOnce(String service) throws Exception {
    CompletableFuture<WatchResponse> first = new CompletableFuture<>();
    Context.CancellableContext watching = Context.current().withCancellation();
    watching.run(
        () ->
            DiscoveryServiceGrpc.newStub(channel)
                .watch(
                    WatchRequest.newBuilder()
                        .addTargets(WatchTarget.newBuilder().setService(service))
                        .build(),
                    new StreamObserver<>() {
                      @Override
                      public void onNext(WatchResponse value) {
                        first.complete(value);
                      }

                      @Override
                      public void onError(Throwable t) {
                        first.completeExceptionally(t);
                      }

                      @Override
                      public void onCompleted() {}
                    }));
    first.get(10, TimeUnit.SECONDS);
    watching.cancel(null);
  }
}
