package io.roster.client.internal;

import io.grpc.Status;
import java.util.Locale;
import java.util.Optional;

/**
 * What a failed connection most likely says about the TLS settings, read from the status gRPC gave
 * it. A TLS mistake surfaces as a bare {@code UNAVAILABLE} ("Network closed for unknown reason",
 * "ssl exception"), which says nothing of the fix; the client and the CLI add one, each in the
 * words of its own options.
 *
 * <p>Stateless.
 */
public enum TransportProblem {
  /** Plaintext to a port that speaks TLS: the node closes the connection without a word. */
  PLAINTEXT_TO_TLS,
  /** TLS to a port that speaks plaintext. */
  TLS_TO_PLAINTEXT,
  /** The node's certificate is not signed by a trusted certificate authority. */
  UNTRUSTED_CERTIFICATE,
  /** The node's certificate does not name the host or address it was called at. */
  WRONG_HOST,
  /** The node requires a client certificate and none was given. */
  CLIENT_CERTIFICATE_MISSING,
  /** The node refused the client certificate given (not signed by its client CA, or expired). */
  CLIENT_CERTIFICATE_REFUSED;

  /**
   * The likely problem behind {@code status}, for a client with TLS on or off and with or without a
   * client certificate; empty when it looks like anything else (a node down, a timeout).
   */
  public static Optional<TransportProblem> of(
      Status status, boolean tls, boolean clientCertificate) {
    if (status.getCode() != Status.Code.UNAVAILABLE) {
      return Optional.empty();
    }
    String text = text(status);
    if (!tls) {
      // A TLS server reads the HTTP/2 preface as a broken TLS record and closes at once.
      return text.contains("network closed for unknown reason")
          ? Optional.of(PLAINTEXT_TO_TLS)
          : Optional.empty();
    }
    if (text.contains("not an ssl/tls record") || text.contains("notsslrecordexception")) {
      return Optional.of(TLS_TO_PLAINTEXT);
    }
    if (text.contains("no subject alternative") || text.contains("no name matching")) {
      return Optional.of(WRONG_HOST);
    }
    if (text.contains("pkix path") || text.contains("unable to find valid certification path")) {
      return Optional.of(UNTRUSTED_CERTIFICATE);
    }
    if (text.contains("bad_certificate")
        || text.contains("certificate_required")
        || text.contains("unknown_ca")
        || text.contains("certificate_unknown")
        || text.contains("certificate_expired")) {
      return Optional.of(
          clientCertificate ? CLIENT_CERTIFICATE_REFUSED : CLIENT_CERTIFICATE_MISSING);
    }
    return Optional.empty();
  }

  /** The status's description and every message of its causes, lower case. */
  private static String text(Status status) {
    StringBuilder text = new StringBuilder(String.valueOf(status.getDescription()));
    for (Throwable cause = status.getCause(); cause != null; cause = cause.getCause()) {
      text.append(' ').append(cause).append(' ');
      if (cause.getCause() == cause) {
        break;
      }
    }
    return text.toString().toLowerCase(Locale.ROOT);
  }
}
