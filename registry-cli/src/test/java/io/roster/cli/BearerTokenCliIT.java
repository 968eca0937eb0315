package io.roster.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CompositeChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.roster.client.internal.BearerToken;
import io.roster.testing.RosterCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code roster} CLI against a real node that checks callers ({@code security.access-file}):
 * with a token it registers and discovers; without one it fails at once saying what to give.
 */
@Timeout(180)
class BearerTokenCliIT {

  private static final String SERVICE_TOKEN = "orders-token-7c1f0e9a4b2d4e8f9a0b";
  private static final String READER_TOKEN = "reader-token-3d5e7f9a1b2c4d6e8f0a";
  private static final String ADMIN_TOKEN = "operator-token-0a9b8c7d6e5f4a3b2c1d";

  @TempDir static Path dir;
  private static Path serviceTokenFile;
  private static RosterCluster cluster;
  private static String address;

  @BeforeAll
  static void startNodeWithAccessFile() throws IOException {
    Path accessFile = dir.resolve("access");
    Files.writeString(
        accessFile,
        "token "
            + sha256(SERVICE_TOKEN)
            + " orders default:register,default:read\n"
            + "token "
            + sha256(READER_TOKEN)
            + " reader default:read\n"
            + "token "
            + sha256(ADMIN_TOKEN)
            + " operator *:admin\n");
    serviceTokenFile = dir.resolve("orders.token");
    Files.writeString(serviceTokenFile, SERVICE_TOKEN + "\n");
    cluster =
        RosterCluster.builder()
            .size(1)
            .channelCredentials(
                CompositeChannelCredentials.create(
                    InsecureChannelCredentials.create(), BearerToken.of(ADMIN_TOKEN, "test")))
            .flags("--security.access-file=" + accessFile)
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
  void theCliSendsItsToken() {
    CliRun registered =
        cli(
            "--token-file",
            serviceTokenFile.toString(),
            "register",
            "--service",
            "cli-orders",
            "--host",
            "10.0.0.9",
            "--port",
            "8080");
    assertEquals(0, registered.exitCode(), registered.err());
    assertTrue(registered.out().contains("\"leaseId\""), registered.out());

    CliRun discovered = cli("--token", READER_TOKEN, "discover", "--service", "cli-orders");
    assertEquals(0, discovered.exitCode(), discovered.err());
    assertTrue(discovered.out().contains("10.0.0.9"), discovered.out());

    CliRun refused = cli("discover", "--service", "cli-orders");
    assertEquals(1, refused.exitCode(), refused.err());
    assertTrue(
        refused.err().contains("error: UNAUTHENTICATED")
            && refused.err().contains("give --token-file"),
        refused.err());
  }

  @Test
  void aReaderMayNotDrainAndTopShowsWhatItMayRead() {
    CliRun refused =
        cli("--token", READER_TOKEN, "drain", "--service", "cli-orders", "--id", "10.0.0.9:8080");
    assertEquals(1, refused.exitCode(), refused.err());
    assertTrue(refused.err().contains("error: PERMISSION_DENIED"), refused.err());

    CliRun top = cli("--token", READER_TOKEN, "top", "--once");
    assertEquals(0, top.exitCode(), top.err());
  }

  private static CliRun cli(String... args) {
    List<String> all = new ArrayList<>(List.of("--target", address, "--timeout-ms", "10000"));
    all.addAll(List.of(args));
    return CliRun.of(all.toArray(String[]::new));
  }

  /** How the access file names a token: the SHA-256 of its UTF-8 bytes, in lower-case hex. */
  private static String sha256(String token) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
