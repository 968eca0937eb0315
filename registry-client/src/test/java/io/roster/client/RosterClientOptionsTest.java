package io.roster.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(10)
class RosterClientOptionsTest {

  @Test
  void localProfileNamesTheThreeLocalNodesWithLoopbackTimes() {
    RosterClientOptions local = RosterClientOptions.local().build();
    assertEquals(List.of("127.0.0.1:7101", "127.0.0.1:7102", "127.0.0.1:7103"), local.nodes());
    assertEquals(Duration.ofSeconds(2), local.callTimeout());
    assertEquals(Duration.ofMillis(500), local.drainDelay());
    assertEquals("default", local.namespace());
    assertTrue(local.maxStaleness().isEmpty(), "never drop stale endpoints by default");
    assertTrue(local.shutdownHook());
    assertFalse(local.tlsEnabled());
  }

  @Test
  void defaultsNeedNodes() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> RosterClientOptions.defaults().build());
    assertTrue(e.getMessage().contains("no registry nodes"), e.getMessage());
    RosterClientOptions lan = RosterClientOptions.defaults().nodes("roster.internal:7101").build();
    assertEquals(Duration.ofSeconds(3), lan.callTimeout());
    assertEquals(Duration.ofMillis(100), lan.keepAliveBackoffInitial());
    assertEquals(Duration.ofSeconds(3), lan.keepAliveBackoffMax());
  }

  @Test
  void invalidSettingsAreRefusedWithTheirName() {
    assertMessage("not host:port", RosterClientOptions.defaults().nodes("nohost"));
    assertMessage("not host:port", RosterClientOptions.defaults().nodes("::1:7101"));
    assertMessage("namespace", RosterClientOptions.local().namespace("Prod"));
    assertMessage("callTimeout", RosterClientOptions.local().callTimeout(Duration.ZERO));
    assertMessage(
        "longer than its max",
        RosterClientOptions.local().keepAliveBackoff(Duration.ofSeconds(5), Duration.ofSeconds(1)));
    assertMessage("backoffJitter", RosterClientOptions.local().backoffJitter(1.0));
    assertMessage(
        "TLS is not enabled",
        RosterClientOptions.local().tlsTrustCertificateFile(java.nio.file.Path.of("ca.pem")));
    RosterClientOptions ipv6 = RosterClientOptions.defaults().nodes("[::1]:7101").build();
    assertEquals(List.of("[::1]:7101"), ipv6.nodes());
  }

  @Test
  void tlsSettingsNeedTlsOnAndFilesThatExist(@TempDir Path dir) throws IOException {
    Path ca = Files.writeString(dir.resolve("ca.pem"), "x");
    Path cert = Files.writeString(dir.resolve("client.pem"), "x");
    Path key = Files.writeString(dir.resolve("client.key"), "x");
    assertMessage(
        "tlsClientCertificate is set but TLS is not enabled",
        RosterClientOptions.local().tlsClientCertificate(cert, key));
    assertMessage(
        "tlsTrustCertificateFile " + dir.resolve("missing.pem") + " does not exist",
        RosterClientOptions.local()
            .tlsEnabled(true)
            .tlsTrustCertificateFile(dir.resolve("missing.pem")));
    assertMessage(
        "tlsClientCertificate's private key file " + dir + " is not a file",
        RosterClientOptions.local().tlsEnabled(true).tlsClientCertificate(cert, dir));

    RosterClientOptions options =
        RosterClientOptions.local()
            .tlsEnabled(true)
            .tlsTrustCertificateFile(ca)
            .tlsClientCertificate(cert, key)
            .build();
    assertEquals(Optional.of(cert), options.tlsClientCertificateFile());
    assertEquals(Optional.of(key), options.tlsClientKeyFile());
    assertEquals(options.toString(), options.toBuilder().build().toString());
    assertTrue(options.toString().contains("client certificate " + cert), options.toString());
  }

  @Test
  void tlsFromTheEnvironmentTurnsTlsOnWithTheFilesGiven(@TempDir Path dir) throws IOException {
    Path ca = Files.writeString(dir.resolve("ca.pem"), "x");
    Path cert = Files.writeString(dir.resolve("client.pem"), "x");
    Path key = Files.writeString(dir.resolve("client.key"), "x");
    Map<String, String> properties =
        Map.of(
            "roster.ca-file", ca.toString(),
            "roster.cert-file", cert.toString(),
            "roster.key-file", key.toString());
    properties.forEach(System::setProperty);
    try {
      RosterClientOptions options = RosterClientOptions.fromEnvironment().build();
      assertTrue(options.tlsEnabled());
      assertEquals(Optional.of(ca), options.tlsTrustCertificateFile());
      assertEquals(Optional.of(cert), options.tlsClientCertificateFile());
      assertEquals(Optional.of(key), options.tlsClientKeyFile());

      System.clearProperty("roster.key-file");
      IllegalArgumentException half =
          assertThrows(IllegalArgumentException.class, RosterClientOptions::fromEnvironment);
      assertTrue(half.getMessage().contains("ROSTER_CERT_FILE is set without ROSTER_KEY_FILE"));
    } finally {
      properties.keySet().forEach(System::clearProperty);
    }
  }

  @Test
  void aTokenIsCheckedAndNeverShown(@TempDir Path dir) throws IOException {
    String secret = "s3cret-token-0123456789";
    RosterClientOptions options = RosterClientOptions.local().token(" " + secret + "\n").build();
    assertEquals(Optional.of(secret), options.token());
    assertFalse(options.toString().contains(secret), options.toString());
    assertEquals(options.toString(), options.toBuilder().build().toString());
    assertMessage("token is empty", RosterClientOptions.local().token(" "));
    assertMessage("a header cannot carry", RosterClientOptions.local().token("two words"));
    assertMessage(
        "tokenFile " + dir.resolve("missing") + " does not exist",
        RosterClientOptions.local().tokenFile(dir.resolve("missing")));

    Path file = Files.writeString(dir.resolve("token"), secret);
    System.setProperty("roster.token-file", file.toString());
    try {
      RosterClientOptions fromFile = RosterClientOptions.fromEnvironment().build();
      assertEquals(Optional.of(file), fromFile.tokenFile());
      assertEquals(Optional.empty(), fromFile.token());
      assertTrue(fromFile.toString().contains("token=file " + file), fromFile.toString());
    } finally {
      System.clearProperty("roster.token-file");
    }
  }

  @Test
  void toBuilderKeepsEverySetting() {
    RosterClientOptions options =
        RosterClientOptions.local()
            .namespace("prod")
            .leaseTtl(Duration.ofSeconds(3))
            .maxStaleness(Duration.ofMinutes(5))
            .shutdownHook(false)
            .build();
    assertEquals(options.toString(), options.toBuilder().build().toString());
  }

  private static void assertMessage(String expected, RosterClientOptions.Builder builder) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, builder::build);
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}
