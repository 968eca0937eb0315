package io.roster.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import io.roster.testing.RosterCluster;
import io.roster.v1.ChangeType;
import io.roster.v1.DeregisterRequest;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.DiscoverResponse;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.HealthState;
import io.roster.v1.Instance;
import io.roster.v1.InstanceChange;
import io.roster.v1.InstanceKey;
import io.roster.v1.InstanceStatus;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegistryServiceGrpc;
import io.roster.v1.SetStatusRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The commands added for operators (watch, top, drain, undrain) against a real node process: what
 * they print follows what the registry holds, and their JSON parses.
 */
@Timeout(180)
class CliCommandsIT {
  private static RosterCluster cluster;
  private static String address;

  @BeforeAll
  static void startNode() {
    cluster = RosterCluster.start(1);
    address = cluster.node(0).apiAddress();
  }

  @AfterAll
  static void stopNode() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void watchPrintsARegistrationAndADeregistrationAsTheyHappen() throws Exception {
    CliRun.SharedOutput out = new CliRun.SharedOutput();
    StopSignal stop = new StopSignal();
    CompletableFuture<CliRun> watching =
        CliRun.async(out, stop, cli("watch", "--service", "watched"));

    register("watched", "10.0.0.1", 8080, 60);
    await().atMost(java.time.Duration.ofSeconds(20)).until(() -> out.lines().size() == 1);
    InstanceChange added = CliRun.parse(out.lines().get(0), InstanceChange.getDefaultInstance());
    assertEquals(ChangeType.CHANGE_TYPE_ADDED, added.getType());
    assertEquals("10.0.0.1:8080", added.getInstance().getInstanceId());

    registry()
        .deregister(DeregisterRequest.newBuilder().setKey(key("watched", "10.0.0.1:8080")).build());
    await().atMost(java.time.Duration.ofSeconds(20)).until(() -> out.lines().size() == 2);
    InstanceChange removed = CliRun.parse(out.lines().get(1), InstanceChange.getDefaultInstance());
    assertEquals(ChangeType.CHANGE_TYPE_REMOVED, removed.getType());
    assertEquals("10.0.0.1:8080", removed.getInstance().getInstanceId());
    assertTrue(removed.getRevision() > added.getRevision(), removed.toString());

    stop.stop();
    CliRun run = watching.get(10, TimeUnit.SECONDS);
    assertEquals(0, run.exitCode(), run.err());
    assertEquals(2, run.lines().size(), run.out());
  }

  @Test
  void topOnceListsTheServicesWithTheirCounts() throws Exception {
    register("top-orders", "10.0.0.1", 8080, 60);
    register("top-orders", "10.0.0.2", 8080, 60);
    register("top-orders", "10.0.0.3", 8080, 1); // no heartbeat: unhealthy after about 1 s
    registry()
        .setStatus(
            SetStatusRequest.newBuilder()
                .setKey(key("top-orders", "10.0.0.2:8080"))
                .setStatus(InstanceStatus.INSTANCE_STATUS_DRAINING)
                .build());
    await()
        .atMost(java.time.Duration.ofSeconds(20))
        .until(() -> health("top-orders", "10.0.0.3:8080") == HealthState.HEALTH_STATE_UNHEALTHY);

    CliRun table = CliRun.of(cli("top", "--once"));
    CliRun json = CliRun.of(cli("top", "--once", "--output", "json"));

    assertEquals(0, table.exitCode(), table.err());
    assertTrue(
        table.lines().get(0).startsWith("cluster " + cluster.clusterName() + " at "), table.out());
    List<String> header = List.of(table.lines().get(5).split(" +"));
    assertEquals(
        List.of(
            "SERVICE",
            "INSTANCES",
            "HEALTHY",
            "DRAINING",
            "UNHEALTHY",
            "OUT",
            "REVISION",
            "CHANGES/S"),
        header);
    List<String> row =
        table.lines().stream()
            .filter(line -> line.startsWith("top-orders "))
            .map(line -> List.of(line.split(" +")))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no row of top-orders in\n" + table.out()));
    assertEquals(List.of("top-orders", "3", "2", "1", "1", "0"), row.subList(0, 6));
    assertEquals("-", row.get(7), "no rate from one refresh");

    assertEquals(0, json.exitCode(), json.err());
    assertEquals(1, json.lines().size(), json.out());
    Struct sample = parseJson(json.lines().get(0));
    assertEquals(
        cluster.clusterName(),
        sample
            .getFieldsOrThrow("cluster")
            .getStructValue()
            .getFieldsOrThrow("clusterName")
            .getStringValue());
    Struct orders =
        sample.getFieldsOrThrow("services").getListValue().getValuesList().stream()
            .map(Value::getStructValue)
            .filter(s -> s.getFieldsOrThrow("service").getStringValue().equals("top-orders"))
            .findFirst()
            .orElseThrow();
    assertEquals(3, orders.getFieldsOrThrow("instances").getNumberValue());
    assertEquals(2, orders.getFieldsOrThrow("healthy").getNumberValue());
    assertEquals(1, orders.getFieldsOrThrow("draining").getNumberValue());
    assertEquals(1, orders.getFieldsOrThrow("unhealthy").getNumberValue());
  }

