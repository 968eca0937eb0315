package io.roster.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.TlsChannelCredentials;
import io.roster.client.cli.RosterCli;
import io.roster.testing.RosterCluster;
import io.roster.testing.TestCertificates;
import io.roster.testing.TestCertificates.Issued;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java client and the {@code roster} CLI against a real node that requires client certificates
 * (mutual TLS): with the CA and a client certificate they work; with a setting missing they fail
 * saying which one.
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

  @Test
  void theCliWithTheCaAndACertificateCallsTheNode() {
    Run run =
        cli(
            "--target",
            address,
            "--ca-file",
            ca.caFile().toString(),
            "--cert-file",
            client.certFile().toString(),
            "--key-file",
            client.keyFile().toString(),
            "status");
    assertEquals(0, run.code, run.err);
    assertTrue(run.out.contains("\"members\""), run.out);
  }

  @Test
  void theCliSaysWhichTlsSettingIsMissing() throws IOException {
    Run plaintext = cli("--target", address, "status");
    assertEquals(1, plaintext.code);
    assertTrue(plaintext.err.contains("if it speaks TLS, give --tls and --ca-file"), plaintext.err);

    Run noCertificate = cli("--target", address, "--ca-file", ca.caFile().toString(), "status");
    assertEquals(1, noCertificate.code);
    assertTrue(
        noCertificate.err.contains(
            "the node requires a client certificate: give --cert-file and --key-file"),
        noCertificate.err);

    Path otherDir = Files.createDirectories(dir.resolve("other"));
    TestCertificates other = TestCertificates.createCa(otherDir, "Another CA");
    Run untrusted = cli("--target", address, "--ca-file", other.caFile().toString(), "status");
    assertEquals(1, untrusted.code);
    assertTrue(untrusted.err.contains("give --ca-file with the CA that signed it"), untrusted.err);

    Run foreign =
        cli(
            "--target",
            address,
            "--ca-file",
            ca.caFile().toString(),
            "--cert-file",
            other.issueClient(otherDir, "stranger").certFile().toString(),
            "--key-file",
            otherDir.resolve("stranger.key").toString(),
            "status");
    assertEquals(1, foreign.code);
    assertTrue(foreign.err.contains("the node refused the client certificate"), foreign.err);

    Run halfCertificate =
        cli("--target", address, "--cert-file", client.certFile().toString(), "status");
    assertEquals(64, halfCertificate.code);
    assertTrue(halfCertificate.err.contains("--cert-file is given without --key-file"));
  }

  private record Run(int code, String out, String err) {}

  private static Run cli(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    List<String> all = new ArrayList<>(List.of("--timeout-ms", "10000"));
    all.addAll(List.of(args));
    int code =
        RosterCli.run(
            all.toArray(String[]::new),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
