package io.roster.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java client against a real node that checks callers ({@code security.access-file}): with a
 * token it registers, keeps the lease alive and discovers; without one, or with one lacking the
 * role, it fails at once saying what to change. (registry-cli's BearerTokenCliIT does the same for
 * the {@code roster} CLI.)
 */
@Timeout(180)
class BearerTokenIT {

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
  void withATokenTheClientRegistersKeepsTheLeaseAliveAndDiscovers() {
    Duration leaseTtl = Duration.ofSeconds(2);
    RosterClientOptions options =
        options().tokenFile(serviceTokenFile).leaseTtl(leaseTtl).drainDelay(Duration.ZERO).build();
    try (RosterClient roster = RosterClient.create(options);
        Registration registration =
            roster.register(ServiceInstance.builder("token-orders", "10.0.0.7", 8080).build())) {
      List<String> expected = List.of(registration.instanceId());
      await().atMost(Duration.ofSeconds(10)).until(() -> healthy(roster).equals(expected));
      // Twice the TTL: only renewals on the KeepAlive stream, which carry the token, keep it.
      await()
          .during(leaseTtl.multipliedBy(2))
          .atMost(leaseTtl.multipliedBy(4))
          .until(
              () ->
                  healthy(roster).equals(expected)
                      && registration.state() == RegistrationState.ACTIVE);
    }
  }

  @Test
  void withoutATokenOrWithoutTheRoleTheClientFailsAtOnceSayingWhatToChange() {
    try (RosterClient roster = RosterClient.create(options().build())) {
      RosterException register =
          assertThrows(
              RosterException.class,
              () -> roster.register(ServiceInstance.builder("refused", "10.0.0.8", 8080).build()));
      assertEquals(RosterException.Code.UNAUTHENTICATED, register.code(), register.getMessage());
      assertTrue(register.getMessage().contains("set a token"), register.getMessage());

      RosterException discover =
          assertThrows(RosterException.class, () -> roster.discover("token-orders"));
      assertEquals(RosterException.Code.UNAUTHENTICATED, discover.code(), discover.getMessage());
      assertTrue(discover.getMessage().contains("set a token"), discover.getMessage());
    }
    try (RosterClient roster = RosterClient.create(options().token(READER_TOKEN).build())) {
      RosterException register =
          assertThrows(
              RosterException.class,
              () -> roster.register(ServiceInstance.builder("refused", "10.0.0.8", 8080).build()));
      assertEquals(RosterException.Code.PERMISSION_DENIED, register.code(), register.getMessage());
      assertTrue(
          register.getMessage().contains("that needs the role register")
              && register.getMessage().contains("security.access-file must grant"),
          register.getMessage());
    }
  }

  private static RosterClientOptions.Builder options() {
    return RosterClientOptions.defaults().nodes(address).shutdownHook(false);
  }

  private static List<String> healthy(RosterClient roster) {
    return roster.discover("token-orders").healthy().stream()
        .map(ServiceInstance::instanceId)
        .toList();
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
