package io.roster.client;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How a {@link RosterClient} reaches the registry and behaves when it cannot: immutable, validated
 * once by {@link Builder#build()}, every default stated with its trade-off.
 *
 * <p>Start from a profile: {@link #local()} for the one-machine cluster ({@code deploy/local}), or
 * {@link #defaults()} for a real network, which needs {@link Builder#nodes}. {@link
 * #fromEnvironment()} reads {@code ROSTER_TARGET}, the TLS variables ({@link
 * Builder#tlsFromEnvironment()}) and the token ({@link Builder#tokenFromEnvironment()}): the one
 * place the client reads the environment.
 */
public final class RosterClientOptions {

  /** The addresses of the one-machine cluster of {@code deploy/local}. */
  public static final List<String> LOCAL_NODES =
      List.of("127.0.0.1:7101", "127.0.0.1:7102", "127.0.0.1:7103");

  /**
   * Environment variable (or, first, system property {@code roster.target}) read by {@link
   * #fromEnvironment()}: comma-separated registry node addresses, e.g. {@code
   * "10.0.0.1:7101,10.0.0.2:7101"}.
   */
  public static final String TARGET_ENV = "ROSTER_TARGET";

  /** The system property read before {@link #TARGET_ENV}. */
  public static final String TARGET_PROPERTY = "roster.target";

  /**
   * Environment variable (or, first, system property {@code roster.tls}) read by {@link
   * Builder#tlsFromEnvironment()}: {@code true} speaks TLS to the nodes, trusting the JVM's
   * certificate authorities unless {@link #CA_FILE_ENV} is set.
   */
  public static final String TLS_ENV = "ROSTER_TLS";

  /**
   * Environment variable (or, first, system property {@code roster.ca-file}): PEM file of the
   * certificate authorities to trust for the nodes' certificates; setting it turns TLS on.
   */
  public static final String CA_FILE_ENV = "ROSTER_CA_FILE";

  /**
   * Environment variables (or, first, system properties {@code roster.cert-file} and {@code
   * roster.key-file}): the client certificate (PEM) and its private key (PEM, PKCS#8), for nodes
   * that require client certificates; setting them turns TLS on.
   */
  public static final String CERT_FILE_ENV = "ROSTER_CERT_FILE";

  /** See {@link #CERT_FILE_ENV}. */
  public static final String KEY_FILE_ENV = "ROSTER_KEY_FILE";

  /**
   * Environment variable read by {@link Builder#tokenFromEnvironment()}: the bearer token itself.
   * There is no system property for it, since a {@code -D} flag shows in every process listing.
   */
  public static final String TOKEN_ENV = "ROSTER_TOKEN";

  /**
   * Environment variable (or, first, system property {@code roster.token-file}) read by {@link
   * Builder#tokenFromEnvironment()}: a file holding the bearer token, read again when it changes.
   */
  public static final String TOKEN_FILE_ENV = "ROSTER_TOKEN_FILE";

  private final List<String> nodes;
  private final String namespace;
  private final Duration callTimeout;
  private final Duration connectTimeout;
  private final Duration keepAliveBackoffInitial;
  private final Duration keepAliveBackoffMax;
  private final double backoffJitter;
  private final Duration leaseTtl;
  private final Duration drainDelay;
  private final Duration maxStaleness;
  private final Path snapshotFile;
  private final boolean shutdownHook;
  private final boolean tlsEnabled;
  private final Path tlsTrustCertificateFile;
  private final Path tlsClientCertificateFile;
  private final Path tlsClientKeyFile;
  private final String token;
  private final Path tokenFile;

  private RosterClientOptions(Builder b) {
    this.nodes = List.copyOf(b.nodes);
    this.namespace = b.namespace;
    this.callTimeout = b.callTimeout;
    this.connectTimeout = b.connectTimeout;
    this.keepAliveBackoffInitial = b.keepAliveBackoffInitial;
    this.keepAliveBackoffMax = b.keepAliveBackoffMax;
    this.backoffJitter = b.backoffJitter;
    this.leaseTtl = b.leaseTtl;
    this.drainDelay = b.drainDelay;
    this.maxStaleness = b.maxStaleness;
    this.snapshotFile = b.snapshotFile;
    this.shutdownHook = b.shutdownHook;
    this.tlsEnabled = b.tlsEnabled;
    this.tlsTrustCertificateFile = b.tlsTrustCertificateFile;
    this.tlsClientCertificateFile = b.tlsClientCertificateFile;
    this.tlsClientKeyFile = b.tlsClientKeyFile;
    this.token = b.token;
    this.tokenFile = b.tokenFile;
  }

  /**
   * Settings for a real network, without nodes: give them with {@link Builder#nodes}. Call timeout
   * 3 s, connect timeout 1 s, keepalive backoff 100 ms doubling to 3 s with ±20 % jitter, the
   * node's lease TTL (10 s by default), drain delay 2 s, never drop stale endpoints, no snapshot
   * file, a shutdown hook, plaintext, no token.
   */
  public static Builder defaults() {
    return new Builder();
  }

  /**
   * The one-machine cluster of {@code deploy/local} ({@link #LOCAL_NODES}), with the shorter times
   * loopback allows: call timeout 2 s, connect timeout 500 ms, keepalive backoff 50 ms to 1 s,
   * drain delay 500 ms. Everything else as {@link #defaults()}.
   */
  public static Builder local() {
    return new Builder()
        .nodes(LOCAL_NODES)
        .callTimeout(Duration.ofSeconds(2))
        .connectTimeout(Duration.ofMillis(500))
        .keepAliveBackoff(Duration.ofMillis(50), Duration.ofSeconds(1))
        .drainDelay(Duration.ofMillis(500));
  }

  /**
   * {@link #defaults()} with the nodes of the system property {@code roster.target} or the
   * environment variable {@code ROSTER_TARGET} (comma-separated), or {@link #local()} when neither
   * is set; and TLS and the token as {@link Builder#tlsFromEnvironment()} and {@link
   * Builder#tokenFromEnvironment()} say.
   */
  public static Builder fromEnvironment() {
    String target = setting(TARGET_PROPERTY, TARGET_ENV);
    Builder builder = target == null ? local() : defaults().nodes(Arrays.asList(target.split(",")));
    return builder.tlsFromEnvironment().tokenFromEnvironment();
  }

  /** The system property, else the environment variable; null when neither is set or blank. */
  private static String setting(String property, String environment) {
    String value = System.getProperty(property);
    if (value == null || value.isBlank()) {
      value = System.getenv(environment);
    }
    return value == null || value.isBlank() ? null : value.trim();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.nodes.addAll(nodes);
    b.namespace = namespace;
    b.callTimeout = callTimeout;
    b.connectTimeout = connectTimeout;
    b.keepAliveBackoffInitial = keepAliveBackoffInitial;
    b.keepAliveBackoffMax = keepAliveBackoffMax;
    b.backoffJitter = backoffJitter;
    b.leaseTtl = leaseTtl;
    b.drainDelay = drainDelay;
    b.maxStaleness = maxStaleness;
    b.snapshotFile = snapshotFile;
    b.shutdownHook = shutdownHook;
    b.tlsEnabled = tlsEnabled;
    b.tlsTrustCertificateFile = tlsTrustCertificateFile;
    b.tlsClientCertificateFile = tlsClientCertificateFile;
    b.tlsClientKeyFile = tlsClientKeyFile;
    b.token = token;
    b.tokenFile = tokenFile;
    return b;
  }

  /** Registry node addresses, "host:port", in the order they are tried. */
  public List<String> nodes() {
    return nodes;
  }

  public String namespace() {
    return namespace;
  }

  /** Deadline of each call to a node, and of each round of heartbeats on the KeepAlive stream. */
  public Duration callTimeout() {
    return callTimeout;
  }

  /** How long a TCP connection to a node may take before the node counts as unreachable. */
  public Duration connectTimeout() {
    return connectTimeout;
  }

  /** Wait before the first reconnection after a stream broke; doubles at each failure in a row. */
  public Duration keepAliveBackoffInitial() {
    return keepAliveBackoffInitial;
  }

  /** The longest wait between reconnections. */
  public Duration keepAliveBackoffMax() {
    return keepAliveBackoffMax;
  }

  /** Each backoff wait is spread by this share either way (0.2: ±20 %). */
  public double backoffJitter() {
    return backoffJitter;
  }

  /** Lease TTL asked for; empty: the node's default (10 s unless configured otherwise). */
  public Optional<Duration> leaseTtl() {
    return Optional.ofNullable(leaseTtl);
  }

  /** How long {@link Registration#close()} keeps an instance DRAINING before deregistering it. */
  public Duration drainDelay() {
    return drainDelay;
  }

  /** Endpoints older than this are no longer served; empty: served however old (the default). */
  public Optional<Duration> maxStaleness() {
    return Optional.ofNullable(maxStaleness);
  }

  /** Where the last snapshots are saved and loaded from at start; empty: not persisted. */
  public Optional<Path> snapshotFile() {
    return Optional.ofNullable(snapshotFile);
  }

  /** Whether a JVM shutdown hook closes the client (draining and deregistering). */
  public boolean shutdownHook() {
    return shutdownHook;
  }

  public boolean tlsEnabled() {
    return tlsEnabled;
  }

  /** PEM file of the certificates to trust; empty: the JVM's default trust store. */
  public Optional<Path> tlsTrustCertificateFile() {
    return Optional.ofNullable(tlsTrustCertificateFile);
  }

  /** PEM file of the client certificate presented to the nodes; empty: none. */
  public Optional<Path> tlsClientCertificateFile() {
    return Optional.ofNullable(tlsClientCertificateFile);
  }

  /** PEM file (PKCS#8) of the client certificate's private key; set with the certificate. */
  public Optional<Path> tlsClientKeyFile() {
    return Optional.ofNullable(tlsClientKeyFile);
  }

  /** The bearer token sent on every call, when given as a value; {@link #toString} hides it. */
  public Optional<String> token() {
    return Optional.ofNullable(token);
  }

  /** The file the bearer token is read from (again when it changes), when given so. */
  public Optional<Path> tokenFile() {
    return Optional.ofNullable(tokenFile);
  }

  @Override
  public String toString() {
    return "RosterClientOptions{nodes="
        + nodes
        + ", namespace="
        + namespace
        + ", callTimeout="
        + callTimeout
        + ", connectTimeout="
        + connectTimeout
        + ", keepAliveBackoff="
        + keepAliveBackoffInitial
        + ".."
        + keepAliveBackoffMax
        + " ±"
        + backoffJitter
        + ", leaseTtl="
        + (leaseTtl == null ? "node default" : leaseTtl)
        + ", drainDelay="
        + drainDelay
        + ", maxStaleness="
        + (maxStaleness == null ? "never" : maxStaleness)
        + ", snapshotFile="
        + snapshotFile
        + ", shutdownHook="
        + shutdownHook
        + ", tls="
        + (!tlsEnabled
            ? "off"
            : "on (trust "
                + (tlsTrustCertificateFile == null ? "the JVM's CAs" : tlsTrustCertificateFile)
                + (tlsClientCertificateFile == null
                    ? ", no client certificate"
                    : ", client certificate " + tlsClientCertificateFile)
                + ")")
        + ", token="
        + (token != null ? "given (not shown)" : tokenFile != null ? "file " + tokenFile : "none")
        + "}";
  }

  /** Builds {@link RosterClientOptions}; {@link #build()} validates. Not thread-safe. */
  public static final class Builder {
    private final List<String> nodes = new ArrayList<>();
    private String namespace = "default";
    // 3 s: a node answers in milliseconds, so this only bounds a node that hangs; shorter moves
    // off a hung node sooner but gives up on a loaded one.
    private Duration callTimeout = Duration.ofSeconds(3);
    // 1 s: a refused connection fails at once anyway; this bounds a host that drops packets.
    private Duration connectTimeout = Duration.ofSeconds(1);
    // 100 ms then doubling to 3 s: a node dying costs one short pause before the next node; the
    // cap stays under a third of the default 10 s TTL, so even at the cap a lease is renewed
    // several times before it could expire.
    private Duration keepAliveBackoffInitial = Duration.ofMillis(100);
    private Duration keepAliveBackoffMax = Duration.ofSeconds(3);
    // ±20 %: enough that clients cut off together do not reconnect in lockstep.
    private double backoffJitter = 0.2;
    private Duration leaseTtl;
    // 2 s: watchers hear of DRAINING within milliseconds; the rest lets requests already picked
    // finish before the instance leaves.
    private Duration drainDelay = Duration.ofSeconds(2);
    private Duration maxStaleness;
    private Path snapshotFile;
    private boolean shutdownHook = true;
    private boolean tlsEnabled;
    private Path tlsTrustCertificateFile;
    private Path tlsClientCertificateFile;
    private Path tlsClientKeyFile;
    private String token;
    private Path tokenFile;

    private Builder() {}

    /** Registry node addresses, "host:port" (IPv6 as "[::1]:7101"); replaces any given before. */
    public Builder nodes(List<String> addresses) {
      nodes.clear();
      for (String address : addresses) {
        nodes.add(address.trim());
      }
      return this;
    }

    /**
     * Registry node addresses. One DNS name that resolves to several addresses stands for all of
     * them.
     */
    public Builder nodes(String... addresses) {
      return nodes(Arrays.asList(addresses));
    }

    /** Namespace of every registration and discovery; default "default". */
    public Builder namespace(String namespace) {
      this.namespace = Objects.requireNonNull(namespace, "namespace");
      return this;
    }

    public Builder callTimeout(Duration timeout) {
      this.callTimeout = Objects.requireNonNull(timeout, "callTimeout");
      return this;
    }

    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = Objects.requireNonNull(timeout, "connectTimeout");
      return this;
    }

    /**
     * Reconnection backoff: {@code initial}, doubling after each failure, at most {@code max}. The
     * KeepAlive stream, and registering again, also stop doubling at half the shortest heartbeat
     * interval, so leases are renewed within a third of their TTL of a node answering again.
     */
    public Builder keepAliveBackoff(Duration initial, Duration max) {
      this.keepAliveBackoffInitial = Objects.requireNonNull(initial, "initial");
      this.keepAliveBackoffMax = Objects.requireNonNull(max, "max");
      return this;
    }

    /** Share by which each backoff wait is spread either way, 0 to under 1; default 0.2. */
    public Builder backoffJitter(double jitter) {
      this.backoffJitter = jitter;
      return this;
    }

    /**
     * Lease TTL to ask for; the node raises or lowers it to its bounds (1 s to 1 h by default) and
     * heartbeats go every third of what it granted. Default: the node's (10 s).
     */
    public Builder leaseTtl(Duration ttl) {
      this.leaseTtl = ttl;
      return this;
    }

    /** Time DRAINING before deregistering on close; 0 deregisters at once. Default 2 s. */
    public Builder drainDelay(Duration delay) {
      this.drainDelay = Objects.requireNonNull(delay, "drainDelay");
      return this;
    }

    /**
     * Stop serving endpoints older than this (discover then throws UNAVAILABLE, watchers get {@link
     * ServiceListener#onStale}); null: never (the default), since the last known endpoints are
     * usually better than none while the registry is away, and {@link ServiceEndpoints#age()} says
     * how old they are.
     */
    public Builder maxStaleness(Duration maxStaleness) {
      this.maxStaleness = maxStaleness;
      return this;
    }

    /**
     * Save the endpoints of every followed service to this file (after changes, at most once a
     * second, and on close) and load them at start, so the client can start while the registry is
     * down. Default: none.
     */
    public Builder snapshotFile(Path file) {
      this.snapshotFile = file;
      return this;
    }

    /**
     * Whether to close the client from a JVM shutdown hook, so SIGTERM drains and deregisters its
     * instances instead of leaving them to expire. Default true.
     */
    public Builder shutdownHook(boolean enabled) {
      this.shutdownHook = enabled;
      return this;
    }

    /** Speak TLS to the nodes (they need {@code api.tls.enabled=true}). Default false. */
    public Builder tlsEnabled(boolean enabled) {
      this.tlsEnabled = enabled;
      return this;
    }

    /**
     * PEM certificates to trust for TLS, usually the CA that signed the nodes' certificates;
     * default: the JVM's trust store. The nodes' certificates must name the host (or IP address)
     * each is reached at.
     */
    public Builder tlsTrustCertificateFile(Path file) {
      this.tlsTrustCertificateFile = file;
      return this;
    }

    /**
     * The client certificate (PEM, then any intermediate CAs) and its private key (unencrypted PEM
     * PKCS#8, {@code BEGIN PRIVATE KEY}), presented to nodes that ask for one ({@code
     * api.tls.client-auth}). Default: none. Both files are read when the client connects.
     */
    public Builder tlsClientCertificate(Path certificateFile, Path privateKeyFile) {
      this.tlsClientCertificateFile = Objects.requireNonNull(certificateFile, "certificateFile");
      this.tlsClientKeyFile = Objects.requireNonNull(privateKeyFile, "privateKeyFile");
      return this;
    }

    /**
     * TLS settings from the system properties {@code roster.tls}, {@code roster.ca-file}, {@code
     * roster.cert-file} and {@code roster.key-file}, or else the environment variables {@link
     * #TLS_ENV ROSTER_TLS}, {@link #CA_FILE_ENV ROSTER_CA_FILE}, {@link #CERT_FILE_ENV
     * ROSTER_CERT_FILE} and {@link #KEY_FILE_ENV ROSTER_KEY_FILE}: each one set overrides what this
     * builder holds, and a file turns TLS on. Nothing set: nothing changes.
     */
    public Builder tlsFromEnvironment() {
      String tls = setting("roster.tls", TLS_ENV);
      if (tls != null) {
        if (!tls.equals("true") && !tls.equals("false")) {
          throw new IllegalArgumentException(
              TLS_ENV + " (or roster.tls) must be true or false, got \"" + tls + "\"");
        }
        tlsEnabled = Boolean.parseBoolean(tls);
      }
      String ca = setting("roster.ca-file", CA_FILE_ENV);
      if (ca != null) {
        tlsEnabled = true;
        tlsTrustCertificateFile = Path.of(ca);
      }
      String cert = setting("roster.cert-file", CERT_FILE_ENV);
      String key = setting("roster.key-file", KEY_FILE_ENV);
      if ((cert == null) != (key == null)) {
        throw new IllegalArgumentException(
            (cert == null
                    ? KEY_FILE_ENV + " is set without " + CERT_FILE_ENV
                    : CERT_FILE_ENV + " is set without " + KEY_FILE_ENV)
                + ": a client certificate needs both its certificate and its key file");
      }
      if (cert != null) {
        tlsEnabled = true;
        tlsClientCertificate(Path.of(cert), Path.of(key));
      }
      return this;
    }

    /**
     * A bearer token, sent as {@code authorization: Bearer <token>} on every call and stream, for
     * nodes that check callers ({@code security.access-file}); surrounding white space is ignored.
     * Replaces a {@link #tokenFile}. Default: none. Without TLS the token crosses the network in
     * the clear: the client warns.
     */
    public Builder token(String token) {
      this.token = Objects.requireNonNull(token, "token").strip();
      this.tokenFile = null;
      return this;
    }

    /**
     * A file holding the bearer token (surrounding white space ignored), read when the client is
     * created and again whenever the file changes, so a rotated token is sent from the next call
     * on; replaces a {@link #token}. Default: none.
     */
    public Builder tokenFile(Path file) {
      this.tokenFile = Objects.requireNonNull(file, "tokenFile");
      this.token = null;
      return this;
    }

    /**
     * The token from the environment variable {@link #TOKEN_ENV ROSTER_TOKEN}, or the file named by
     * the system property {@code roster.token-file} or the environment variable {@link
     * #TOKEN_FILE_ENV ROSTER_TOKEN_FILE}: the one set overrides what this builder holds. Nothing
     * set: nothing changes.
     *
     * @throws IllegalArgumentException when both a token and a token file are set
     */
    public Builder tokenFromEnvironment() {
      String value = System.getenv(TOKEN_ENV);
      String file = setting("roster.token-file", TOKEN_FILE_ENV);
      boolean hasValue = value != null && !value.isBlank();
      if (hasValue && file != null) {
        throw new IllegalArgumentException(
            TOKEN_ENV + " and " + TOKEN_FILE_ENV + " are both set: give the token one way");
      }
      if (hasValue) {
        token(value);
      } else if (file != null) {
        tokenFile(Path.of(file));
      }
      return this;
    }

    /**
     * Validates and builds.
     *
     * @throws IllegalArgumentException naming the first setting that cannot work
     */
    public RosterClientOptions build() {
      if (nodes.isEmpty()) {
        throw new IllegalArgumentException(
            "no registry nodes: give nodes(\"host:port\", ...), or use RosterClientOptions.local()");
      }
      for (String node : nodes) {
        checkAddress(node);
      }
      if (!namespace.matches("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")) {
        throw new IllegalArgumentException(
            "namespace '"
                + namespace
                + "' must be 1-63 lower-case letters, digits and '-', starting and ending with a"
                + " letter or digit");
      }
      checkPositive(callTimeout, "callTimeout");
      checkPositive(connectTimeout, "connectTimeout");
      checkPositive(keepAliveBackoffInitial, "keepAliveBackoff initial");
      checkPositive(keepAliveBackoffMax, "keepAliveBackoff max");
      if (keepAliveBackoffInitial.compareTo(keepAliveBackoffMax) > 0) {
        throw new IllegalArgumentException(
            "keepAliveBackoff initial ("
                + keepAliveBackoffInitial
                + ") is longer than its max ("
                + keepAliveBackoffMax
                + ")");
      }
      if (!(backoffJitter >= 0 && backoffJitter < 1)) {
        throw new IllegalArgumentException("backoffJitter must be in [0, 1), got " + backoffJitter);
      }
      if (leaseTtl != null) {
        checkPositive(leaseTtl, "leaseTtl");
      }
      if (drainDelay.isNegative()) {
        throw new IllegalArgumentException("drainDelay is negative: " + drainDelay);
      }
      if (maxStaleness != null) {
        checkPositive(maxStaleness, "maxStaleness");
      }
      if (tlsTrustCertificateFile != null && !tlsEnabled) {
        throw new IllegalArgumentException(
            "tlsTrustCertificateFile is set but TLS is not enabled: call tlsEnabled(true)");
      }
      if (tlsClientCertificateFile != null && !tlsEnabled) {
        throw new IllegalArgumentException(
            "tlsClientCertificate is set but TLS is not enabled: call tlsEnabled(true)");
      }
      checkReadable(tlsTrustCertificateFile, "tlsTrustCertificateFile");
      checkReadable(tlsClientCertificateFile, "tlsClientCertificate's certificate file");
      checkReadable(tlsClientKeyFile, "tlsClientCertificate's private key file");
      if (token != null) {
        checkToken(token);
      }
      checkReadable(tokenFile, "tokenFile");
      return new RosterClientOptions(this);
    }

    private static void checkReadable(Path file, String name) {
      if (file != null && (!Files.isRegularFile(file) || !Files.isReadable(file))) {
        throw new IllegalArgumentException(
            name
                + " "
                + file.toAbsolutePath()
                + (Files.exists(file)
                    ? " is not a file this process can read"
                    : " does not exist"));
      }
    }

    /** A header carries the token: visible ASCII, no spaces (RFC 6750). Never shows it. */
    private static void checkToken(String token) {
      if (token.isBlank()) {
        throw new IllegalArgumentException("token is empty: give the token the operator issued");
      }
      if (!token.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
        throw new IllegalArgumentException(
            "token holds a character a header cannot carry: a token is visible ASCII without"
                + " spaces");
      }
    }

    private static void checkPositive(Duration value, String name) {
      if (value.isNegative() || value.isZero()) {
        throw new IllegalArgumentException(name + " must be positive, got " + value);
      }
    }

    private static void checkAddress(String address) {
      String host;
      String port;
      if (address.startsWith("[")) {
        int end = address.indexOf("]:");
        host = end < 0 ? "" : address.substring(1, end);
        port = end < 0 ? "" : address.substring(end + 2);
      } else {
        int colon = address.lastIndexOf(':');
        host = colon < 0 ? "" : address.substring(0, colon);
        port = colon < 0 ? "" : address.substring(colon + 1);
        if (host.contains(":")) {
          host = ""; // an IPv6 literal needs brackets
        }
      }
      if (host.isBlank()
          || !port.matches("[0-9]{1,5}")
          || Integer.parseInt(port) < 1
          || Integer.parseInt(port) > 65_535) {
        throw new IllegalArgumentException(
            "registry node '" + address + "' is not host:port (an IPv6 literal as [::1]:7101)");
      }
    }
  }
}
