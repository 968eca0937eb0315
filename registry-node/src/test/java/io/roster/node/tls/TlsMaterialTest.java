package io.roster.node.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.roster.node.config.ConfigException;
import io.roster.node.config.NodeConfig;
import io.roster.testing.TestCertificates;
import io.roster.testing.TestCertificates.Issued;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.ServerSSLOptions;
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

/** The checks TLS files pass before a node serves them, at start and at each rotation. */
@Timeout(60)
class TlsMaterialTest {

  private static Vertx vertx;
  @TempDir Path dir;

  @BeforeAll
  static void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stopVertx() {
    vertx.close();
  }

  @Test
  void aCertificateAndItsKeyAreServed() {
    TestCertificates ca = TestCertificates.createCa(dir, "CA");
    Issued node = ca.issueServer(dir, "node");

    TlsMaterial material = TlsMaterial.read(tls(node.certFile(), node.keyFile(), null), vertx);

    assertEquals(node.serial(), material.certificate().getSerialNumber());
    assertTrue(material.describe().contains("CN=node"), material.describe());
  }

  @Test
  void aKeyOfAnotherCertificateIsRefusedNamingTheKeyFile() {
    TestCertificates ca = TestCertificates.createCa(dir, "CA");
    Issued node = ca.issueServer(dir, "node");
    Issued other = ca.issueServer(dir, "other");

    assertMessage(
        "api.tls.private-key-file: the key in "
            + other.keyFile()
            + " does not belong to the certificate in "
            + node.certFile(),
        tls(node.certFile(), other.keyFile(), null));
  }

  @Test
  void malformedAndExpiredFilesAreRefusedNamingTheirKey() throws IOException {
    TestCertificates ca = TestCertificates.createCa(dir, "CA");
    Issued node = ca.issueServer(dir, "node");
    Path garbage = Files.writeString(dir.resolve("garbage.pem"), "hello\n");
    Issued expired = ca.issueExpiredServer(dir, "expired");

    assertMessage(
        "api.tls.cert-chain-file: " + garbage + " is not a PEM certificate file",
        tls(garbage, node.keyFile(), null));
    assertMessage(
        "api.tls.private-key-file: cannot load a private key from " + garbage,
        tls(node.certFile(), garbage, null));
    assertMessage(
        "api.tls.private-key-file: cannot load a private key from " + node.certFile(),
        tls(node.certFile(), node.certFile(), null));
    assertMessage(
        "api.tls.client-ca-file: " + garbage, tls(node.certFile(), node.keyFile(), garbage));
    assertMessage(
        "api.tls.cert-chain-file: the certificate in " + expired.certFile(),
        tls(expired.certFile(), expired.keyFile(), null));
    assertMessage(
        "api.tls.cert-chain-file: cannot read " + dir.resolve("gone.pem"),
        tls(dir.resolve("gone.pem"), node.keyFile(), null));
  }

  @Test
  void aRotationIsAppliedOnceAndABrokenOneIsReportedOnceWhileTheOldCertificateStays() {
    TestCertificates ca = TestCertificates.createCa(dir, "CA");
    Path cert = dir.resolve("node.pem");
    Path key = dir.resolve("node.key");
    Issued first = ca.issueServer("first", cert, key);
    NodeConfig.Tls config = tls(cert, key, null);
    List<ServerSSLOptions> applied = new ArrayList<>();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (TlsReloader reloader =
        new TlsReloader(
            config,
            vertx,
            TlsMaterial.read(config, vertx),
            options -> {
              applied.add(options);
              return Future.succeededFuture(true);
            },
            meters)) {
      reloader.check();
      assertEquals(List.of(), applied, "nothing changed");

      Issued second = ca.issueServer("second", cert, key);
      reloader.check();
      reloader.check();
      assertEquals(1, applied.size(), "applied once");
      assertEquals(second.serial(), reloader.current().certificate().getSerialNumber());

      // Half a rotation: a new certificate beside the old key. Not reported at once (the key may
      // be on its way); refused, and reported once, if it stays.
      Issued third = ca.issueServer(dir, "third");
      TestCertificates.writeAtomically(cert, TestCertificates.pem(third.certificate()));
      reloader.check();
      assertEquals(0.0, rejected(meters));
      reloader.check();
      reloader.check();
      reloader.check();
      assertEquals(1.0, rejected(meters));
      assertEquals(1, applied.size());
      assertEquals(second.serial(), reloader.current().certificate().getSerialNumber());

      // The key arrives: applied.
      TestCertificates.writeAtomically(
          key, TestCertificates.pem("PRIVATE KEY", third.privateKey().getEncoded()));
      reloader.check();
      assertEquals(2, applied.size());
      assertEquals(third.serial(), reloader.current().certificate().getSerialNumber());
      assertNotEquals(first.serial(), reloader.current().certificate().getSerialNumber());
      assertEquals(
          2.0, meters.get("roster.tls.reloads").tag("outcome", "applied").counter().count());
    }
  }

  private static double rejected(SimpleMeterRegistry meters) {
    return meters.get("roster.tls.reloads").tag("outcome", "rejected").counter().count();
  }

  private static NodeConfig.Tls tls(Path cert, Path key, Path clientCa) {
    return new NodeConfig.Tls(
        true,
        cert,
        key,
        clientCa,
        clientCa == null ? NodeConfig.ClientAuth.NONE : NodeConfig.ClientAuth.REQUIRE,
        1_000);
  }

  private static void assertMessage(String expected, NodeConfig.Tls config) {
    ConfigException e = assertThrows(ConfigException.class, () -> TlsMaterial.read(config, vertx));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}
