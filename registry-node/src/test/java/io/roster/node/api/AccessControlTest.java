package io.roster.node.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.roster.node.RegistryNode;
import io.roster.node.SingleNode;
import io.roster.node.access.AccessRules;
import io.roster.testing.Instances;
import io.roster.v1.ClusterServiceGrpc;
import io.roster.v1.ClusterStatusRequest;
import io.roster.v1.DeregisterRequest;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.HeartbeatRequest;
import io.roster.v1.InstanceKey;
import io.roster.v1.InstanceStatus;
import io.roster.v1.KeepAliveRequest;
import io.roster.v1.KeepAliveResponse;
import io.roster.v1.LeaseState;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import io.roster.v1.SetStatusRequest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who may do what, on one real node with an access file, over real gRPC and HTTP: callers without a
 * credential or with an unknown token are refused before any method runs, each role is allowed what
 * it grants in its namespaces and refused the rest (naming the role and namespace), a registration
 * can be changed only with its lease id or by an admin, and a token removed from the file is
 * refused from then on, without a restart.
 */
@Timeout(120)
class AccessControlTest {

  private static final String BILLING = "billing-token-0123456789abcdef";
  private static final String READER = "reader-token-0123456789abcdef";
  private static final String OPERATOR = "operator-token-0123456789abcdef";
  private static final String OTHER_BILLING = "other-billing-token-0123456789abcdef";
  private static final String EXPIRED = "expired-token-0123456789abcdef";

  @TempDir static Path dir;

  private static Path accessFile;
  private static RegistryNode node;
  private static ManagedChannel channel;
  private static final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void startNode() throws IOException {
    accessFile = dir.resolve("access");
    writeAccessFile(true);
    node = SingleNode.start("access-test", "--security.access-file=" + accessFile);
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", node.apiPort()).usePlaintext().build();
  }

  @AfterAll
  static void stopNode() {
    channel.shutdownNow();
    node.stop();
  }

  @Test
  void aCallWithoutACredentialOrWithAnUnknownOrExpiredTokenIsRefusedOnEveryApi() throws Exception {
    assertStatus(
        Status.Code.UNAUTHENTICATED,
        "no credential",
        () -> cluster(null).clusterStatus(ClusterStatusRequest.getDefaultInstance()));
    assertStatus(
        Status.Code.UNAUTHENTICATED,
        "not one this cluster knows",
        () -> discovery("made-up").discover(DiscoverRequest.newBuilder().setService("x").build()));

    StatusRuntimeException expired =
        assertStatus(
            Status.Code.UNAUTHENTICATED,
            "the bearer token of 'expired' expired at 2026-01-01T00:00:00Z",
            () -> cluster(EXPIRED).clusterStatus(ClusterStatusRequest.getDefaultInstance()));
    assertTrue(expired.getStatus().getDescription().contains("use a newer one"));
    assertEquals(401, get("/v1/discover?service=x", EXPIRED).statusCode());

    HttpResponse<String> anonymous = get("/v1/discover?service=x", null);
    HttpResponse<String> unknown = get("/v1/discover?service=x", "made-up");
    assertEquals(401, anonymous.statusCode(), anonymous.body());
    assertTrue(anonymous.body().contains("UNAUTHENTICATED"), anonymous.body());
    assertEquals(401, unknown.statusCode(), unknown.body());
  }

  @Test
  void eachRoleIsAllowedWhatItGrantsInItsNamespacesAndRefusedTheRest() throws Exception {
    RegisterResponse registered = register(BILLING, "billing", "invoices", "b-1");
    assertTrue(registered.getEpoch() > 0);
    discovery(READER)
        .discover(
            DiscoverRequest.newBuilder().setNamespace("billing").setService("invoices").build());

    StatusRuntimeException elsewhere =
        assertStatus(
            Status.Code.PERMISSION_DENIED,
            "billing may not call Register in namespace \"orders\": that needs the role register",
            () -> register(BILLING, "orders", "invoices", "b-2"));
    assertStatus(
        Status.Code.PERMISSION_DENIED,
        "reader may not call Register in namespace \"billing\"",
        () -> register(READER, "billing", "invoices", "r-1"));
    assertStatus(
        Status.Code.PERMISSION_DENIED,
        "that needs the role read",
        () ->
            discovery(READER)
                .discover(
                    DiscoverRequest.newBuilder()
                        .setNamespace("orders")
                        .setService("invoices")
                        .build()));
    assertTrue(elsewhere.getStatus().getDescription().contains("(or admin)"));

    HttpResponse<String> forbidden = get("/v1/discover?namespace=orders&service=invoices", READER);
    assertEquals(403, forbidden.statusCode(), forbidden.body());
    assertTrue(forbidden.body().contains("PERMISSION_DENIED"), forbidden.body());
    assertEquals(200, get("/v1/discover?namespace=billing&service=invoices", READER).statusCode());
  }

