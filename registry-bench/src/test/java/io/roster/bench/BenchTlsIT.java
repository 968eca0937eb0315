package io.roster.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.TlsChannelCredentials;
import io.roster.testing.RosterCluster;
import io.roster.testing.TestCertificates;
import io.roster.testing.TestCertificates.Issued;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bench loads a node that requires client certificates: every channel it opens (the cluster's,
 * the slow watchers', the scale phase's Watch streams) speaks TLS with the CA and the client
 * certificate given.
 */
@Timeout(240)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BenchTlsIT {

  @TempDir static Path dir;
  private TestCertificates ca;
  private Issued client;
  private RosterCluster cluster;

  @BeforeAll
  void startSecureNode() throws IOException {
    ca = TestCertificates.createCa(dir, "Roster test CA");
    Issued node = ca.issueServer(dir, "node");
    client = ca.issueClient(dir, "bench");
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
  }

  @AfterAll
  void stopNode() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void everyChannelSpeaksMutualTls() {
    Path out = dir.resolve("results");
    Run run =
        bench(
            "--smoke",
            "--phases",
            "register,discover,slow-watchers,scale",
            "--ca-file",
            ca.caFile().toString(),
            "--cert-file",
            client.certFile().toString(),
            "--key-file",
            client.keyFile().toString(),
            "--out",
            out.toString());
    assertEquals(0, run.exitCode(), "exit code; output:\n" + run.printed());
    for (String phase : List.of("register", "discover", "slow-watchers", "scale")) {
      assertTrue(
          run.printed().contains("{\"phase\":\"" + phase + "\""),
          "no result for " + phase + ":\n" + run.printed());
    }
    assertTrue(run.printed().contains("\"ok\":true"), run.printed());
  }

  @Test
  void withoutTlsOptionsTheBenchStopsSayingWhichToGive() {
    Run run = bench("--smoke", "--phases", "register");
    assertEquals(3, run.exitCode(), run.printed());
    assertTrue(run.errors().contains("need --tls or --ca-file"), run.errors());

    Run half = bench("--smoke", "--cert-file", client.certFile().toString());
    assertEquals(BenchMain.EXIT_USAGE, half.exitCode(), half.errors());
    assertTrue(half.errors().contains("--cert-file is given without --key-file"), half.errors());
  }

  private record Run(int exitCode, String printed, String errors) {}

  private Run bench(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--targets");
    all.add(cluster.node(0).apiAddress());
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    int exitCode =
        BenchMain.execute(
            all.toArray(String[]::new),
            new PrintStream(stdout, true, StandardCharsets.UTF_8),
            new PrintStream(stderr, true, StandardCharsets.UTF_8),
            () -> false);
    return new Run(
        exitCode, stdout.toString(StandardCharsets.UTF_8), stderr.toString(StandardCharsets.UTF_8));
  }
}
