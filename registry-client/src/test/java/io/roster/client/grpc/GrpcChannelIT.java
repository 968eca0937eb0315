package io.roster.client.grpc;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.roster.client.HealthState;
import io.roster.client.Registration;
import io.roster.client.RosterClient;
import io.roster.client.RosterClientOptions;
import io.roster.testing.RosterCluster;
import io.roster.v1.Instance;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegistryServiceGrpc;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * A grpc-java channel on {@code roster:///greeter} against a real registry node and three tiny
 * grpc-java servers on loopback (each serving grpc.health.v1 and counting its calls): calls go to
 * healthy instances only, in proportion to their weights, and stop going to one that leaves.
 */
@Timeout(120)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GrpcChannelIT {

  private static final String SERVICE = "greeter";

  private static RosterCluster cluster;
  private static CountingServer light;
  private static CountingServer heavy;
  private static CountingServer silent;
  private static RosterClient client;
  private static Registration lightRegistration;
  private static Registration heavyRegistration;
  private static ManagedChannel channel;

  @BeforeAll
  static void start() {
    cluster = RosterCluster.start(1); // one node is enough: this is about the channel
    light = new CountingServer();
    heavy = new CountingServer();
    silent = new CountingServer();
    client =
        RosterClient.create(
            RosterClientOptions.local()
                .nodes(cluster.node(0).apiAddress())
                .leaseTtl(Duration.ofSeconds(3))
                .drainDelay(Duration.ofMillis(500))
                .shutdownHook(false)
                .build());
  }

  @AfterAll
  static void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (client != null) {
      client.close();
    }
    for (CountingServer server : new CountingServer[] {light, heavy, silent}) {
      if (server != null) {
        server.close();
      }
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Order(1)
  void callsGoOnlyToHealthyInstancesInProportionToTheirWeights() {
    lightRegistration = client.register(light.instance(SERVICE, 100));
    heavyRegistration = client.register(heavy.instance(SERVICE, 300));
    // Registered by a process that never heartbeats: unhealthy one second later.
    RegistryServiceGrpc.newBlockingStub(cluster.node(0).channel())
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .register(
            RegisterRequest.newBuilder()
                .setInstance(
                    Instance.newBuilder()
                        .setService(SERVICE)
                        .setInstanceId("silent")
                        .setHost("127.0.0.1")
                        .setPort(silent.port)
                        .setWeight(100))
                .setLeaseTtl(com.google.protobuf.Duration.newBuilder().setSeconds(1))
                .build());
    await("silent instance unhealthy")
        .atMost(Duration.ofSeconds(15))
        .until(
            () ->
                client.discover(SERVICE).instances().stream()
                    .anyMatch(
                        i ->
                            i.instanceId().equals("silent")
                                && i.health() == HealthState.UNHEALTHY));

    channel =
        ManagedChannelBuilder.forTarget("roster:///" + SERVICE)
            .setNameResolverArg(RosterNameResolverProvider.CLIENT, client)
            .usePlaintext()
            .build();
    await("both healthy servers connected")
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> {
              call(channel, 8);
              return light.calls.get() > 0 && heavy.calls.get() > 0;
            });
    resetCounts();

    call(channel, 400);

    assertEquals(0, silent.calls.get(), "the unhealthy instance gets nothing");
    // Smooth weighted round-robin gives exactly 100:300 over whole cycles; ±10 allows for the
    // cycle's position when counting started.
    assertTrue(Math.abs(light.calls.get() - 100) <= 10, "light got " + light.calls.get());
    assertTrue(Math.abs(heavy.calls.get() - 300) <= 10, "heavy got " + heavy.calls.get());
  }

  @Test
  @Order(2)
  void aTargetNamingTheRegistryNodeNeedsNoClient() {
    ManagedChannel named =
        ManagedChannelBuilder.forTarget(
                "roster://" + cluster.node(0).apiAddress() + "/" + SERVICE + "?namespace=default")
            .usePlaintext()
            .build();
    try {
      resetCounts();
      await("calls through a resolver-made client")
          .atMost(Duration.ofSeconds(20))
          .until(
              () -> {
                call(named, 4);
                return light.calls.get() > 0 && heavy.calls.get() > 0;
              });
      assertEquals(0, silent.calls.get());
    } finally {
      named.shutdownNow();
    }
  }

  @Test
  @Order(3)
  void callsStopGoingToAnInstanceThatDeregisters() {
    heavyRegistration.close(); // DRAINING (no new calls) for 500 ms, then deregistered

    await("no call reaches the deregistered instance")
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              resetCounts();
              call(channel, 20);
              assertEquals(0, heavy.calls.get());
            });
    resetCounts();
    call(channel, 100);
    assertEquals(100, light.calls.get());
    assertEquals(0, heavy.calls.get() + silent.calls.get());
    lightRegistration.close();
  }

  private static void call(ManagedChannel target, int times) {
    HealthGrpc.HealthBlockingStub stub = HealthGrpc.newBlockingStub(target);
    for (int i = 0; i < times; i++) {
      stub.withDeadlineAfter(5, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance());
    }
  }

  private static void resetCounts() {
    for (CountingServer server : List.of(light, heavy, silent)) {
      server.calls.set(0);
    }
  }
}
