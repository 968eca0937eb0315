package io.roster.node.api;

import static io.roster.node.api.RegistryApiTest.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.roster.node.RegistryNode;
import io.roster.node.SingleNode;
import io.roster.testing.Instances;
import io.roster.testing.RawBytes;
import io.roster.v1.DeregisterRequest;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.HeartbeatRequest;
import io.roster.v1.Instance;
import io.roster.v1.InstanceKey;
import io.roster.v1.InstanceStatus;
import io.roster.v1.KeepAliveRequest;
import io.roster.v1.KeepAliveResponse;
import io.roster.v1.LeaseState;
import io.roster.v1.ListServicesRequest;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import io.roster.v1.SetStatusRequest;
import io.roster.v1.WatchRequest;
import io.roster.v1.WatchTarget;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kind of bad input gets INVALID_ARGUMENT naming the field, writes nothing, and leaves the
 * node serving everyone else.
 */
@Timeout(120)
class InvalidInputTest {

  private static RegistryNode node;
  private static ManagedChannel channel;
  private static RegistryServiceGrpc.RegistryServiceBlockingStub registry;
  private static DiscoveryServiceGrpc.DiscoveryServiceBlockingStub discovery;

  @BeforeAll
  static void startNode() {
    node = SingleNode.start("invalid-test");
    channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", node.apiPort())
            .usePlaintext()
            // A deadline per call: one call the node never answered must fail alone, not use up
            // a deadline the calls after it share.
            .intercept(
                new ClientInterceptor() {
                  @Override
                  public <Q, R> ClientCall<Q, R> interceptCall(
                      MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
                    return next.newCall(
                        method,
                        options.getDeadline() == null
                            ? options.withDeadlineAfter(30, TimeUnit.SECONDS)
                            : options);
                  }
                })
            .build();
    registry = RegistryServiceGrpc.newBlockingStub(channel);
    discovery = DiscoveryServiceGrpc.newBlockingStub(channel);
  }

  @AfterAll
  static void stopNode() {
    channel.shutdownNow();
    node.stop();
  }

  static Stream<Arguments> badInstances() {
    return Stream.of(
        bad("instance.service", i -> i.setService("")),
        bad("instance.service", i -> i.setService("x".repeat(129))),
        bad("instance.service", i -> i.setService("orders/eu")),
        bad("instance.service", i -> i.setService("ord ers")),
        bad("instance.namespace", i -> i.setNamespace("Prod")),
        bad("instance.namespace", i -> i.setNamespace("prod_eu")),
        bad("instance.namespace", i -> i.setNamespace("n".repeat(64))),
        bad("instance.instance_id", i -> i.setInstanceId("a/b")),
        bad("instance.instance_id", i -> i.setInstanceId("x".repeat(257))),
        bad("instance.instance_id", i -> i.setInstanceId("caf\u00e9")),
        // No instance id, and host:port would make one over 256 characters: it could be
        // registered but never renewed, deregistered or drained.
        bad("instance.instance_id", i -> i.clearInstanceId().setHost("h".repeat(253))),
        bad("instance.host", i -> i.setHost("")),
        bad("instance.host", i -> i.setHost("bad host")),
        bad("instance.host", i -> i.setHost("h".repeat(254))),
        bad("instance.port", i -> i.setPort(0)),
        bad("instance.port", i -> i.setPort(65_536)),
        bad("instance.port", i -> i.setPort(-1)),
        bad("instance.ports", i -> i.putPorts("Metrics", 9090)),
        bad("instance.ports[metrics]", i -> i.putPorts("metrics", 70_000)),
        bad("instance.weight", i -> i.setWeight(10_001)),
        bad("instance.weight", i -> i.setWeight(-5)),
        bad("instance.zone", i -> i.setZone("eu 1")),
        bad("instance.version", i -> i.setVersion("v\n1")),
        bad("instance.metadata", i -> i.putMetadata("", "x")),
        bad("instance.metadata", i -> i.putMetadata("bad key", "x")),
        bad("instance.metadata[k]", i -> i.putMetadata("k", "v".repeat(513))),
        bad("instance.metadata", InvalidInputTest::tooManyMetadataEntries),
        bad("instance.metadata", InvalidInputTest::tooMuchMetadata),
        bad("instance.status", i -> i.setStatusValue(42)));
  }

