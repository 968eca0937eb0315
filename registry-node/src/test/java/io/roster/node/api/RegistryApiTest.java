package io.roster.node.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import io.roster.node.RegistryNode;
import io.roster.node.SingleNode;
import io.roster.node.domain.DiscoveryQuery;
import io.roster.node.domain.ServiceKey;
import io.roster.node.domain.ServiceView;
import io.roster.testing.Instances;
import io.roster.v1.ClusterServiceGrpc;
import io.roster.v1.ClusterStatusRequest;
import io.roster.v1.ClusterStatusResponse;
import io.roster.v1.DeregisterRequest;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.DiscoverResponse;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.HealthState;
import io.roster.v1.HeartbeatRequest;
import io.roster.v1.Instance;
import io.roster.v1.InstanceKey;
import io.roster.v1.InstanceStatus;
import io.roster.v1.KeepAliveRequest;
import io.roster.v1.KeepAliveResponse;
import io.roster.v1.LeaseState;
import io.roster.v1.ListServicesRequest;
import io.roster.v1.ListServicesResponse;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import io.roster.v1.SetStatusRequest;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The whole v1 API of one real node (embedded Hazelcast member, Vert.x gRPC server) called over
 * loopback with the stock grpc-java client. Each test uses services of its own.
 */
@Timeout(120)
class RegistryApiTest {

  private static RegistryNode node;
  private static ManagedChannel channel;
  private static RegistryServiceGrpc.RegistryServiceBlockingStub registry;
  private static DiscoveryServiceGrpc.DiscoveryServiceBlockingStub discovery;

  private final String service = "svc-" + UUID.randomUUID().toString().substring(0, 8);

  @BeforeAll
  static void startNode() {
    node = SingleNode.start("api-test");
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", node.apiPort()).usePlaintext().build();
    registry = RegistryServiceGrpc.newBlockingStub(channel).withDeadlineAfter(1, TimeUnit.MINUTES);
    discovery =
        DiscoveryServiceGrpc.newBlockingStub(channel).withDeadlineAfter(1, TimeUnit.MINUTES);
  }

  @AfterAll
  static void stopNode() {
    channel.shutdownNow();
    node.stop();
  }

  @Test
  void registeredInstanceIsDiscoveredWithEverythingItRegistered() {
    RegisterResponse registered =
        registry.register(
            RegisterRequest.newBuilder()
                .setInstance(
                    Instance.newBuilder()
                        .setService(service)
                        .setInstanceId("a")
                        .setHost("10.1.2.3")
                        .setPort(8080)
                        .putPorts("metrics", 9090)
                        .setWeight(250)
                        .setZone("eu-1a")
                        .setVersion("1.4.2")
                        .putMetadata("team", "payments"))
                .setLeaseTtl(Duration.newBuilder().setSeconds(30))
                .build());

    assertTrue(
        registered
            .getLeaseId()
            .startsWith("default/" + service + "/a/" + registered.getEpoch() + "."),
        "the lease id names the registration, with a tag only the registry can make: "
            + registered.getLeaseId());
    assertEquals(30, registered.getGrantedTtl().getSeconds());
    assertEquals(10, registered.getHeartbeatInterval().getSeconds());
    Instance found = awaitInstances(DiscoverRequest.newBuilder().setService(service), 1).get(0);
    assertEquals("10.1.2.3", found.getHost());
    assertEquals(8080, found.getPort());
    assertEquals(Map.of("metrics", 9090), found.getPortsMap());
    assertEquals(250, found.getWeight());
    assertEquals("eu-1a", found.getZone());
    assertEquals("1.4.2", found.getVersion());
    assertEquals(Map.of("team", "payments"), found.getMetadataMap());
    assertEquals(InstanceStatus.INSTANCE_STATUS_UP, found.getStatus());
    assertEquals(HealthState.HEALTH_STATE_HEALTHY, found.getHealth());
    assertEquals(registered.getEpoch(), found.getEpoch());
  }

  @Test
  void weightDefaultsTo100AndZeroIsKept() {
    registry.register(Instances.register(Instances.of(service).setInstanceId("default-weight")));
    registry.register(Instances.register(Instances.of(service).setInstanceId("zero").setWeight(0)));

    Map<String, Integer> weights =
        awaitInstances(DiscoverRequest.newBuilder().setService(service), 2).stream()
            .collect(Collectors.toMap(Instance::getInstanceId, Instance::getWeight));

    assertEquals(Map.of("default-weight", 100, "zero", 0), weights);
  }

