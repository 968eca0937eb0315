package io.roster.node.access;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * Who may call, and what: every call from the network is authenticated once, where it enters the
 * node (a gRPC request in {@code HttpEndpoints}, an HTTP/JSON request in its route), which puts its
 * {@link Principal} in the call's {@link Context}; each RPC then asks {@link #require} for the role
 * it needs in the namespace it acts on.
 *
 * <p>Off (no access file): every caller is {@link Principal#ANYONE}, who may do everything, as
 * before access control existed; the {@code local} profile runs so. On: a caller is the principal
 * its bearer token or its client certificate names in the {@link AccessRules}, or is refused with
 * UNAUTHENTICATED; the rules are swapped whole when the access file changes ({@link #replace}), so
 * a revoked token is refused from the next call on.
 *
 * <p>In-process callers that never went through an entry point (tests, benchmarks calling a service
 * object) carry no principal and are treated as {@link Principal#ANYONE}: both network entry points
 * always set one ({@code AccessControlTest} checks them over gRPC and HTTP).
 *
 * <p>Thread-safe: the rules are one volatile reference.
 */
public final class Access {

  /** The caller of the call running on this thread. */
  public static final Context.Key<Principal> PRINCIPAL = Context.key("roster.principal");

  private static final String BEARER = "Bearer ";

  private volatile AccessRules rules;

  private Access(AccessRules rules) {
    this.rules = rules;
  }

  /** No access control: everyone may do everything. */
  public static Access off() {
    return new Access(null);
  }

  /** Access control by {@code rules}. */
  public static Access of(AccessRules rules) {
    return new Access(rules);
  }

  public boolean enabled() {
    return rules != null;
  }

  /** From the next call on, callers are recognised by {@code next}. */
  public void replace(AccessRules next) {
    if (rules == null) {
      throw new IllegalStateException("access control is off: there are no rules to replace");
    }
    rules = next;
  }

  /**
   * The principal a call is made by.
   *
   * @param authorization the {@code authorization} header or metadata, or null
   * @param peerCertificates the client's certificate chain (its own first), or null without one
   * @throws StatusRuntimeException UNAUTHENTICATED, saying what credential is missing or unknown
   */
  public Principal authenticate(String authorization, Certificate[] peerCertificates) {
    AccessRules current = rules;
    if (current == null) {
      return Principal.ANYONE;
    }
    if (authorization != null && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      AccessRules.Token byToken = current.byToken(authorization.substring(BEARER.length()).strip());
      if (byToken == null) {
        throw unauthenticated(
            "the bearer token is not one this cluster knows (revoked, mistyped or never issued)");
      }
      if (byToken.expiredAt(Instant.now())) {
        throw unauthenticated(
            "the bearer token of '"
                + byToken.principal().name()
                + "' expired at "
                + byToken.expiresAt()
                + ": use a newer one");
      }
      return byToken.principal();
    }
    List<String> names = certificateNames(peerCertificates);
    for (String name : names) {
      Principal byCertificate = current.byCertificateName(name);
      if (byCertificate != null) {
        return byCertificate;
      }
    }
    if (!names.isEmpty()) {
      throw unauthenticated(
          "the client certificate's names " + names + " are not in this cluster's access file");
    }
    throw unauthenticated(
        "no credential: send \"authorization: Bearer <token>\", or connect with a client"
            + " certificate the access file names");
  }

  /** The principal of the call running on this thread. */
  public static Principal current() {
    Principal principal = PRINCIPAL.get();
    return principal == null ? Principal.ANYONE : principal;
  }

  /**
   * Refuses the call running on this thread unless its principal holds {@code role} (or admin) in
   * {@code namespace}.
   *
   * @param method the RPC, for the message ("Register")
   * @throws StatusRuntimeException PERMISSION_DENIED naming the role and namespace needed
   */
  public static void require(Role role, String namespace, String method) {
    require(current(), role, namespace, method);
  }

  /** As {@link #require(Role, String, String)}, for a principal taken at the start of a stream. */
  public static void require(Principal principal, Role role, String namespace, String method) {
    if (!principal.may(role, namespace)) {
      throw denied(principal, role, namespace, method);
    }
  }

  /** PERMISSION_DENIED for {@code principal} lacking {@code role} in {@code namespace}. */
  public static StatusRuntimeException denied(
      Principal principal, Role role, String namespace, String method) {
    return Status.PERMISSION_DENIED
        .withDescription(
            principal.name()
                + " may not call "
                + method
                + " in namespace \""
                + namespace
                + "\": that needs the role "
                + role.label()
                + (role == Role.ADMIN ? "" : " (or admin)")
                + " there")
        .asRuntimeException();
  }

  private static StatusRuntimeException unauthenticated(String why) {
    return Status.UNAUTHENTICATED.withDescription(why).asRuntimeException();
  }

  /**
   * The names a client certificate may be known by: its DNS and URI subject alternative names, then
   * its subject's common name.
   */
  static List<String> certificateNames(Certificate[] chain) {
    List<String> names = new ArrayList<>();
    if (chain == null || chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
      return names;
    }
    try {
      Collection<List<?>> alternatives = leaf.getSubjectAlternativeNames();
      if (alternatives != null) {
        for (List<?> alternative : alternatives) {
          int type = (Integer) alternative.get(0);
          if (type == 2 || type == 6) { // dNSName, uniformResourceIdentifier
            names.add(String.valueOf(alternative.get(1)));
          }
        }
      }
    } catch (CertificateParsingException e) {
      // No usable alternative names: the common name may still do.
    }
    try {
      for (Rdn rdn : new LdapName(leaf.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().toUpperCase(Locale.ROOT).equals("CN")) {
          names.add(String.valueOf(rdn.getValue()));
        }
      }
    } catch (InvalidNameException e) {
      // A subject that does not parse names nothing.
    }
    return names;
  }
}
