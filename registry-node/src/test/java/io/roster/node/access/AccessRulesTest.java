package io.roster.node.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roster.node.config.ConfigException;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The access file: tokens kept hashed, certificate names, grants per namespace. */
class AccessRulesTest {

  private static final String FILE =
      """
      # billing registers and reads its own namespace
      token %s billing billing:register,billing:read
      cert  orders.internal orders:register,orders:read,payments:read   # a client certificate
      token %s operator *:admin
      """
          .formatted(AccessRules.sha256("billing-token"), AccessRules.sha256("operator-token"));

  private final AccessRules rules = AccessRules.parse(FILE, "test file");

  @Test
  void aTokenIsRecognisedByItsHashAndGrantsOnlyWhatItsLineSays() {
    Principal billing = rules.byToken("billing-token").principal();

    assertEquals("billing", billing.name());
    assertTrue(billing.may(Role.REGISTER, "billing"));
    assertTrue(billing.may(Role.READ, "billing"));
    assertFalse(billing.may(Role.ADMIN, "billing"));
    assertFalse(billing.may(Role.READ, "orders"));
    assertNull(rules.byToken("billing-token "), "a token is matched exactly");
    assertNull(rules.byToken(AccessRules.sha256("billing-token")), "the hash is not a token");
  }

  @Test
  void aCertificateNameGrantsItsRolesAndAdminCoversEverythingEverywhere() {
    Principal orders = rules.byCertificateName("orders.internal");
    Principal operator = rules.byToken("operator-token").principal();

    assertTrue(orders.may(Role.READ, "payments"));
    assertFalse(orders.may(Role.REGISTER, "payments"));
    assertTrue(operator.may(Role.REGISTER, "anything"));
    assertTrue(operator.may(Role.ADMIN, "default"));
    assertEquals(3, rules.size());
  }

  @Test
  void aTokenWithAnExpiryIsValidUpToItsInstantAndOneWithoutIsValidForGood() {
    AccessRules withExpiry =
        AccessRules.parse(
            "token "
                + AccessRules.sha256("ci-token")
                + " ci default:register expires=2027-01-31T00:00:00Z",
            "f");
    AccessRules.Token ci = withExpiry.byToken("ci-token");
    Instant expiry = Instant.parse("2027-01-31T00:00:00Z");

    assertEquals(expiry, ci.expiresAt());
    assertFalse(ci.expiredAt(expiry.minusMillis(1)));
    assertTrue(ci.expiredAt(expiry));
    assertFalse(rules.byToken("billing-token").expiredAt(Instant.MAX));
    assertRefused(
        "token " + AccessRules.sha256("t") + " x ns:read expires=tomorrow",
        "line 1: expires= takes an ISO-8601 instant");
    assertRefused(
        "token " + AccessRules.sha256("t") + " x ns:read until=2027-01-01T00:00:00Z",
        "line 1: the fifth field of a token line is expires=INSTANT");
  }

  @Test
  void registerDoesNotImplyRead() {
    Principal writer =
        AccessRules.parse("cert w.internal ns:register", "f").byCertificateName("w.internal");

    assertTrue(writer.may(Role.REGISTER, "ns"));
    assertFalse(writer.may(Role.READ, "ns"));
  }

  @Test
  void badLinesAreRefusedNamingTheLineAndTheRule() {
    assertRefused("token abc billing billing:read", "line 1: the token's SHA-256 must be 64 hex");
    assertRefused(
        "\n\ntoken " + AccessRules.sha256("t") + " x ns:owner", "line 3: roles are read, register");
    assertRefused("cert a.internal ns", "line 1: grants are NAMESPACE:ROLE");
    assertRefused("user bob *:admin", "line 1: lines start with \"token\" or \"cert\"");
    ConfigException pasted =
        assertThrows(
            ConfigException.class,
            () -> AccessRules.parse("# the admin's token\nsecret-token-0123456789abcdef\n", "f"));
    assertFalse(pasted.getMessage().contains("secret-token"), pasted.getMessage());
    assertRefused(
        "cert a ns:read\ncert a ns:read", "line 2: this certificate name is listed twice");
  }

  private static void assertRefused(String text, String expected) {
    ConfigException refused =
        assertThrows(ConfigException.class, () -> AccessRules.parse(text, "f"));
    assertTrue(refused.getMessage().contains(expected), refused.getMessage());
  }
}