  @Test
  void instanceIdDefaultsToHostAndPort() {
    RegisterResponse registered =
        registry.register(
            Instances.register(Instances.of(service).clearInstanceId().setHost("h1").setPort(81)));

    assertEquals("h1:81", registered.getInstanceId());
  }

  @Test
  void registeringAgainRaisesTheEpochAndGivesALeaseIdOfItsOwn() {
    RegisterResponse first =
        registry.register(Instances.register(Instances.of(service).setInstanceId("a")));
    RegisterResponse second =
        registry.register(Instances.register(Instances.of(service).setInstanceId("a")));

    assertTrue(second.getEpoch() > first.getEpoch());
    assertNotEquals(first.getLeaseId(), second.getLeaseId());
    assertEquals(
        first.getGrantedTtl(),
        registry.heartbeat(heartbeat(second.getLeaseId(), 0)).getGrantedTtl(),
        "epoch 0: the lease id names its own");
    awaitInstances(DiscoverRequest.newBuilder().setService(service), 1);
  }

  @Test
  void filtersSelectByZoneMetadataVersionAndHealth() {
    registry.register(
        Instances.register(
            Instances.of(service)
                .setInstanceId("a")
                .setZone("z1")
                .setVersion("2")
                .putMetadata("tier", "gold")));
    registry.register(
        Instances.register(
            Instances.of(service)
                .setInstanceId("b")
                .setZone("z2")
                .setVersion("1")
                .putMetadata("tier", "gold")));
    registry.register(
        Instances.register(Instances.of(service).setInstanceId("c").setZone("z2").setVersion("2")));
    registry.setStatus(
        SetStatusRequest.newBuilder()
            .setKey(key("c"))
            .setStatus(InstanceStatus.INSTANCE_STATUS_OUT_OF_SERVICE)
            .build());
    awaitInstances(DiscoverRequest.newBuilder().setService(service).setIncludeUnhealthy(true), 3);

    assertEquals(List.of("a", "b"), ids(DiscoverRequest.newBuilder().setService(service)));
    assertEquals(
        List.of("a", "b", "c"),
        ids(DiscoverRequest.newBuilder().setService(service).setIncludeUnhealthy(true)));
    assertEquals(
        List.of("b"), ids(DiscoverRequest.newBuilder().setService(service).setPreferredZone("z2")));
    assertEquals(
        List.of("a"), ids(DiscoverRequest.newBuilder().setService(service).setVersion("2")));
    assertEquals(
        List.of("a", "b"),
        ids(DiscoverRequest.newBuilder().setService(service).putMetadataSelector("tier", "gold")));
    DiscoverResponse fallback =
        discovery.discover(
            DiscoverRequest.newBuilder().setService(service).setPreferredZone("z9").build());
    assertTrue(fallback.getZoneFallback());
    assertEquals(2, fallback.getInstancesCount());
  }

  @Test
  void discoverAnswersOnTheWireAreTheOnesBuiltFromTheView() {
    registry.register(
        Instances.register(Instances.of(service).setInstanceId("a").setZone("z1").setVersion("2")));
    registry.register(
        Instances.register(
            Instances.of(service).setInstanceId("b").putMetadata("tier", "gold").setWeight(7)));
    awaitInstances(DiscoverRequest.newBuilder().setService(service), 2);
    ServiceView current = node.view().get(new ServiceKey("default", service));

    long incarnation =
        discovery
            .discover(DiscoverRequest.newBuilder().setService(service).build())
            .getIncarnation();
    assertTrue(incarnation > 0, "every answer names the registry's incarnation");
    for (DiscoveryQuery query :
        List.of(
            new DiscoveryQuery(current.key(), "", Map.of(), false, ""),
            new DiscoveryQuery(current.key(), "z1", Map.of(), false, ""),
            new DiscoveryQuery(current.key(), "", Map.of("tier", "gold"), true, ""),
            new DiscoveryQuery(current.key(), "", Map.of(), false, "2"))) {
      DiscoverRequest request =
          DiscoverRequest.newBuilder()
              .setService(service)
              .setPreferredZone(query.preferredZone())
              .putAllMetadataSelector(query.metadataSelector())
              .setIncludeUnhealthy(query.includeUnhealthy())
              .setVersion(query.version())
              .build();
      DiscoverResponse built = DiscoverAnswers.build(current, query, incarnation);
      // Twice: the first call may build the answer, the second is served from the cache.
      assertEquals(built, discovery.discover(request));
      assertEquals(built, discovery.discover(request));
    }
  }

