package io.roster.node.access;

import io.roster.node.config.ConfigException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The principals an access file names, and how a caller is recognised as one: by a bearer token,
 * kept only as its SHA-256 (the file holds no token, so reading it grants nothing), or by the name
 * in its client certificate (its subject's common name or a DNS or URI subject alternative name).
 *
 * <p>The file, one principal a line; {@code #} starts a comment:
 *
 * <pre>
 * # token SHA256-HEX NAME GRANTS [expires=INSTANT]   (SHA256-HEX: printf %s "$TOKEN" | sha256sum)
 * # cert  CERT-NAME GRANTS
 * # GRANTS: NAMESPACE:ROLE[,NAMESPACE:ROLE...], ROLE read, register or admin, NAMESPACE * for all
 * token 5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8 billing billing:register,billing:read
 * cert  orders.internal orders:register,orders:read,payments:read
 * token 8d969eef6ecad3c29a3a629280e686cf0c3f5d5a86aff3ca12020c923adc6c92 operator *:admin
 * token 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae ci default:register expires=2027-01-31T00:00:00Z
 * </pre>
 *
 * <p>A token with {@code expires} (an ISO-8601 instant) is refused from that instant on.
 *
 * <p>Immutable; thread-safe.
 */
public final class AccessRules {

  private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._:@/=*-]{1,253}");

  private final Map<String, Token> byTokenHash;
  private final Map<String, Principal> byCertificateName;

  /**
   * A token's principal, and when the token stops being valid.
   *
   * @param expiresAt null: never
   */
  public record Token(Principal principal, Instant expiresAt) {
    /** Whether the token is no longer valid at {@code now}. */
    public boolean expiredAt(Instant now) {
      return expiresAt != null && !now.isBefore(expiresAt);
    }
  }

  private AccessRules(Map<String, Token> byTokenHash, Map<String, Principal> byCertificateName) {
    this.byTokenHash = Map.copyOf(byTokenHash);
    this.byCertificateName = Map.copyOf(byCertificateName);
  }

  /**
   * The rules {@code text} holds.
   *
   * @param source where the text comes from, for messages ("file /etc/roster/access")
   * @throws ConfigException naming the line and what is wrong with it
   */
  public static AccessRules parse(String text, String source) {
    Map<String, Token> tokens = new HashMap<>();
    Map<String, Principal> certificates = new HashMap<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      int comment = line.indexOf('#');
      if (comment >= 0) {
        line = line.substring(0, comment);
      }
      line = line.strip();
      if (line.isEmpty()) {
        continue;
      }
      String where = source + ", line " + (i + 1);
      String[] fields = line.split("\\s+");
      switch (fields[0]) {
        case "token" -> {
          expect(
              fields.length == 4 || fields.length == 5,
              where,
              "a token line is: token SHA256-HEX NAME GRANTS [expires=INSTANT]");
          String hash = fields[1].toLowerCase(java.util.Locale.ROOT);
          expect(
              SHA256_HEX.matcher(hash).matches(),
              where,
              "the token's SHA-256 must be 64 hex digits (printf %s \"$TOKEN\" | sha256sum),"
                  + " never the token itself");
          expect(!tokens.containsKey(hash), where, "this token is listed twice");
          Instant expires = fields.length == 5 ? expiry(fields[4], where) : null;
          tokens.put(hash, new Token(principal(fields[2], fields[3], where), expires));
        }
        case "cert" -> {
          expect(fields.length == 3, where, "a certificate line is: cert CERT-NAME GRANTS");
          expect(
              !certificates.containsKey(fields[1]), where, "this certificate name is listed twice");
          certificates.put(fields[1], principal(fields[1], fields[2], where));
        }
        default ->
            // Not quoted: a line of one word is most likely a token pasted as it is, and this
            // message is logged when the file changes.
            throw new ConfigException(
                where
                    + ": lines start with \"token\" or \"cert\" (this one's first word is not"
                    + " repeated here, in case it is a secret)");
      }
    }
    return new AccessRules(tokens, certificates);
  }

  /** No principal at all: every call is refused as unauthenticated. */
  public static AccessRules empty() {
    return new AccessRules(Map.of(), Map.of());
  }

  /** What the rules hold for {@code token}, or null when they do not list it. */
  public Token byToken(String token) {
    return byTokenHash.get(sha256(token));
  }

  /** The principal a client certificate with this name stands for, or null. */
  public Principal byCertificateName(String name) {
    return byCertificateName.get(name);
  }

  /** How many principals the rules name (for logs). */
  public int size() {
    return byTokenHash.size() + byCertificateName.size();
  }

  /** The SHA-256 of {@code token}'s UTF-8 bytes, in lower-case hex: how the file names it. */
  public static String sha256(String token) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available in this JVM", e);
    }
  }

  private static Principal principal(String name, String grants, String where) {
    expect(NAME.matcher(name).matches(), where, "bad principal name \"" + name + "\"");
    Map<String, Set<Role>> roles = new LinkedHashMap<>();
    for (String grant : grants.split(",")) {
      int colon = grant.lastIndexOf(':');
      expect(
          colon > 0 && colon < grant.length() - 1,
          where,
          "grants are NAMESPACE:ROLE separated by commas, got \"" + grant + "\"");
      String namespace = grant.substring(0, colon);
      Role role = Role.parse(grant.substring(colon + 1));
      expect(
          role != null,
          where,
          "roles are read, register or admin, got \"" + grant.substring(colon + 1) + "\"");
      roles.computeIfAbsent(namespace, n -> EnumSet.noneOf(Role.class)).add(role);
    }
    return new Principal(name, roles);
  }

  private static Instant expiry(String field, String where) {
    expect(
        field.startsWith("expires="),
        where,
        "the fifth field of a token line is expires=INSTANT, got \"" + field + "\"");
    try {
      return Instant.parse(field.substring("expires=".length()));
    } catch (DateTimeParseException e) {
      throw new ConfigException(
          where
              + ": expires= takes an ISO-8601 instant in UTC such as 2027-01-31T00:00:00Z, got \""
              + field.substring("expires=".length())
              + "\"");
    }
  }

  private static void expect(boolean condition, String where, String message) {
    if (!condition) {
      throw new ConfigException(where + ": " + message);
    }
  }
}