  @ParameterizedTest(name = "{0}: {2}")
  @MethodSource("badInstances")
  void badInstanceIsRefusedNamingTheField(
      String field, Consumer<Instance.Builder> breakIt, String description) {
    String service = "bad-" + UUID.randomUUID().toString().substring(0, 8);
    Instance.Builder instance = Instances.of(service);
    breakIt.accept(instance);

    StatusRuntimeException refused =
        assertStatus(
            Status.Code.INVALID_ARGUMENT,
            () -> registry.register(RegisterRequest.newBuilder().setInstance(instance).build()));

    assertTrue(
        refused.getStatus().getDescription().startsWith(field + ":"),
        refused.getStatus().getDescription());
    assertEquals(
        0,
        discovery
            .discover(
                DiscoverRequest.newBuilder().setService(service).setIncludeUnhealthy(true).build())
            .getRevision(),
        "a refused registration must write nothing");
  }

  @Test
  void missingInstanceAndNegativeTtlAreRefused() {
    assertField("instance", () -> registry.register(RegisterRequest.getDefaultInstance()));
    assertField(
        "lease_ttl",
        () ->
            registry.register(
                RegisterRequest.newBuilder()
                    .setInstance(Instances.of("svc"))
                    .setLeaseTtl(Duration.newBuilder().setSeconds(-1))
                    .build()));
  }

  @Test
  void invalidDurationsAreRefusedNamingTheField() {
    for (Duration invalid :
        List.of(
            Duration.newBuilder().setSeconds(1).setNanos(1_000_000_000).build(),
            Duration.newBuilder().setNanos(-1_000_000_000).build(),
            Duration.newBuilder().setSeconds(1).setNanos(-1).build(),
            Duration.newBuilder().setSeconds(-1).setNanos(1).build(),
            Duration.newBuilder().setSeconds(Long.MAX_VALUE).build())) {
      StatusRuntimeException refused =
          assertStatus(
              Status.Code.INVALID_ARGUMENT,
              () ->
                  registry.register(
                      RegisterRequest.newBuilder()
                          .setInstance(Instances.of("svc"))
                          .setLeaseTtl(invalid)
                          .build()));
      assertTrue(
          refused.getStatus().getDescription().startsWith("lease_ttl: is not a valid Duration"),
          refused.getStatus().getDescription());
    }
  }

  @Test
  void leaseTtlAboveTheMaximumIsLoweredToIt() {
    RegisterResponse twoYears =
        registry.register(
            RegisterRequest.newBuilder()
                .setInstance(Instances.of("ttl-" + UUID.randomUUID()))
                .setLeaseTtl(Duration.newBuilder().setSeconds(2L * 365 * 24 * 3600))
                .build());
    RegisterResponse oneNano =
        registry.register(
            RegisterRequest.newBuilder()
                .setInstance(Instances.of("ttl-" + UUID.randomUUID()))
                .setLeaseTtl(Duration.newBuilder().setNanos(1))
                .build());

    assertEquals(3600, twoYears.getGrantedTtl().getSeconds());
    assertEquals(1, oneNano.getGrantedTtl().getSeconds(), "raised to the minimum, 1 s");
  }