  @Test
  void topRefreshesUntilStoppedAndCountsWhatWasRegisteredMeanwhile() throws Exception {
    register("top-live", "10.0.0.1", 8080, 60);
    CliRun.SharedOutput out = new CliRun.SharedOutput();
    StopSignal stop = new StopSignal();
    CompletableFuture<CliRun> running =
        CliRun.async(out, stop, cli("top", "--interval-s", "0.3", "--output", "json"));
    await().atMost(java.time.Duration.ofSeconds(20)).until(() -> out.lines().size() >= 1);

    register("top-live", "10.0.0.2", 8080, 60);
    await()
        .atMost(java.time.Duration.ofSeconds(20))
        .until(
            () ->
                out.lines().stream()
                    .map(CliCommandsIT::parseJson)
                    .anyMatch(
                        sample ->
                            sample.getFieldsOrThrow("registered").getNumberValue() >= 1
                                && sample.getFieldsOrThrow("changesPerS").getNumberValue() > 0));

    stop.stop();
    CliRun run = running.get(10, TimeUnit.SECONDS);
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(
        parseJson(run.lines().get(0)).getFieldsOrThrow("registered").hasNullValue(),
        "no rate on the first refresh");
  }

  @Test
  void drainAndUndrainChangeWhatDiscoverShows() {
    register("drained", "10.0.0.5", 8080, 60);
    await()
        .atMost(java.time.Duration.ofSeconds(20))
        .until(() -> status("drained") == InstanceStatus.INSTANCE_STATUS_UP);

    CliRun drain = CliRun.of(cli("drain", "--service", "drained", "--id", "10.0.0.5:8080"));

    assertEquals(0, drain.exitCode(), drain.err());
    Struct drained = parseJson(drain.out().strip());
    assertEquals("INSTANCE_STATUS_UP", drained.getFieldsOrThrow("previousStatus").getStringValue());
    assertEquals("INSTANCE_STATUS_DRAINING", drained.getFieldsOrThrow("status").getStringValue());
    assertTrue(drained.getFieldsOrThrow("changed").getBoolValue());
    await()
        .atMost(java.time.Duration.ofSeconds(20))
        .until(() -> status("drained") == InstanceStatus.INSTANCE_STATUS_DRAINING);
    CliRun table = CliRun.of(cli("discover", "--service", "drained", "--format", "table"));
    assertEquals("draining", List.of(table.lines().get(1).split(" +")).get(4), table.out());

    CliRun undrain =
        CliRun.of(
            cli("undrain", "--service", "drained", "--id", "10.0.0.5:8080", "--output", "table"));

    assertEquals(0, undrain.exitCode(), undrain.err());
    assertTrue(undrain.lines().get(1).contains("draining -> up"), undrain.out());
    await()
        .atMost(java.time.Duration.ofSeconds(20))
        .until(() -> status("drained") == InstanceStatus.INSTANCE_STATUS_UP);
  }

  private static String[] cli(String... args) {
    List<String> all = new ArrayList<>(List.of("--target", address, "--timeout-ms", "10000"));
    all.addAll(List.of(args));
    return all.toArray(String[]::new);
  }

  private static RegistryServiceGrpc.RegistryServiceBlockingStub registry() {
    return RegistryServiceGrpc.newBlockingStub(cluster.node(0).channel())
        .withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private static void register(String service, String host, int port, int ttlSeconds) {
    registry()
        .register(
            RegisterRequest.newBuilder()
                .setInstance(Instance.newBuilder().setService(service).setHost(host).setPort(port))
                .setLeaseTtl(Duration.newBuilder().setSeconds(ttlSeconds))
                .build());
  }

  private static InstanceKey key(String service, String instanceId) {
    return InstanceKey.newBuilder().setService(service).setInstanceId(instanceId).build();
  }

  /** The instances of {@code service} as the CLI's discover prints them in JSON. */
  private static DiscoverResponse discover(String service) {
    CliRun run = CliRun.of(cli("discover", "--service", service, "--include-unhealthy"));
    assertEquals(0, run.exitCode(), run.err());
    return CliRun.parse(run.out().strip(), DiscoverResponse.getDefaultInstance());
  }

  /** The status of the one instance of {@code service}. */
  private static InstanceStatus status(String service) {
    List<Instance> instances = discover(service).getInstancesList();
    return instances.size() == 1 ? instances.get(0).getStatus() : null;
  }

  private static HealthState health(String service, String instanceId) {
    return DiscoveryServiceGrpc.newBlockingStub(cluster.node(0).channel())
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .discover(
            DiscoverRequest.newBuilder().setService(service).setIncludeUnhealthy(true).build())
        .getInstancesList()
        .stream()
        .filter(instance -> instance.getInstanceId().equals(instanceId))
        .map(Instance::getHealth)
        .findFirst()
        .orElse(null);
  }

  private static Struct parseJson(String json) {
    Struct.Builder parsed = Struct.newBuilder();
    try {
      JsonFormat.parser().merge(json, parsed);
    } catch (Exception e) {
      throw new AssertionError("not JSON: " + json, e);
    }
    return parsed.build();
  }
}
