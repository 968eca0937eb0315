package io.roster.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Message;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.JsonFormat;
import io.grpc.Status;
import io.roster.v1.DeregisterResponse;
import io.roster.v1.DiscoverResponse;
import io.roster.v1.InstanceKey;
import io.roster.v1.KeepAliveResponse;
import io.roster.v1.LeaseState;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegisterResponse;
import io.roster.v1.ServiceSnapshot;
import io.roster.v1.WatchResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
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
    Result result =
        run(
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
    RegisterResponse lease = parse(result.lines().get(0), RegisterResponse.getDefaultInstance());
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
    Result result =
        run(
            "discover",
            "--target",
            node.target(),
            "--service",
            "orders",
            "--selector",
            "track=canary",
            "--include-unhealthy");

    assertEquals(0, result.exitCode(), result.err());
    DiscoverResponse response = parse(result.lines().get(0), DiscoverResponse.getDefaultInstance());
    assertEquals(List.of(FakeRegistry.ORDERS_1), response.getInstancesList());
    assertEquals(Map.of("track", "canary"), node.discovers.get(0).getMetadataSelectorMap());
    assertTrue(node.discovers.get(0).getIncludeUnhealthy());
  }

  @Test
  void discoverPrintsATableForPeople() {
    Result result =
        run("discover", "--target", node.target(), "--service", "orders", "--format", "table");

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

    Result result =
        run(
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
        3, run("deregister", "--target", node.target(), "--service", "o", "--id", "x").exitCode());

    node.failUnaryWith = Status.FAILED_PRECONDITION.withDescription("epoch 1 is not current");
    assertEquals(
        4, run("deregister", "--target", node.target(), "--service", "o", "--id", "x").exitCode());
  }

  @Test
  void badFlagExitsWith64WithoutCallingAnyNode() {
    Result unknown = run("discover", "--target", node.target(), "--service", "a", "--bogus");
    Result badValue = run("set-status", "--service", "a", "--id", "b", "--status", "sleepy");
    Result badTarget = run("--target", "no-port", "status");

    assertEquals(64, unknown.exitCode());
    assertTrue(unknown.err().startsWith("error: Unknown option: '--bogus'"), unknown.err());
    assertEquals(64, badValue.exitCode());
    assertEquals(64, badTarget.exitCode());
    assertEquals(64, run().exitCode());
    assertTrue(node.discovers.isEmpty());
  }

  @Test
  void unreachableFirstTargetFailsOverToTheSecond() throws IOException {
    Result result =
        run("--target", closedPort() + "," + node.target(), "discover", "--service", "orders");

    assertEquals(0, result.exitCode(), result.err());
    assertEquals(
        List.of(FakeRegistry.ORDERS_1),
        parse(result.lines().get(0), DiscoverResponse.getDefaultInstance()).getInstancesList());
  }

  @Test
  void noReachableTargetExitsWith1NamingEachTarget() throws IOException {
    String first = closedPort();
    String second = closedPort();

    Result result = run("--target", first + "," + second, "discover", "--service", "orders");

    assertEquals(1, result.exitCode());
    assertTrue(result.err().startsWith("error: UNAVAILABLE: no target answered: "), result.err());
    assertTrue(result.err().contains(first) && result.err().contains(second), result.err());
  }

  @Test
  void keepaliveRenewsUntilStoppedThenDeregistersWithItsEpoch() throws Exception {
    node.heartbeatIntervalMillis = 20;
    StopSignal stop = new StopSignal();

    CompletableFuture<Result> running =
        runAsync(
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
    while (node.keepAlives.size() < 3) {
      Thread.sleep(10); // bounded by the class's @Timeout; 20 ms heartbeats
    }
    stop.stop();
    Result result = running.get(10, TimeUnit.SECONDS);

    assertEquals(0, result.exitCode(), result.err());
    assertEquals("lease-1", node.keepAlives.get(0).getLeaseId());
    assertEquals(1, node.keepAlives.get(0).getEpoch());
    assertEquals(
        InstanceKey.newBuilder().setService("orders").setInstanceId("orders-1").build(),
        node.deregisters.get(0).getKey());
    assertEquals(1, node.deregisters.get(0).getEpoch());
    assertEquals(2, result.lines().size(), result.out()); // the lease, then the deregistration
    assertEquals(
        9, parse(result.lines().get(1), DeregisterResponse.getDefaultInstance()).getRevision());
  }

  @Test
  void keepaliveRegistersAgainWhenTheLeaseIsNotFound() throws Exception {
    node.heartbeatIntervalMillis = 20;
    node.unknownLeases = Set.of("lease-1");
    StopSignal stop = new StopSignal();

    CompletableFuture<Result> running =
        runAsync(
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
    while (node.keepAlives.stream().noneMatch(k -> k.getLeaseId().equals("lease-2"))) {
      Thread.sleep(10);
    }
    stop.stop();
    Result result = running.get(10, TimeUnit.SECONDS);

    assertEquals(0, result.exitCode(), result.err());
    List<String> lines = result.lines();
    assertEquals(
        LeaseState.LEASE_STATE_NOT_FOUND,
        parse(lines.get(1), KeepAliveResponse.getDefaultInstance()).getState());
    assertEquals(
        "lease-2", parse(lines.get(2), RegisterResponse.getDefaultInstance()).getLeaseId());
    assertEquals(2, node.deregisters.get(0).getEpoch());
  }

  @Test
  void watchPrintsEachAnswerAsAJsonLine() throws IOException {
    WatchResponse snapshot =
        WatchResponse.newBuilder()
            .setService("orders")
            .setRevision(7)
            .setSnapshot(ServiceSnapshot.newBuilder().addInstances(FakeRegistry.ORDERS_1))
            .build();
    WatchResponse empty =
        WatchResponse.newBuilder()
            .setService("billing")
            .setRevision(0)
            .setSnapshot(ServiceSnapshot.getDefaultInstance())
            .build();
    node.watchAnswers = List.of(snapshot, empty);

    Result result = run("watch", "--target", node.target(), "--service", "orders,billing");

    assertEquals(0, result.exitCode(), result.err());
    assertEquals(2, result.lines().size());
    assertEquals(snapshot, parse(result.lines().get(0), WatchResponse.getDefaultInstance()));
    assertEquals(empty, parse(result.lines().get(1), WatchResponse.getDefaultInstance()));
  }

  @Test
  void watchOnANodeWithoutItPrintsUnimplementedAndExitsWith1() {
    Result result = run("watch", "--target", node.target(), "--service", "orders");

    assertEquals(1, result.exitCode());
    assertTrue(result.err().startsWith("error: UNIMPLEMENTED: "), result.err());
  }

  /** What one run of the CLI printed and returned. */
  record Result(int exitCode, String out, String err) {
    List<String> lines() {
      return out.lines().toList();
    }
  }

  private static Result run(String... args) {
    return run(new StopSignal(), args);
  }

  private static Result run(StopSignal stop, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exitCode =
        RosterCli.run(
            args, new PrintStream(out, true, UTF_8), new PrintStream(err, true, UTF_8), stop);
    return new Result(exitCode, out.toString(UTF_8), err.toString(UTF_8));
  }

  private static CompletableFuture<Result> runAsync(StopSignal stop, String... args) {
    return CompletableFuture.supplyAsync(() -> run(stop, args));
  }

  /** Reads a line the CLI printed back into its message, so the JSON is checked field by field. */
  @SuppressWarnings("unchecked") // newBuilderForType() builds a T
  private static <T extends Message> T parse(String json, T prototype) throws IOException {
    Message.Builder builder = prototype.newBuilderForType();
    JsonFormat.parser().merge(json, builder);
    return (T) builder.build();
  }

  /** host:port of a loopback port nothing listens on. */
  private static String closedPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return "127.0.0.1:" + socket.getLocalPort();
    }
  }
}