  @Test
  void badLeaseIdsKeysAndQueriesAreRefused() {
    assertField(
        "lease_id", () -> registry.heartbeat(HeartbeatRequest.newBuilder().setLeaseId("").build()));
    assertField(
        "lease_id",
        () -> registry.heartbeat(HeartbeatRequest.newBuilder().setLeaseId("no-slashes").build()));
    assertField(
        "lease_id",
        () ->
            registry.heartbeat(
                HeartbeatRequest.newBuilder().setLeaseId("a/b/" + "x".repeat(600)).build()));
    assertField(
        "key.instance_id",
        () ->
            registry.deregister(
                DeregisterRequest.newBuilder()
                    .setKey(InstanceKey.newBuilder().setService("svc"))
                    .build()));
    assertField(
        "status",
        () ->
            registry.setStatus(
                SetStatusRequest.newBuilder()
                    .setKey(InstanceKey.newBuilder().setService("svc").setInstanceId("a"))
                    .setStatus(InstanceStatus.INSTANCE_STATUS_UNSPECIFIED)
                    .build()));
    assertField("service", () -> discovery.discover(DiscoverRequest.getDefaultInstance()));
    assertField(
        "metadata_selector",
        () ->
            discovery.discover(
                DiscoverRequest.newBuilder()
                    .setService("svc")
                    .putMetadataSelector("a b", "c")
                    .build()));
    assertField(
        "page_size",
        () -> discovery.listServices(ListServicesRequest.newBuilder().setPageSize(1001).build()));
    assertField(
        "namespace",
        () -> discovery.listServices(ListServicesRequest.newBuilder().setNamespace("A").build()));
  }

  @Test
  void generatedInstanceIdIsOneEveryCallCanName() {
    String service = "long-host-" + UUID.randomUUID().toString().substring(0, 8);
    Instance.Builder instance =
        Instances.of(service).clearInstanceId().setHost("h".repeat(250)).setPort(1);

    String instanceId = registry.register(Instances.register(instance)).getInstanceId();

    assertEquals(252, instanceId.length());
    registry.deregister(
        DeregisterRequest.newBuilder()
            .setKey(InstanceKey.newBuilder().setService(service).setInstanceId(instanceId))
            .build());
  }

  @Test
  void pageSizeOf2To31AndAboveIsRefusedAsSent() {
    for (int pageSize : new int[] {Integer.MIN_VALUE, -1}) {
      StatusRuntimeException refused =
          assertStatus(
              Status.Code.INVALID_ARGUMENT,
              () ->
                  discovery.listServices(
                      ListServicesRequest.newBuilder().setPageSize(pageSize).build()));
      assertEquals(
          "page_size: must be at most 1000, got " + Integer.toUnsignedString(pageSize),
          refused.getStatus().getDescription());
    }
  }

  /** uint32 and uint64 fields read as negative Java numbers must be refused, printed unsigned. */
  @Test
  void unsignedFieldsAtOrAbove2To31Or2To63AreRefusedAsSent() {
    StatusRuntimeException port =
        assertStatus(
            Status.Code.INVALID_ARGUMENT,
            () ->
                registry.register(
                    Instances.register(Instances.of("svc").putPorts("metrics", 0x8000_0000))));
    assertEquals(
        "instance.ports[metrics]: must be 1-65535, got 2147483648",
        port.getStatus().getDescription());
    StatusRuntimeException epoch =
        assertStatus(
            Status.Code.INVALID_ARGUMENT,
            () ->
                registry.heartbeat(
                    HeartbeatRequest.newBuilder()
                        .setLeaseId("default/svc/a")
                        .setEpoch(-1)
                        .build()));
    assertEquals(
        "epoch: must be below 2^63 (a value this registry returned), got 18446744073709551615",
        epoch.getStatus().getDescription());
    assertField(
        "epoch",
        () ->
            registry.deregister(
                DeregisterRequest.newBuilder()
                    .setKey(InstanceKey.newBuilder().setService("svc").setInstanceId("a"))
                    .setEpoch(Long.MIN_VALUE)
                    .build()));
    assertField(
        "epoch",
        () ->
            registry.setStatus(
                SetStatusRequest.newBuilder()
                    .setKey(InstanceKey.newBuilder().setService("svc").setInstanceId("a"))
                    .setStatus(InstanceStatus.INSTANCE_STATUS_DRAINING)
                    .setEpoch(-2)
                    .build()));
    assertField(
        "targets[0].from_revision",
        () ->
            discovery
                .watch(
                    WatchRequest.newBuilder()
                        .addTargets(WatchTarget.newBuilder().setService("svc").setFromRevision(-1))
                        .build())
                .hasNext());
  }