  @Test
  void aRegistrationIsChangedOnlyWithItsLeaseIdOrByAnAdmin() {
    RegisterResponse mine = register(BILLING, "billing", "payouts", "p-1");
    InstanceKey key =
        InstanceKey.newBuilder()
            .setNamespace("billing")
            .setService("payouts")
            .setInstanceId("p-1")
            .build();

    // The instance's name and epoch are public (Discover shows them); without the lease id
    // nobody but an admin may act on it.
    assertStatus(
        Status.Code.PERMISSION_DENIED,
        "only on registrations it made: send the lease_id",
        () ->
            registry(BILLING)
                .setStatus(
                    SetStatusRequest.newBuilder()
                        .setKey(key)
                        .setEpoch(mine.getEpoch())
                        .setStatus(InstanceStatus.INSTANCE_STATUS_OUT_OF_SERVICE)
                        .build()));
    assertStatus(
        Status.Code.PERMISSION_DENIED,
        "that needs the role admin",
        () -> registry(READER).deregister(DeregisterRequest.newBuilder().setKey(key).build()));
    String forged =
        "billing/payouts/p-1/" + mine.getEpoch() + ".AAAAAAAAAAAAAAAAAAAAAA"; // a guessed tag
    assertStatus(
        Status.Code.NOT_FOUND,
        "unknown lease",
        () ->
            registry(BILLING).heartbeat(HeartbeatRequest.newBuilder().setLeaseId(forged).build()));

    registry(BILLING)
        .setStatus(
            SetStatusRequest.newBuilder()
                .setLeaseId(mine.getLeaseId())
                .setStatus(InstanceStatus.INSTANCE_STATUS_DRAINING)
                .build());
    registry(BILLING)
        .heartbeat(HeartbeatRequest.newBuilder().setLeaseId(mine.getLeaseId()).build());
    registry(OPERATOR).deregister(DeregisterRequest.newBuilder().setKey(key).build());
  }

  @Test
  void anInstanceIdIsItsRegistrantsAndOnlyAnAdminTakesItOver() {
    register(BILLING, "billing", "owned", "o-1");

    assertStatus(
        Status.Code.PERMISSION_DENIED,
        "is registered by another principal",
        () -> register(OTHER_BILLING, "billing", "owned", "o-1"));
    register(BILLING, "billing", "owned", "o-1"); // the same principal, again: a new epoch
    register(OPERATOR, "billing", "owned", "o-1"); // an admin takes it over
    assertStatus(
        Status.Code.PERMISSION_DENIED,
        "is registered by another principal",
        () -> register(BILLING, "billing", "owned", "o-1"));
  }

  @Test
  void aKeepAliveStreamRenewsOnlyInTheNamespacesItsCallerMayRegisterIn() throws Exception {
    RegisterResponse lease = register(BILLING, "billing", "ledger", "l-1");

    assertEquals(LeaseState.LEASE_STATE_ACTIVE, keepAliveOnce(BILLING, lease).getState());
    KeepAliveResponse denied = keepAliveOnce(READER, lease);
    assertEquals(LeaseState.LEASE_STATE_DENIED, denied.getState());
    assertTrue(denied.getMessage().contains("needs the role register"), denied.getMessage());
  }

