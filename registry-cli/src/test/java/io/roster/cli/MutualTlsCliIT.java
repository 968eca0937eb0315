package io.roster.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.TlsChannelCredentials;
import io.roster.testing.RosterCluster;
import io.roster.testing.TestCertificates;
import io.roster.testing.TestCertificates.Issued;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code roster} CLI against a real node that requires client certificates (mutual TLS): with
 * the CA and a client certificate it works; with a setting missing it fails saying which one.
 */
@Timeout(180)
class MutualTlsCliIT {

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
  void theCliWithTheCaAndACertificateCallsTheNode() {
    CliRun run =
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
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("\"members\""), run.out());
  }

  @Test
  void theCliSaysWhichTlsSettingIsMissing() throws IOException {
    CliRun plaintext = cli("--target", address, "status");
    assertEquals(1, plaintext.exitCode());
    assertTrue(
        plaintext.err().contains("if it speaks TLS, give --tls and --ca-file"), plaintext.err());

    CliRun noCertificate = cli("--target", address, "--ca-file", ca.caFile().toString(), "status");
    assertEquals(1, noCertificate.exitCode());
    assertTrue(
        noCertificate
            .err()
            .contains("the node requires a client certificate: give --cert-file and --key-file"),
        noCertificate.err());

    Path otherDir = Files.createDirectories(dir.resolve("other"));
    TestCertificates other = TestCertificates.createCa(otherDir, "Another CA");
    CliRun untrusted = cli("--target", address, "--ca-file", other.caFile().toString(), "status");
    assertEquals(1, untrusted.exitCode());
    assertTrue(
        untrusted.err().contains("give --ca-file with the CA that signed it"), untrusted.err());

    CliRun foreign =
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
    assertEquals(1, foreign.exitCode());
    assertTrue(foreign.err().contains("the node refused the client certificate"), foreign.err());

    CliRun halfCertificate =
        cli("--target", address, "--cert-file", client.certFile().toString(), "status");
    assertEquals(64, halfCertificate.exitCode());
    assertTrue(halfCertificate.err().contains("--cert-file is given without --key-file"));
  }

  private static CliRun cli(String... args) {
    List<String> all = new ArrayList<>(List.of("--timeout-ms", "10000"));
    all.addAll(List.of(args));
    return CliRun.of(all.toArray(String[]::new));
  }
}
