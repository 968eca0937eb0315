package io.roster.node.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.StreamObserver;
import io.roster.node.RegistryNode;
import io.roster.node.SingleNode;
import io.roster.testing.Instances;
import io.roster.testing.TestCertificates;
import io.roster.testing.TestCertificates.Issued;
import io.roster.v1.ChangeType;
import io.roster.v1.ClusterServiceGrpc;
import io.roster.v1.ClusterStatusRequest;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.RegistryServiceGrpc;
import io.roster.v1.WatchRequest;
import io.roster.v1.WatchResponse;
import io.roster.v1.WatchTarget;
import java.io.IOException;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS on the API port, over real gRPC and HTTP on loopback: TLS only, client certificates asked for
 * or required, and a certificate rotated under an open Watch stream.
 */
@Timeout(180)
class ApiTlsTest {

  @TempDir static Path dir;
  private static TestCertificates ca;
  private static Issued client;

  @BeforeAll
  static void issueCertificates() {
    ca = TestCertificates.createCa(dir, "Roster test CA");
    ca.issueServer(dir, "node");
    client = ca.issueClient(dir, "client-1");
  }

  @Test
  void tlsOnlyServesTlsCallersAndRefusesPlaintextOnes() throws Exception {
    try (RegistryNode node = start("tls-only")) {
      ManagedChannel secure = channel(node, tls(null));
      ManagedChannel plain = channel(node, InsecureChannelCredentials.create());
      try {
        assertEquals(1, clusterStatus(secure).getMembersCount());

        StatusRuntimeException refused =
            assertThrows(StatusRuntimeException.class, () -> clusterStatus(plain));
        assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode(), describe(refused));

        HttpResponse<String> answer = https(node, ca.clientContext(null), "/v1/cluster");
        assertEquals(200, answer.statusCode(), answer.body());
        assertTrue(answer.body().contains("\"members\""), answer.body());
        HttpResponse<String> metrics = https(node, ca.clientContext(null), "/metrics");
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.body().contains("roster_tls_certificate_expiry_seconds"));
        assertThrows(
            IOException.class,
            () ->
                HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .build()
                    .send(
                        HttpRequest.newBuilder(
                                URI.create("http://localhost:" + node.apiPort() + "/v1/cluster"))
                            .timeout(Duration.ofSeconds(10))
                            .build(),
                        HttpResponse.BodyHandlers.ofString()),
            "plaintext HTTP to a TLS port");
      } finally {
        secure.shutdownNow();
        plain.shutdownNow();
      }
    }
  }

  @Test
  void requiredClientCertificatesRefuseCallersWithoutOne() throws Exception {
    Path otherDir = Files.createDirectories(dir.resolve("other"));
    Issued stranger =
        TestCertificates.createCa(otherDir, "Another CA").issueClient(otherDir, "stranger");
    try (RegistryNode node =
        start("mtls", "--api.tls.client-ca-file=" + ca.caFile(), "--api.tls.client-auth=require")) {
      ManagedChannel withCertificate = channel(node, tls(client));
      ManagedChannel without = channel(node, tls(null));
      ManagedChannel withForeign = channel(node, tls(stranger));
      try {
        assertEquals(1, clusterStatus(withCertificate).getMembersCount());

        StatusRuntimeException refused =
            assertThrows(StatusRuntimeException.class, () -> clusterStatus(without));
        assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode(), describe(refused));
        StatusRuntimeException foreign =
            assertThrows(StatusRuntimeException.class, () -> clusterStatus(withForeign));
        assertEquals(Status.Code.UNAVAILABLE, foreign.getStatus().getCode(), describe(foreign));

        assertEquals(200, https(node, ca.clientContext(client), "/v1/cluster").statusCode());
        assertThrows(
            IOException.class,
            () -> https(node, ca.clientContext(null), "/v1/cluster"),
            "HTTP/JSON without a client certificate");
      } finally {
        withCertificate.shutdownNow();
        without.shutdownNow();
        withForeign.shutdownNow();
      }
    }
  }

  @Test
  void aClientCertificateNamedInTheAccessFileIsItsPrincipal() throws Exception {
    Path accessDir = Files.createDirectories(dir.resolve("access"));
    Issued orders = ca.issueClient(accessDir, "orders.internal");
    Issued unnamed = ca.issueClient(accessDir, "someone-else");
    Path accessFile = accessDir.resolve("access");
    Files.writeString(accessFile, "cert orders.internal orders:register,orders:read\n");
    try (RegistryNode node =
        start(
            "mtls-access",
            "--api.tls.client-ca-file=" + ca.caFile(),
            "--api.tls.client-auth=require",
            "--security.access-file=" + accessFile)) {
      ManagedChannel asOrders = channel(node, tls(orders));
      ManagedChannel asUnnamed = channel(node, tls(unnamed));
      try {
        RegistryServiceGrpc.newBlockingStub(asOrders)
            .withDeadlineAfter(30, TimeUnit.SECONDS)
            .register(
                Instances.register(
                    Instances.of("shipping").setNamespace("orders").setInstanceId("o-1")));

        StatusRuntimeException elsewhere =
            assertThrows(StatusRuntimeException.class, () -> register(asOrders, "shipping", "d-1"));
        assertEquals(Status.Code.PERMISSION_DENIED, elsewhere.getStatus().getCode());
        assertTrue(
            elsewhere
                .getStatus()
                .getDescription()
                .startsWith("orders.internal may not call Register"),
            describe(elsewhere));
        StatusRuntimeException unknown =
            assertThrows(StatusRuntimeException.class, () -> clusterStatus(asUnnamed));
        assertEquals(Status.Code.UNAUTHENTICATED, unknown.getStatus().getCode());
        assertTrue(
            unknown.getStatus().getDescription().contains("[someone-else]"), describe(unknown));
      } finally {
        asOrders.shutdownNow();
        asUnnamed.shutdownNow();
      }
    }
  }

  @Test
  void requestedClientCertificatesAreOptional() throws Exception {
    try (RegistryNode node =
        start(
            "mtls-optional",
            "--api.tls.client-ca-file=" + ca.caFile(),
            "--api.tls.client-auth=request")) {
      ManagedChannel withCertificate = channel(node, tls(client));
      ManagedChannel without = channel(node, tls(null));
      try {
        assertEquals(1, clusterStatus(withCertificate).getMembersCount());
        assertEquals(1, clusterStatus(without).getMembersCount());
      } finally {
        withCertificate.shutdownNow();
        without.shutdownNow();
      }
    }
  }

  @Test
  void aRotatedCertificateReachesNewConnectionsWhileOpenStreamsGoOn() throws Exception {
    Path rotating = Files.createDirectories(dir.resolve("rotating"));
    Path certFile = rotating.resolve("node.pem");
    Path keyFile = rotating.resolve("node.key");
    Issued first = ca.issueServer("node-first", certFile, keyFile);
    String service = "rotated";
    try (RegistryNode node =
        SingleNode.start(
            "tls-rotation",
            "--api.tls.enabled=true",
            "--api.tls.cert-chain-file=" + certFile,
            "--api.tls.private-key-file=" + keyFile,
            "--api.tls.client-ca-file=" + ca.caFile(),
            "--api.tls.reload-interval-ms=200",
            // Two listeners sharing the port: both must serve the new certificate.
            "--api.event-loops=2")) {
      SSLContext context = ca.clientContext(client);
      assertEquals(first.serial(), presentedSerial(node, context));
      ManagedChannel channel = channel(node, tls(client));
      try {
        Watcher watcher = new Watcher();
        DiscoveryServiceGrpc.newStub(channel)
            .watch(
                WatchRequest.newBuilder()
                    .addTargets(WatchTarget.newBuilder().setService(service))
                    .build(),
                watcher);
        await().atMost(Duration.ofSeconds(20)).until(() -> !watcher.received.isEmpty());
        register(channel, service, "before");
        watcher.awaitAdded("before");

        Issued second = ca.issueServer("node-second", certFile, keyFile);
        await("new connections get the rotated certificate")
            .atMost(Duration.ofSeconds(20))
            .untilAsserted(
                () -> {
                  for (int i = 0; i < 4; i++) { // each listener in turn takes a connection
                    assertEquals(second.serial(), presentedSerial(node, context));
                  }
                });
        assertEquals(1.0, metric(node, context, "roster_tls_reloads_total{outcome=\"applied\"}"));
        ManagedChannel fresh = channel(node, tls(client));
        try {
          assertEquals(1, clusterStatus(fresh).getMembersCount(), "gRPC on a new connection");
        } finally {
          fresh.shutdownNow();
        }

        // The stream opened under the first certificate hears what happens after the rotation.
        register(channel, service, "after");
        watcher.awaitAdded("after");
        assertNull(watcher.error.get(), "the open Watch stream ended");

        // A broken rotation: refused, counted once, and the rotated certificate stays.
        TestCertificates.writeAtomically(certFile, "not a certificate\n");
        await("the broken file is refused")
            .atMost(Duration.ofSeconds(20))
            .until(
                () ->
                    metric(node, context, "roster_tls_reloads_total{outcome=\"rejected\"}") == 1.0);
        assertEquals(second.serial(), presentedSerial(node, context));
        register(channel, service, "after-broken");
        watcher.awaitAdded("after-broken");
        assertNull(watcher.error.get(), "the open Watch stream ended");
        assertEquals(1.0, metric(node, context, "roster_tls_reloads_total{outcome=\"rejected\"}"));
      } finally {
        channel.shutdownNow();
      }
    }
  }

  private static RegistryNode start(String name, String... flags) {
    List<String> all = new ArrayList<>();
    all.add("--api.tls.enabled=true");
    all.add("--api.tls.cert-chain-file=" + dir.resolve("node.pem"));
    all.add("--api.tls.private-key-file=" + dir.resolve("node.key"));
    all.addAll(List.of(flags));
    return SingleNode.start(name, all.toArray(String[]::new));
  }

  private static ChannelCredentials tls(Issued clientCertificate) throws IOException {
    TlsChannelCredentials.Builder credentials =
        TlsChannelCredentials.newBuilder().trustManager(ca.caFile().toFile());
    if (clientCertificate != null) {
      credentials.keyManager(
          clientCertificate.certFile().toFile(), clientCertificate.keyFile().toFile());
    }
    return credentials.build();
  }

  private static ManagedChannel channel(RegistryNode node, ChannelCredentials credentials) {
    return Grpc.newChannelBuilderForAddress("localhost", node.apiPort(), credentials).build();
  }

  private static io.roster.v1.ClusterStatusResponse clusterStatus(ManagedChannel channel) {
    return ClusterServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .clusterStatus(ClusterStatusRequest.getDefaultInstance());
  }

  private static void register(ManagedChannel channel, String service, String id) {
    RegistryServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .register(Instances.register(Instances.of(service).setInstanceId(id)));
  }

  private static HttpResponse<String> https(RegistryNode node, SSLContext context, String path)
      throws IOException, InterruptedException {
    return HttpClient.newBuilder()
        .sslContext(context)
        .connectTimeout(Duration.ofSeconds(10))
        .build()
        .send(
            HttpRequest.newBuilder(URI.create("https://localhost:" + node.apiPort() + path))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  /** The serial number of the certificate the node presents on a new connection. */
  private static BigInteger presentedSerial(RegistryNode node, SSLContext context)
      throws IOException {
    try (SSLSocket socket =
        (SSLSocket) context.getSocketFactory().createSocket("localhost", node.apiPort())) {
      socket.setSoTimeout(10_000);
      socket.startHandshake();
      return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
    }
  }

  /** One sample of the node's /metrics, by its full name with labels. */
  private static double metric(RegistryNode node, SSLContext context, String sample)
      throws IOException, InterruptedException {
    for (String line : https(node, context, "/metrics").body().split("\n")) {
      if (line.startsWith(sample + " ")) {
        return Double.parseDouble(line.substring(sample.length() + 1).trim());
      }
    }
    return 0;
  }

  private static String describe(StatusRuntimeException e) {
    return e.getStatus() + (e.getCause() == null ? "" : " caused by " + e.getCause());
  }

  /** A Watch stream's messages, and how it ended if it did. */
  private static final class Watcher implements StreamObserver<WatchResponse> {
    final List<WatchResponse> received = new CopyOnWriteArrayList<>();
    final AtomicReference<Throwable> error = new AtomicReference<>();

    @Override
    public void onNext(WatchResponse value) {
      received.add(value);
    }

    @Override
    public void onError(Throwable t) {
      error.set(t);
    }

    @Override
    public void onCompleted() {
      error.set(new IllegalStateException("the node completed the stream"));
    }

    void awaitAdded(String instanceId) {
      await("the Watch stream tells of " + instanceId)
          .atMost(Duration.ofSeconds(20))
          .failFast(() -> error.get() != null)
          .until(
              () ->
                  received.stream()
                          .filter(WatchResponse::hasChanges)
                          .flatMap(r -> r.getChanges().getChangesList().stream())
                          .anyMatch(
                              c ->
                                  c.getType() != ChangeType.CHANGE_TYPE_REMOVED
                                      && c.getInstance().getInstanceId().equals(instanceId))
                      || received.stream()
                          .filter(WatchResponse::hasSnapshot)
                          .flatMap(r -> r.getSnapshot().getInstancesList().stream())
                          .anyMatch(i -> i.getInstanceId().equals(instanceId)));
    }
  }
}
