package io.roster.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

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
