package io.roster.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.TlsChannelCredentials;
import io.roster.testing.RosterCluster;
import io.roster.testing.TestCertificates;
import io.roster.testing.TestCertificates.Issued;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java client against a real node that requires client certificates (mutual TLS): with the CA
 * and a client certificate it works; without a certificate it fails saying to give one.
 * (registry-cli's MutualTlsCliIT does the same for the {@code roster} CLI.)
 */
@Timeout(180)
class MutualTlsIT {

  @TempDir static Path dir;
  private static TestCertificates ca;
  private static Issued client;
  private static RosterCluster cluster;
  private static String address;

  @BeforeAll
  static void startSecureNode() throws IOException {
    ca = TestCertificates.createCa(dir, "Roster test CA");
    Issued node = ca.issueServer(dir, "node");
    client = ca.issueClient(dir, "client-1");
    cluster =
        RosterCluster.builder()
            .size(1)
            .channelCredentials(
                TlsChannelCredentials.newBuilder()
                    .trustManager(ca.caFile().toFile())
                    .keyManager(client.certFile().toFile(), client.keyFile().toFile())
                    .build())
            .flags(
                "--api.tls.enabled=true",
                "--api.tls.cert-chain-file=" + node.certFile(),
                "--api.tls.private-key-file=" + node.keyFile(),
                "--api.tls.client-ca-file=" + ca.caFile())
            .start();
    address = cluster.node(0).apiAddress();
  }

  @AfterAll
  static void stopNode() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void theJavaClientWithACertificateRegistersAndDiscovers() {
    RosterClientOptions options =
        RosterClientOptions.defaults()
            .nodes(address)
            .tlsEnabled(true)
            .tlsTrustCertificateFile(ca.caFile())
            .tlsClientCertificate(client.certFile(), client.keyFile())
            .shutdownHook(false)
            .drainDelay(Duration.ZERO)
            .build();
    try (RosterClient roster = RosterClient.create(options);
        Registration registration =
            roster.register(ServiceInstance.builder("secure-orders", "10.0.0.7", 8080).build())) {
      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(
              () ->
                  assertEquals(
                      List.of(registration.instanceId()),
                      roster.discover("secure-orders").healthy().stream()
                          .map(ServiceInstance::instanceId)
                          .toList()));
    }
  }

  @Test
  void theJavaClientWithoutACertificateIsToldToGiveOne() {
    RosterClientOptions options =
        RosterClientOptions.defaults()
            .nodes(address)
            .tlsEnabled(true)
            .tlsTrustCertificateFile(ca.caFile())
            .shutdownHook(false)
            .build();
    try (RosterClient roster = RosterClient.create(options)) {
      RosterException refused =
          assertThrows(
              RosterException.class,
              () -> roster.register(ServiceInstance.builder("refused", "10.0.0.8", 8080).build()));
      assertEquals(RosterException.Code.UNAVAILABLE, refused.code(), refused.getMessage());
      assertTrue(
          refused.getMessage().contains("the node requires a client certificate"),
          refused.getMessage());
    }
  }
}