  @Test
  void drainingInstanceStaysListedButMarked() {
    registry.register(Instances.register(Instances.of(service).setInstanceId("a")));
    registry.setStatus(
        SetStatusRequest.newBuilder()
            .setKey(key("a"))
            .setStatus(InstanceStatus.INSTANCE_STATUS_DRAINING)
            .build());

    await()
        .atMost(java.time.Duration.ofSeconds(10))
        .until(
            () ->
                discovery
                    .discover(DiscoverRequest.newBuilder().setService(service).build())
                    .getInstancesList()
                    .stream()
                    .anyMatch(i -> i.getStatus() == InstanceStatus.INSTANCE_STATUS_DRAINING));
  }

  @Test
  void deregisteredInstanceDisappearsAndItsLeaseIsUnknown() {
    RegisterResponse registered =
        registry.register(Instances.register(Instances.of(service).setInstanceId("a")));
    awaitInstances(DiscoverRequest.newBuilder().setService(service), 1);

    registry.deregister(DeregisterRequest.newBuilder().setKey(key("a")).build());

    awaitInstances(DiscoverRequest.newBuilder().setService(service), 0);
    assertStatus(
        Status.Code.NOT_FOUND,
        () -> registry.heartbeat(heartbeat(registered.getLeaseId(), registered.getEpoch())));
    assertStatus(
        Status.Code.NOT_FOUND,
        () -> registry.deregister(DeregisterRequest.newBuilder().setKey(key("a")).build()));
  }

  @Test
  void heartbeatRenewsAndRefusesAReplacedEpoch() {
    RegisterResponse first =
        registry.register(Instances.register(Instances.of(service).setInstanceId("a")));
    assertEquals(
        first.getGrantedTtl(),
        registry.heartbeat(heartbeat(first.getLeaseId(), first.getEpoch())).getGrantedTtl());

    RegisterResponse second =
        registry.register(Instances.register(Instances.of(service).setInstanceId("a")));

    StatusRuntimeException stale =
        assertStatus(
            Status.Code.FAILED_PRECONDITION,
            () -> registry.heartbeat(heartbeat(first.getLeaseId(), first.getEpoch())));
    assertTrue(stale.getStatus().getDescription().contains("epoch " + second.getEpoch()));
    assertStatus(
        Status.Code.FAILED_PRECONDITION,
        () ->
            registry.deregister(
                DeregisterRequest.newBuilder()
                    .setKey(key("a"))
                    .setEpoch(first.getEpoch())
                    .build()));
  }

  @Test
  void keepAliveStreamAnswersEveryLeaseWithItsState() {
    RegisterResponse replaced =
        registry.register(Instances.register(Instances.of(service).setInstanceId("a")));
    RegisterResponse a =
        registry.register(Instances.register(Instances.of(service).setInstanceId("a")));
    List<KeepAliveResponse> answers = new CopyOnWriteArrayList<>();
    StreamObserver<KeepAliveRequest> requests =
        RegistryServiceGrpc.newStub(channel).keepAlive(collecting(answers));

    requests.onNext(keepAlive(a.getLeaseId(), a.getEpoch()));
    // Shaped as a lease id of this service, with a made-up tag: the registry never issued it.
    requests.onNext(keepAlive("default/" + service + "/ghost/7.AAAAAAAAAAAAAAAAAAAAAA", 0));
    requests.onNext(keepAlive(replaced.getLeaseId(), replaced.getEpoch()));
    requests.onNext(keepAlive("not a lease", 0));
    requests.onNext(keepAlive(a.getLeaseId(), replaced.getEpoch())); // not the lease id's epoch

    await().atMost(java.time.Duration.ofSeconds(10)).until(() -> answers.size() == 5);
    Map<String, LeaseState> states =
        answers.stream()
            .collect(
                Collectors.toMap(
                    r -> r.getLeaseId() + "#" + r.getEpoch(),
                    KeepAliveResponse::getState,
                    (x, y) -> x));
    assertTrue(answers.stream().anyMatch(r -> r.getState() == LeaseState.LEASE_STATE_ACTIVE));
    assertTrue(answers.stream().anyMatch(r -> r.getState() == LeaseState.LEASE_STATE_NOT_FOUND));
    assertTrue(
        answers.stream().anyMatch(r -> r.getState() == LeaseState.LEASE_STATE_STALE_EPOCH),
        states.toString());
    assertTrue(answers.stream().anyMatch(r -> r.getState() == LeaseState.LEASE_STATE_INVALID));
    requests.onCompleted();
  }

