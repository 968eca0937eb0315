package io.roster.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.Durations;
import io.grpc.Status;
import io.roster.v1.ChangeType;
import io.roster.v1.DeregisterResponse;
import io.roster.v1.DiscoverResponse;
import io.roster.v1.Instance;
import io.roster.v1.InstanceChange;
import io.roster.v1.InstanceKey;
import io.roster.v1.InstanceStatus;
import io.roster.v1.KeepAliveResponse;
import io.roster.v1.LeaseState;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegisterResponse;
import io.roster.v1.ServiceChanges;
import io.roster.v1.ServiceSnapshot;
import io.roster.v1.WatchResponse;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Runs the CLI against a fake registry node: argument parsing, output and error mapping. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RosterCliTest {
  private final FakeRegistry node = new FakeRegistry();

  @AfterEach
  void stopNode() {
    node.close();
  }

  @Test
  void registerSendsTheInstanceAndPrintsTheLeaseAsJson() throws IOException {
    CliRun result =
        CliRun.of(
            "--target",
            node.target(),
            "register",
            "--service",
            "orders",
            "--host",
            "10.0.0.7",
            "--port",
            "8080",
            "--weight",
            "50",
            "--zone",
            "eu-1a",
            "--meta",
            "track=canary",
            "--named-port",
            "metrics=9090",
            "--ttl-ms",
            "15000");

    assertEquals(0, result.exitCode(), result.err());
    RegisterResponse lease =
        CliRun.parse(result.lines().get(0), RegisterResponse.getDefaultInstance());
    assertEquals("lease-1", lease.getLeaseId());
    assertEquals("10.0.0.7:8080", lease.getInstanceId());
    assertTrue(result.out().contains("\"leaseId\":\"lease-1\""), result.out());
    RegisterRequest sent = node.registers.get(0);
    assertEquals("orders", sent.getInstance().getService());
    assertEquals(8080, sent.getInstance().getPort());
    assertEquals(50, sent.getInstance().getWeight());
    assertEquals(Map.of("track", "canary"), sent.getInstance().getMetadataMap());
    assertEquals(Map.of("metrics", 9090), sent.getInstance().getPortsMap());
    assertEquals(15_000, Durations.toMillis(sent.getLeaseTtl()));
  }

  @Test
  void discoverPrintsTheInstancesAsJson() throws IOException {
    CliRun result =
        CliRun.of(
            "discover",
            "--target",
            node.target(),
            "--service",
            "orders",
            "--selector",
            "track=canary",
            "--include-unhealthy");

    assertEquals(0, result.exitCode(), result.err());
    DiscoverResponse response =
        CliRun.parse(result.lines().get(0), DiscoverResponse.getDefaultInstance());
    assertEquals(List.of(FakeRegistry.ORDERS_1), response.getInstancesList());
    assertEquals(Map.of("track", "canary"), node.discovers.get(0).getMetadataSelectorMap());
    assertTrue(node.discovers.get(0).getIncludeUnhealthy());
  }

  @Test
  void discoverPrintsATableForPeople() {
    CliRun result =
        CliRun.of(
            "discover", "--target", node.target(), "--service", "orders", "--format", "table");

    assertEquals(0, result.exitCode(), result.err());
    assertEquals(
        List.of(
            "ID        ADDRESS        WEIGHT  ZONE   STATUS  HEALTH",
            "orders-1  10.0.0.7:8080  100     eu-1a  up      healthy"),
        result.lines());
  }

  @Test
  void invalidArgumentFromTheNodeExitsWith2AndPrintsItsDescription() {
    node.failUnaryWith = Status.INVALID_ARGUMENT.withDescription("instance.port: must be 1-65535");

    CliRun result =
        CliRun.of(
            "register",
            "--target",
            node.target(),
            "--service",
            "orders",
            "--host",
            "h",
            "--port",
            "0");

    assertEquals(2, result.exitCode());
    assertEquals("error: INVALID_ARGUMENT: instance.port: must be 1-65535\n", result.err());
    assertEquals("", result.out());
  }

  @Test
  void notFoundExitsWith3AndFailedPreconditionWith4() {
    node.failUnaryWith = Status.NOT_FOUND.withDescription("no instance orders/x");
    assertEquals(
        3,
        CliRun.of("deregister", "--target", node.target(), "--service", "o", "--id", "x")
            .exitCode());

    node.failUnaryWith = Status.FAILED_PRECONDITION.withDescription("epoch 1 is not current");
    assertEquals(
        4,
        CliRun.of("deregister", "--target", node.target(), "--service", "o", "--id", "x")
            .exitCode());
  }

  @Test
  void badFlagExitsWith64WithoutCallingAnyNode() {
    CliRun unknown = CliRun.of("discover", "--target", node.target(), "--service", "a", "--bogus");
    CliRun badValue = CliRun.of("set-status", "--service", "a", "--id", "b", "--status", "sleepy");
    CliRun badTarget = CliRun.of("--target", "no-port", "status");

    assertEquals(64, unknown.exitCode());
    assertTrue(unknown.err().startsWith("error: Unknown option: '--bogus'"), unknown.err());
    assertEquals(64, badValue.exitCode());
    assertEquals(64, badTarget.exitCode());
    assertEquals(64, CliRun.of().exitCode());
    assertTrue(node.discovers.isEmpty());
  }

  @Test
  void unreachableFirstTargetFailsOverToTheSecond() throws IOException {
    CliRun result =
        CliRun.of(
            "--target", closedPort() + "," + node.target(), "discover", "--service", "orders");

    assertEquals(0, result.exitCode(), result.err());
    assertEquals(
        List.of(FakeRegistry.ORDERS_1),
        CliRun.parse(result.lines().get(0), DiscoverResponse.getDefaultInstance())
            .getInstancesList());
  }

  @Test
  void noReachableTargetExitsWith1NamingEachTarget() throws IOException {
    String first = closedPort();
    String second = closedPort();

    CliRun result = CliRun.of("--target", first + "," + second, "discover", "--service", "orders");

    assertEquals(1, result.exitCode());
    assertTrue(result.err().startsWith("error: UNAVAILABLE: no target answered: "), result.err());
    assertTrue(result.err().contains(first) && result.err().contains(second), result.err());
  }

  @Test
  void keepaliveRenewsUntilStoppedThenDeregistersWithItsEpoch() throws Exception {
    node.heartbeatIntervalMillis = 20;
    StopSignal stop = new StopSignal();

    CompletableFuture<CliRun> running =
        CliRun.async(
            stop,
            "register",
            "--target",
            node.target(),
            "--service",
            "orders",
            "--id",
            "orders-1",
            "--host",
            "10.0.0.7",
            "--port",
            "8080",
            "--keepalive");
    await().atMost(Duration.ofSeconds(10)).until(() -> node.keepAlives.size() >= 3);
    stop.stop();
    CliRun result = running.get(10, TimeUnit.SECONDS);

    assertEquals(0, result.exitCode(), result.err());
    assertEquals("lease-1", node.keepAlives.get(0).getLeaseId());
    assertEquals(1, node.keepAlives.get(0).getEpoch());
    assertEquals(
        InstanceKey.newBuilder().setService("orders").setInstanceId("orders-1").build(),
        node.deregisters.get(0).getKey());
    assertEquals(1, node.deregisters.get(0).getEpoch());
    assertEquals(2, result.lines().size(), result.out()); // the lease, then the deregistration
    assertEquals(
        9,
        CliRun.parse(result.lines().get(1), DeregisterResponse.getDefaultInstance()).getRevision());
  }

  @Test
  void keepaliveRegistersAgainWhenTheLeaseIsNotFound() throws Exception {
    node.heartbeatIntervalMillis = 20;
    node.unknownLeases = Set.of("lease-1");
    StopSignal stop = new StopSignal();

    CompletableFuture<CliRun> running =
        CliRun.async(
            stop,
            "register",
            "--target",
            node.target(),
            "--service",
            "orders",
            "--host",
            "10.0.0.7",
            "--port",
            "8080",
            "--keepalive");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> node.keepAlives.stream().anyMatch(k -> k.getLeaseId().equals("lease-2")));
    stop.stop();
    CliRun result = running.get(10, TimeUnit.SECONDS);

    assertEquals(0, result.exitCode(), result.err());
    List<String> lines = result.lines();
    assertEquals(
        LeaseState.LEASE_STATE_NOT_FOUND,
        CliRun.parse(lines.get(1), KeepAliveResponse.getDefaultInstance()).getState());
    assertEquals(
        "lease-2", CliRun.parse(lines.get(2), RegisterResponse.getDefaultInstance()).getLeaseId());
    assertEquals(2, node.deregisters.get(0).getEpoch());
  }

  @Test
  void watchPrintsTheInstancesThenEachChangeAsAJsonLine() {
    node.watchAnswers = watchAnswers();

    CliRun result = CliRun.of("watch", "--target", node.target(), "--service", "orders,billing");

    assertEquals(0, result.exitCode(), result.err());
    assertEquals(
        List.of(
            change(ChangeType.CHANGE_TYPE_ADDED, FakeRegistry.ORDERS_1, 7),
            change(ChangeType.CHANGE_TYPE_ADDED, ORDERS_2, 8),
            change(ChangeType.CHANGE_TYPE_REMOVED, FakeRegistry.ORDERS_1, 9)),
        result.lines().stream()
            .map(line -> CliRun.parse(line, InstanceChange.getDefaultInstance()))
            .toList());
  }

  @Test
  void watchPrintsATableRowPerChange() {
    node.watchAnswers = watchAnswers();

    CliRun result =
        CliRun.of(
            "watch", "--target", node.target(), "--service", "orders,billing", "--output", "table");

    assertEquals(0, result.exitCode(), result.err());
    List<String> lines = result.lines();
    assertEquals(4, lines.size(), result.out());
    assertEquals(
        List.of(
            "TIME",
            "REVISION",
            "SERVICE",
            "CHANGE",
            "ID",
            "ADDRESS",
            "STATUS",
            "HEALTH",
            "ZONE",
            "WEIGHT"),
        List.of(lines.get(0).split(" +")));
    assertEquals(
        List.of(
            "7", "orders", "added", "orders-1", "10.0.0.7:8080", "up", "healthy", "eu-1a", "100"),
        List.of(lines.get(1).split(" +")).subList(1, 10));
    assertEquals(
        List.of("9", "orders", "removed", "orders-1"),
        List.of(lines.get(3).split(" +")).subList(1, 5));
  }

  @Test
  void watchRawPrintsEachAnswerAsTheNodeSentIt() {
    node.watchAnswers = watchAnswers();

    CliRun result =
        CliRun.of("watch", "--target", node.target(), "--service", "orders,billing", "--raw");

    assertEquals(0, result.exitCode(), result.err());
    assertEquals(
        node.watchAnswers,
        result.lines().stream()
            .map(line -> CliRun.parse(line, WatchResponse.getDefaultInstance()))
            .toList());
    assertEquals(
        64,
        CliRun.of(
                "watch", "--target", node.target(), "--service", "o", "--raw", "--format", "table")
            .exitCode());
  }

  /** orders: a snapshot at 7 with orders-1, orders-2 added at 8, orders-1 removed at 9. */
  private static List<WatchResponse> watchAnswers() {
    return List.of(
        WatchResponse.newBuilder()
            .setService("orders")
            .setRevision(7)
            .setSnapshot(ServiceSnapshot.newBuilder().addInstances(FakeRegistry.ORDERS_1))
            .build(),
        WatchResponse.newBuilder()
            .setService("billing")
            .setRevision(0)
            .setSnapshot(ServiceSnapshot.getDefaultInstance())
            .build(),
        WatchResponse.newBuilder()
            .setService("orders")
            .setRevision(8)
            .setChanges(
                ServiceChanges.newBuilder()
                    .addChanges(change(ChangeType.CHANGE_TYPE_ADDED, ORDERS_2, 8)))
            .build(),
        WatchResponse.newBuilder()
            .setService("orders")
            .setRevision(9)
            .setChanges(
                ServiceChanges.newBuilder()
                    .addChanges(change(ChangeType.CHANGE_TYPE_REMOVED, FakeRegistry.ORDERS_1, 9)))
            .build());
  }

  private static final Instance ORDERS_2 =
      FakeRegistry.ORDERS_1.toBuilder()
          .setInstanceId("orders-2")
          .setPort(8081)
          .setRevision(8)
          .build();

  private static InstanceChange change(ChangeType type, Instance instance, long revision) {
    return InstanceChange.newBuilder()
        .setType(type)
        .setInstance(instance)
        .setRevision(revision)
        .build();
  }

  @Test
  void discoverAcceptsOutputAsWellAsFormat() {
    CliRun format =
        CliRun.of(
            "discover", "--target", node.target(), "--service", "orders", "--format", "table");
    CliRun output =
        CliRun.of(
            "--output", "table", "discover", "--target", node.target(), "--service", "orders");

    assertEquals(0, output.exitCode(), output.err());
    assertEquals(format.out(), output.out());
  }

  @Test
  void everyAnswerHasATable() {
    CliRun lease =
        CliRun.of(
            "register",
            "--target",
            node.target(),
            "--service",
            "orders",
            "--host",
            "10.0.0.7",
            "--port",
            "8080",
            "--ttl-ms",
            "3000",
            "--output",
            "table");
    CliRun services = CliRun.of("services", "--target", node.target(), "--output", "table");

    assertEquals(0, lease.exitCode(), lease.err());
    assertEquals("FIELD              VALUE", lease.lines().get(0));
    assertTrue(lease.lines().contains("leaseId            lease-1"), lease.out());
    assertTrue(lease.lines().contains("heartbeatInterval  3s"), lease.out());
    assertEquals(0, services.exitCode(), services.err());
    assertEquals(
        List.of("SERVICE  INSTANCES  HEALTHY  REVISION", "orders   2          1        7"),
        services.lines());
  }

  @Test
  void drainSetsDrainingAndSaysWhatChanged() {
    CliRun json =
        CliRun.of("drain", "--target", node.target(), "--service", "orders", "--id", "orders-1");
    CliRun table =
        CliRun.of(
            "undrain",
            "--target",
            node.target(),
            "--service",
            "orders",
            "--id",
            "orders-1",
            "--output",
            "table");

    assertEquals(0, json.exitCode(), json.err());
    assertEquals(
        "{\"namespace\":\"default\",\"service\":\"orders\",\"instanceId\":\"orders-1\","
            + "\"previousStatus\":\"INSTANCE_STATUS_UP\",\"status\":\"INSTANCE_STATUS_DRAINING\","
            + "\"changed\":true,\"revision\":8}",
        json.out().strip());
    assertEquals(InstanceStatus.INSTANCE_STATUS_DRAINING, node.setStatuses.get(0).getStatus());
    assertEquals("orders-1", node.setStatuses.get(0).getKey().getInstanceId());
    assertEquals(0, table.exitCode(), table.err());
    assertEquals(
        List.of(
            "SERVICE  ID        STATUS          REVISION", "orders   orders-1  up (unchanged)  8"),
        table.lines());
    assertEquals(InstanceStatus.INSTANCE_STATUS_UP, node.setStatuses.get(1).getStatus());
  }

  @Test
  void completionPrintsAScriptNamingEveryCommand() {
    CliRun bash = CliRun.of("completion", "bash");
    CliRun zsh = CliRun.of("completion", "zsh");

    assertEquals(0, bash.exitCode(), bash.err());
    assertTrue(bash.out().contains("complete -F _complete_roster"), bash.out());
    for (String command :
        List.of("register", "discover", "watch", "top", "drain", "undrain", "set-status")) {
      assertTrue(bash.out().contains(command), command);
    }
    assertTrue(bash.out().contains("--interval-s"), "top's options");
    assertTrue(bash.out().contains("bashcompinit"), "loads zsh's bash completion");
    assertEquals(bash.out(), zsh.out());
    assertEquals(64, CliRun.of("completion", "fish").exitCode());
  }

  @Test
  void watchOnANodeWithoutItPrintsUnimplementedAndExitsWith1() {
    CliRun result = CliRun.of("watch", "--target", node.target(), "--service", "orders");

    assertEquals(1, result.exitCode());
    assertTrue(result.err().startsWith("error: UNIMPLEMENTED: "), result.err());
  }

  /** host:port of a loopback port nothing listens on. */
  private static String closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return "127.0.0.1:" + socket.getLocalPort();
    }
  }
}