  @Test
  void keepAliveWithAnEpochOf2To63IsInvalid() throws Exception {
    java.util.concurrent.BlockingQueue<KeepAliveResponse> answers =
        new java.util.concurrent.LinkedBlockingQueue<>();
    StreamObserver<KeepAliveRequest> requests =
        RegistryServiceGrpc.newStub(channel)
            .keepAlive(
                new StreamObserver<>() {
                  @Override
                  public void onNext(KeepAliveResponse value) {
                    answers.add(value);
                  }

                  @Override
                  public void onError(Throwable t) {}

                  @Override
                  public void onCompleted() {}
                });
    requests.onNext(KeepAliveRequest.newBuilder().setLeaseId("default/svc/a").setEpoch(-1).build());
    KeepAliveResponse answer = answers.poll(30, TimeUnit.SECONDS);
    requests.onCompleted();

    assertEquals(LeaseState.LEASE_STATE_INVALID, answer.getState());
    assertTrue(answer.getMessage().startsWith("epoch: "), answer.getMessage());
  }

  @Test
  void requestThatIsNotProtobufIsRefusedAndTheNodeGoesOn() {
    MethodDescriptor<byte[], byte[]> register =
        RawBytes.method(RegistryServiceGrpc.getRegisterMethod());

    StatusRuntimeException refused =
        assertStatus(
            Status.Code.INVALID_ARGUMENT,
            () ->
                ClientCalls.blockingUnaryCall(
                    channel,
                    register,
                    CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS),
                    new byte[] {(byte) 0xff, 1, 2, 3, 4}));

    assertTrue(
        refused.getStatus().getDescription().contains("RegistryService/Register"),
        refused.getStatus().getDescription());
    // instance.service holding the byte 0xff: not UTF-8, so not a proto3 string.
    StatusRuntimeException notUtf8 =
        assertStatus(
            Status.Code.INVALID_ARGUMENT,
            () ->
                ClientCalls.blockingUnaryCall(
                    channel,
                    register,
                    CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS),
                    new byte[] {0x0a, 0x03, 0x12, 0x01, (byte) 0xff}));
    assertTrue(
        notUtf8.getStatus().getDescription().contains("UTF-8"),
        notUtf8.getStatus().getDescription());
    assertEquals(
        1,
        registry
            .register(Instances.register(Instances.of("after-" + UUID.randomUUID())))
            .getRevision());
  }

  @Test
  void statusMessagesAreEncodedAsTheGrpcSpecSays() throws Exception {
    assertEquals(
        "instance: is required",
        CallGuardTest.grpcWebMessage(
            node.apiPort(), "/" + RegistryServiceGrpc.getRegisterMethod().getFullMethodName()));
  }

  @Test
  void nodeKeepsServingAfterBadInput() {
    for (int i = 0; i < 200; i++) {
      assertStatus(
          Status.Code.INVALID_ARGUMENT,
          () -> registry.register(Instances.register(Instances.of("svc").setPort(0))));
    }

    assertEquals(
        1,
        registry
            .register(Instances.register(Instances.of("after-" + UUID.randomUUID())))
            .getRevision());
  }

  private static void assertField(String field, Runnable call) {
    StatusRuntimeException refused = assertStatus(Status.Code.INVALID_ARGUMENT, call);
    assertTrue(
        refused.getStatus().getDescription().startsWith(field + ":"),
        refused.getStatus().getDescription());
  }

  private static Arguments bad(String field, Consumer<Instance.Builder> breakIt) {
    return Arguments.of(field, breakIt, describe(breakIt));
  }

  private static String describe(Consumer<Instance.Builder> breakIt) {
    Instance.Builder probe = Instance.newBuilder();
    breakIt.accept(probe);
    String shown = probe.build().toString().replace('\n', ' ').trim();
    return shown.length() > 60 ? shown.substring(0, 60) + "..." : shown;
  }

  private static void tooManyMetadataEntries(Instance.Builder instance) {
    for (int i = 0; i < 65; i++) {
      instance.putMetadata("k" + i, "v");
    }
  }

  private static void tooMuchMetadata(Instance.Builder instance) {
    for (int i = 0; i < 10; i++) {
      instance.putMetadata("k" + i, "v".repeat(500));
    }
  }
}