  @Test
  void aTokenTakenOutOfTheFileIsRefusedWithoutARestart() throws Exception {
    register(OPERATOR, "default", "revocation", "r-1");
    writeAccessFile(false);
    try {
      await("the node reads the access file again")
          .atMost(Duration.ofSeconds(20))
          .until(
              () -> {
                try {
                  cluster(OPERATOR).clusterStatus(ClusterStatusRequest.getDefaultInstance());
                  return false;
                } catch (StatusRuntimeException e) {
                  return e.getStatus().getCode() == Status.Code.UNAUTHENTICATED;
                }
              });
      register(BILLING, "billing", "still-there", "s-1");
    } finally {
      writeAccessFile(true);
      await("the operator is back")
          .atMost(Duration.ofSeconds(20))
          .ignoreExceptions()
          .until(
              () ->
                  cluster(OPERATOR).clusterStatus(ClusterStatusRequest.getDefaultInstance())
                      != null);
    }
  }

  private static void writeAccessFile(boolean withOperator) throws IOException {
    String text =
        "token "
            + AccessRules.sha256(BILLING)
            + " billing billing:register,billing:read\n"
            + "token "
            + AccessRules.sha256(READER)
            + " reader billing:read\n"
            + "token "
            + AccessRules.sha256(OTHER_BILLING)
            + " other-billing billing:register\n"
            + "token "
            + AccessRules.sha256(EXPIRED)
            + " expired *:admin expires=2026-01-01T00:00:00Z\n"
            + (withOperator ? "token " + AccessRules.sha256(OPERATOR) + " operator *:admin\n" : "");
    Path next = dir.resolve("access.next");
    Files.writeString(next, text);
    Files.move(next, accessFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  private static RegisterResponse register(
      String token, String namespace, String service, String id) {
    return registry(token)
        .register(
            Instances.register(Instances.of(service).setNamespace(namespace).setInstanceId(id)));
  }

  private static KeepAliveResponse keepAliveOnce(String token, RegisterResponse lease)
      throws Exception {
    CompletableFuture<KeepAliveResponse> answer = new CompletableFuture<>();
    StreamObserver<KeepAliveRequest> requests =
        RegistryServiceGrpc.newStub(channel)
            .withInterceptors(bearer(token))
            .keepAlive(
                new StreamObserver<>() {
                  @Override
                  public void onNext(KeepAliveResponse value) {
                    answer.complete(value);
                  }

                  @Override
                  public void onError(Throwable t) {
                    answer.completeExceptionally(t);
                  }

                  @Override
                  public void onCompleted() {}
                });
    requests.onNext(KeepAliveRequest.newBuilder().setLeaseId(lease.getLeaseId()).build());
    try {
      return answer.get(30, TimeUnit.SECONDS);
    } finally {
      requests.onCompleted();
    }
  }

  private static RegistryServiceGrpc.RegistryServiceBlockingStub registry(String token) {
    return RegistryServiceGrpc.newBlockingStub(channel)
        .withInterceptors(bearer(token))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static DiscoveryServiceGrpc.DiscoveryServiceBlockingStub discovery(String token) {
    return DiscoveryServiceGrpc.newBlockingStub(channel)
        .withInterceptors(bearer(token))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static ClusterServiceGrpc.ClusterServiceBlockingStub cluster(String token) {
    return ClusterServiceGrpc.newBlockingStub(channel)
        .withInterceptors(bearer(token))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static io.grpc.ClientInterceptor bearer(String token) {
    Metadata headers = new Metadata();
    if (token != null) {
      headers.put(
          Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    }
    return MetadataUtils.newAttachHeadersInterceptor(headers);
  }

  private static HttpResponse<String> get(String pathAndQuery, String token) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.apiPort() + pathAndQuery))
            .timeout(Duration.ofSeconds(30));
    if (token != null) {
      request.header("authorization", "Bearer " + token);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static StatusRuntimeException assertStatus(
      Status.Code code, String mentions, Supplier<?> call) {
    StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, call::get);
    assertEquals(code, refused.getStatus().getCode(), refused.getStatus().toString());
    assertTrue(
        refused.getStatus().getDescription().contains(mentions),
        refused.getStatus().getDescription());
    return refused;
  }
}