  @Test
  void listServicesPagesInNameOrder() {
    String prefix = service + "-";
    for (String suffix : List.of("c", "a", "b")) {
      registry.register(Instances.register(Instances.of(prefix + suffix)));
    }
    await()
        .atMost(java.time.Duration.ofSeconds(10))
        .until(() -> listAll().stream().filter(s -> s.startsWith(prefix)).count() == 3);

    ListServicesResponse page =
        discovery.listServices(ListServicesRequest.newBuilder().setPageSize(1).build());
    assertEquals(1, page.getServicesCount());
    assertFalse(page.getNextPageToken().isEmpty());
    List<String> all = listAll().stream().filter(s -> s.startsWith(prefix)).toList();
    assertEquals(List.of(prefix + "a", prefix + "b", prefix + "c"), all);
  }

  @Test
  void clusterStatusHealthAndReflectionAreServed() {
    ClusterStatusResponse status =
        ClusterServiceGrpc.newBlockingStub(channel)
            .clusterStatus(ClusterStatusRequest.getDefaultInstance());
    assertEquals(1, status.getMembersCount());
    assertTrue(status.getMembers(0).getLeader());
    assertTrue(status.getQuorum().getHasQuorum());
    assertEquals(status.getNodeId(), status.getLeaderId());

    assertEquals(
        HealthCheckResponse.ServingStatus.SERVING,
        HealthGrpc.newBlockingStub(channel)
            .check(HealthCheckRequest.getDefaultInstance())
            .getStatus());

    List<ServerReflectionResponse> answers = new CopyOnWriteArrayList<>();
    StreamObserver<ServerReflectionRequest> reflection =
        ServerReflectionGrpc.newStub(channel).serverReflectionInfo(collecting(answers));
    reflection.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    await().atMost(java.time.Duration.ofSeconds(10)).until(() -> !answers.isEmpty());
    reflection.onCompleted();
    List<String> names =
        answers.get(0).getListServicesResponse().getServiceList().stream()
            .map(s -> s.getName())
            .toList();
    assertTrue(names.contains("roster.v1.RegistryService"), names.toString());
    assertTrue(names.contains("roster.v1.DiscoveryService"), names.toString());
  }

  private List<String> listAll() {
    List<String> names = new java.util.ArrayList<>();
    String token = "";
    do {
      ListServicesResponse page =
          discovery.listServices(
              ListServicesRequest.newBuilder().setPageSize(2).setPageToken(token).build());
      page.getServicesList().forEach(s -> names.add(s.getService()));
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    return names;
  }

  private InstanceKey key(String id) {
    return InstanceKey.newBuilder().setService(service).setInstanceId(id).build();
  }

  private List<String> ids(DiscoverRequest.Builder request) {
    return discovery.discover(request.build()).getInstancesList().stream()
        .map(Instance::getInstanceId)
        .toList();
  }

  private List<Instance> awaitInstances(DiscoverRequest.Builder request, int count) {
    return await()
        .atMost(java.time.Duration.ofSeconds(10))
        .until(
            () -> discovery.discover(request.build()).getInstancesList(),
            list -> list.size() == count);
  }

  private static HeartbeatRequest heartbeat(String leaseId, long epoch) {
    return HeartbeatRequest.newBuilder().setLeaseId(leaseId).setEpoch(epoch).build();
  }

  private static KeepAliveRequest keepAlive(String leaseId, long epoch) {
    return KeepAliveRequest.newBuilder().setLeaseId(leaseId).setEpoch(epoch).build();
  }

  static StatusRuntimeException assertStatus(Status.Code code, Runnable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
    assertEquals(code, e.getStatus().getCode(), String.valueOf(e.getStatus().getDescription()));
    return e;
  }

  private static <T> StreamObserver<T> collecting(List<T> into) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        into.add(value);
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    };
  }
}
