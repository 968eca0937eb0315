package io.roster.node.config;

import io.roster.node.domain.LeasePolicy;
import io.roster.node.logging.LogFormat;
import io.roster.node.logging.LogLevel;
import io.roster.node.logging.LogLevels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads a node's configuration, each source overriding the one before: the profile's defaults, a
 * YAML file, the environment, then command-line flags. The one place configuration is read.
 *
 * <ul>
 *   <li>Flags: {@code --api.port=7102}; {@code --profile=local} picks the profile and {@code
 *       --config=FILE} the file.
 *   <li>Environment: the key upper-cased with '.' and '-' as '_' and a {@code ROSTER_} prefix:
 *       {@code ROSTER_API_PORT=7102}, {@code ROSTER_PROFILE}, {@code ROSTER_CONFIG}.
 *   <li>File: YAML with the same keys as the flags, dotted or nested ({@link ConfigFile}).
 * </ul>
 *
 * An unknown key anywhere is an error, so a typo never silently falls back to a default.
 */
public final class ConfigLoader {

  /**
   * Most event loops the API may ask for: a connection uses one at a time, and beyond the cores
   * they only share the same ones.
   */
  static final int MAX_API_EVENT_LOOPS = 256;

  private ConfigLoader() {}

  public static NodeConfig load(String[] args, Map<String, String> environment) {
    Map<String, String> flags = parseFlags(args);
    String profileName =
        flags.getOrDefault("profile", environment.getOrDefault("ROSTER_PROFILE", "lan"));
    Profile profile;
    try {
      profile = Profile.valueOf(profileName.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("profile: must be one of lan, local; got \"" + profileName + "\"");
    }
    Map<String, String> values = new LinkedHashMap<>(profile.defaults());

    String file = flags.getOrDefault("config", environment.getOrDefault("ROSTER_CONFIG", ""));
    if (!file.isEmpty()) {
      ConfigFile.read(Path.of(file))
          .forEach(
              (key, value) ->
                  put(values, key, value.value(), "file " + file + " (line " + value.line() + ")"));
    }
    for (String key : List.copyOf(values.keySet())) {
      String fromEnv = environment.get(environmentName(key));
      if (fromEnv != null) {
        values.put(key, fromEnv);
      }
    }
    flags.forEach(
        (key, value) -> {
          if (!key.equals("profile") && !key.equals("config")) {
            put(values, key, value, "flag --" + key);
          }
        });
    return build(profile, values);
  }

  /** {@code api.port} is read from {@code ROSTER_API_PORT}. */
  public static String environmentName(String key) {
    return "ROSTER_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
  }

  private static NodeConfig build(Profile profile, Map<String, String> values) {
    Reading in = new Reading(values);
    String clusterHost = in.string("cluster.host");
    int clusterPort = in.port("cluster.port");
    String apiHost = in.string("api.host");
    int apiPort = in.port("api.port");
    String advertised = in.string("api.advertised-host");
    if (advertised.isEmpty()) {
      advertised = apiHost.equals("0.0.0.0") || apiHost.equals("::") ? clusterHost : apiHost;
    }
    NodeConfig.Tls tls = tls(in);
    NodeConfig.Dashboard dashboard = dashboard(in, apiPort);
    NodeConfig.Dns dns = dns(in, apiHost, apiPort, dashboard.port(), clusterPort);
    NodeConfig.Xds xds = xds(in, apiPort, dashboard);
    NodeConfig.Health health = health(in, apiPort, dashboard, xds, dns, clusterPort);
    int idleTimeout = in.intIn("api.idle-timeout-s", 1, 86_400);
    int keepAliveInterval = in.intIn("api.keepalive-interval-s", 1, 3_600);
    int keepAliveTimeout = in.intIn("api.keepalive-timeout-s", 1, 600);
    if (keepAliveInterval >= idleTimeout) {
      throw new ConfigException(
          "api.keepalive-interval-s ("
              + keepAliveInterval
              + ") must be shorter than api.idle-timeout-s ("
              + idleTimeout
              + "), or connections with quiet streams would be closed as idle");
    }
    NodeConfig.Connections connections =
        new NodeConfig.Connections(idleTimeout, keepAliveInterval, keepAliveTimeout);
    List<String> members = new ArrayList<>();
    for (String member : in.string("cluster.members").split(",")) {
      if (!member.isBlank()) {
        members.add(in.address("cluster.members", member.trim()));
      }
    }
    String dnsName = dnsName(in, members);
    if (members.isEmpty() && dnsName.isEmpty()) {
      members.add(clusterHost + ":" + clusterPort);
    }
    int size = in.intIn("cluster.size", 1, 99);
    int heartbeat = in.intIn("cluster.heartbeat-interval-s", 1, 60);
    int maxNoHeartbeat = in.intIn("cluster.max-no-heartbeat-s", 2, 600);
    if (maxNoHeartbeat <= heartbeat) {
      throw new ConfigException(
          "cluster.max-no-heartbeat-s ("
              + maxNoHeartbeat
              + ") must be longer than cluster.heartbeat-interval-s ("
              + heartbeat
              + ")");
    }
    NodeConfig.Cluster cluster =
        new NodeConfig.Cluster(
            in.string("cluster.name"),
            clusterHost,
            clusterPort,
            members,
            dnsName,
            in.intIn("cluster.dns-timeout-s", 1, 300),
            size,
            in.intIn("cluster.backup-count", 0, 6),
            heartbeat,
            maxNoHeartbeat,
            in.intIn("cluster.join-wait-s", 0, 300),
            in.secret("cluster.secret-file"),
            in.bool("cluster.hazelcast-clients"));
    LeasePolicy leases;
    try {
      leases =
          new LeasePolicy(
              in.longIn("lease.default-ttl-ms", 1, Long.MAX_VALUE),
              in.longIn("lease.min-ttl-ms", 1, Long.MAX_VALUE),
              in.longIn("lease.max-ttl-ms", 1, Long.MAX_VALUE));
    } catch (IllegalArgumentException e) {
      throw new ConfigException("lease.*: " + e.getMessage());
    }
    long leaderLease = in.longIn("eviction.leader-lease-ms", 100, 600_000);
    if (leaderLease >= leases.minTtlMillis()) {
      throw new ConfigException(
          "eviction.leader-lease-ms ("
              + leaderLease
              + ") must be shorter than lease.min-ttl-ms ("
              + leases.minTtlMillis()
              + "): a leader cut off from its majority must stop evicting before any lease can"
              + " expire for want of renewals it cannot see");
    }
    NodeConfig.Eviction eviction =
        new NodeConfig.Eviction(
            in.longIn("eviction.sweep-interval-ms", 50, 60_000),
            in.longIn("eviction.grace-ms", 0, 86_400_000),
            in.doubleIn("eviction.budget-percent-per-minute", 0.1, 100),
            in.intIn("eviction.budget-floor-per-minute", 1, 1_000_000),
            in.doubleIn("eviction.confined-services-percent", 0, 100),
            in.intIn("eviction.max-per-sweep", 1, 1_000_000),
            in.longIn("eviction.unleased-check-interval-ms", 100, 3_600_000),
            leaderLease);
    String name = in.string("node.name");
    if (name.isEmpty()) {
      name = advertised + ":" + apiPort;
    }
    Path accessFile = in.optionalFile("security.access-file");
    List<String> gaps = securityGaps(tls, accessFile, cluster.secret());
    NodeConfig config =
        new NodeConfig(
            name,
            new NodeConfig.Api(
                apiHost,
                apiPort,
                advertised,
                tls,
                connections,
                in.intIn("api.event-loops", 1, MAX_API_EVENT_LOOPS)),
            dashboard,
            dns,
            xds,
            health,
            cluster,
            leases,
            in.longIn("lease.renewal-window-ms", 1, 1_000),
            eviction,
            in.intIn("watch.queue-limit", 1, 1_000_000),
            in.longIn("view.resync-interval-ms", 100, 3_600_000),
            accessFile,
            limits(in),
            gaps,
            in.longIn("node.shutdown-grace-ms", 0, 600_000),
            logs(in));
    // Last: every value is checked first, so a typo is reported as itself.
    boolean insecure = in.bool("security.insecure");
    if (profile == Profile.LAN && !gaps.isEmpty() && !insecure) {
      throw new ConfigException(
          "the lan profile runs secured, and this node would run without "
              + String.join("; without ", gaps)
              + ". Set them (docs/security.md shows how), or set security.insecure=true to run"
              + " without them on a network you trust");
    }
    return config;
  }

  private static NodeConfig.Dashboard dashboard(Reading in, int apiPort) {
    boolean enabled = in.bool("dashboard.enabled");
    int port = in.intIn("dashboard.port", 0, 65_535);
    if (port == apiPort) {
      throw new ConfigException(
          "dashboard.port ("
              + port
              + ") is api.port: set dashboard.port=0 to serve the dashboard on the API port, or"
              + " give it another port");
    }
    return new NodeConfig.Dashboard(enabled, port);
  }

  private static NodeConfig.Dns dns(
      Reading in, String apiHost, int apiPort, int dashboardPort, int clusterPort) {
    boolean enabled = in.bool("dns.enabled");
    String host = in.string("dns.host");
    int port = in.port("dns.port");
    if (enabled && (port == apiPort || port == dashboardPort || port == clusterPort)) {
      throw new ConfigException(
          "dns.port ("
              + port
              + ") is already the API, dashboard or cluster port: give DNS a port of its own"
              + " (8600 by default)");
    }
    String domain = in.string("dns.domain").toLowerCase(Locale.ROOT);
    if (!domain.endsWith(".")) {
      domain += ".";
    }
    if (!domain.matches("([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.){1,8}")) {
      throw new ConfigException(
          "dns.domain: must be one or more DNS labels (letters, digits, '-') ending with a dot,"
              + " such as roster. or roster.example.com., got \""
              + in.string("dns.domain")
              + "\"");
    }
    String zone = in.string("dns.zone");
    if (!zone.matches("[A-Za-z0-9_-]{0,63}")) {
      throw new ConfigException(
          "dns.zone: must be a zone name without dots (0-63 letters, digits, '_' or '-'), got \""
              + zone
              + "\"");
    }
    return new NodeConfig.Dns(
        enabled,
        host.isEmpty() ? apiHost : host,
        port,
        in.intIn("dns.ttl-s", 0, 86_400),
        in.intIn("dns.max-records", 1, 256),
        domain,
        zone);
  }

  private static NodeConfig.Xds xds(Reading in, int apiPort, NodeConfig.Dashboard dashboard) {
    boolean enabled = in.bool("xds.enabled");
    int port = in.intIn("xds.port", 0, 65_535);
    if (port != 0 && (port == apiPort || (dashboard.ownPort() && port == dashboard.port()))) {
      throw new ConfigException(
          "xds.port ("
              + port
              + ") is "
              + (port == apiPort ? "api.port" : "dashboard.port")
              + ": set xds.port=0 to serve xDS on the API port, or give it a port of its own");
    }
    return new NodeConfig.Xds(enabled, port);
  }

  /**
   * The DNS name the members are found by, or empty when they are listed; checks that exactly one
   * way is configured.
   */
  private static String dnsName(Reading in, List<String> members) {
    String discovery = in.string("cluster.discovery");
    String name = in.string("cluster.dns-name");
    switch (discovery) {
      case "members" -> {
        if (!name.isEmpty()) {
          throw new ConfigException(
              "cluster.dns-name is set but cluster.discovery=members: set cluster.discovery=dns"
                  + " to find the members by that name, or remove cluster.dns-name");
        }
        return "";
      }
      case "dns" -> {
        if (!members.isEmpty()) {
          throw new ConfigException(
              "cluster.members is set but cluster.discovery=dns: the members are found by"
                  + " cluster.dns-name; remove cluster.members, or set cluster.discovery=members");
        }
        if (name.isEmpty()) {
          throw new ConfigException(
              "cluster.discovery=dns needs cluster.dns-name: a name whose A/AAAA records are every"
                  + " member's address (on Kubernetes, the headless Service's name, such as"
                  + " roster-members.roster.svc.cluster.local)");
        }
        if (!name.matches("[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?\\.?")) {
          throw new ConfigException(
              "cluster.dns-name: must be a host name (letters, digits, '-' and '.'), got \""
                  + name
                  + "\"");
        }
        return name;
      }
      default ->
          throw new ConfigException(
              "cluster.discovery: must be members (the list cluster.members) or dns (the name"
                  + " cluster.dns-name), got \""
                  + discovery
                  + "\"");
    }
  }

  private static NodeConfig.Health health(
      Reading in,
      int apiPort,
      NodeConfig.Dashboard dashboard,
      NodeConfig.Xds xds,
      NodeConfig.Dns dns,
      int clusterPort) {
    int port = in.intIn("health.port", 0, 65_535);
    if (port != 0
        && (port == apiPort
            || port == clusterPort
            || (dashboard.ownPort() && port == dashboard.port())
            || (xds.ownPort() && port == xds.port())
            || (dns.enabled() && port == dns.port()))) {
      throw new ConfigException(
          "health.port ("
              + port
              + ") is already the API, cluster, dashboard, xDS or DNS port: give it a port of its"
              + " own (7180 in the shipped deployments), or 0 for none");
    }
    return new NodeConfig.Health(port);
  }

  /** What a node configured so runs without, each as what to set for it. */
  private static List<String> securityGaps(
      NodeConfig.Tls tls, Path accessFile, ClusterSecret secret) {
    List<String> gaps = new ArrayList<>();
    if (!tls.enabled()) {
      gaps.add("TLS on the API port (api.tls.enabled=true with a certificate and key)");
    }
    if (accessFile == null && tls.clientAuth() != NodeConfig.ClientAuth.REQUIRE) {
      gaps.add(
          "checking who calls (security.access-file, or client certificates required with"
              + " api.tls.client-ca-file)");
    }
    if (!secret.isSet()) {
      gaps.add("a secret the nodes share (cluster.secret-file)");
    }
    return gaps;
  }

  private static NodeConfig.Logs logs(Reading in) {
    String formatName = in.string("log.format");
    LogFormat format = LogFormat.parse(formatName);
    if (format == null) {
      throw new ConfigException("log.format: must be json or text, got \"" + formatName + "\"");
    }
    Map<String, LogLevel> levels = new LinkedHashMap<>();
    for (String entry : in.string("log.levels").split(",")) {
      if (entry.isBlank()) {
        continue;
      }
      int eq = entry.indexOf('=');
      if (eq < 0) {
        throw new ConfigException(
            "log.levels: entries take the form LOGGER=LEVEL (for example"
                + " io.roster.node.cluster=debug,com.hazelcast=warn), got \""
                + entry.strip()
                + "\"");
      }
      String logger = entry.substring(0, eq).strip();
      String levelName = entry.substring(eq + 1).strip();
      String problem = LogLevels.problemWithName(logger);
      if (problem != null) {
        throw new ConfigException("log.levels: the logger name \"" + logger + "\" " + problem);
      }
      LogLevel level = LogLevel.parse(levelName);
      if (level == null) {
        throw new ConfigException(
            "log.levels: unknown level \""
                + levelName
                + "\" for "
                + logger
                + "; levels are "
                + LogLevel.NAMES);
      }
      if (levels.put(logger, level) != null) {
        throw new ConfigException("log.levels: " + logger + " is given twice");
      }
    }
    return new NodeConfig.Logs(format, levels, in.bool("log.access"));
  }

  private static NodeConfig.Limits limits(Reading in) {
    // Every key is read (and checked) even when the limits are off, so a typo is reported.
    boolean enabled = in.bool("limits.enabled");
    NodeConfig.Rates perConnection = rates(in, "limits.connection.");
    NodeConfig.Rates perCaller = rates(in, "limits.caller.");
    double burst = in.doubleIn("limits.burst-s", 0.01, 3_600);
    int quota = in.intIn("limits.instances-per-namespace", 0, 100_000_000);
    int refusals = in.intIn("limits.connection.refusals-per-s", 0, 10_000_000);
    return enabled
        ? new NodeConfig.Limits(true, perConnection, perCaller, burst, quota, refusals)
        : NodeConfig.Limits.off();
  }

  private static NodeConfig.Rates rates(Reading in, String prefix) {
    return new NodeConfig.Rates(
        in.intIn(prefix + "writes-per-s", 0, 10_000_000),
        in.intIn(prefix + "renewals-per-s", 0, 10_000_000),
        in.intIn(prefix + "reads-per-s", 0, 10_000_000),
        in.intIn(prefix + "streams", 0, 10_000_000));
  }

  private static NodeConfig.Tls tls(Reading in) {
    List<String> tlsKeys =
        List.of(
            "api.tls.cert-chain-file",
            "api.tls.private-key-file",
            "api.tls.client-ca-file",
            "api.tls.client-auth");
    if (!in.bool("api.tls.enabled")) {
      for (String key : tlsKeys) {
        if (!in.string(key).isEmpty()) {
          throw new ConfigException(
              key
                  + " is set but api.tls.enabled=false, so the API port would speak plaintext: set"
                  + " api.tls.enabled=true, or remove "
                  + key);
        }
      }
      return NodeConfig.Tls.off();
    }
    Path clientCa =
        in.string("api.tls.client-ca-file").isEmpty()
            ? null
            : in.existingFile("api.tls.client-ca-file");
    String clientAuthValue = in.string("api.tls.client-auth");
    NodeConfig.ClientAuth clientAuth;
    if (clientAuthValue.isEmpty()) {
      clientAuth = clientCa == null ? NodeConfig.ClientAuth.NONE : NodeConfig.ClientAuth.REQUIRE;
    } else {
      try {
        clientAuth = NodeConfig.ClientAuth.valueOf(clientAuthValue.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(
            "api.tls.client-auth: must be none, request or require, got \""
                + clientAuthValue
                + "\"");
      }
    }
    if (clientAuth != NodeConfig.ClientAuth.NONE && clientCa == null) {
      throw new ConfigException(
          "api.tls.client-auth="
              + clientAuth.name().toLowerCase(Locale.ROOT)
              + " needs api.tls.client-ca-file: the PEM file of the CA certificates that sign"
              + " client certificates");
    }
    if (clientAuth == NodeConfig.ClientAuth.NONE && clientCa != null) {
      throw new ConfigException(
          "api.tls.client-ca-file is set but api.tls.client-auth=none, so no client certificate"
              + " would be asked for: set api.tls.client-auth=require (or request), or remove"
              + " api.tls.client-ca-file");
    }
    long reloadInterval = in.longIn("api.tls.reload-interval-ms", 0, 3_600_000);
    if (reloadInterval > 0 && reloadInterval < 100) {
      throw new ConfigException(
          "api.tls.reload-interval-ms: must be 0 (never reload) or at least 100, got "
              + reloadInterval);
    }
    return new NodeConfig.Tls(
        true,
        in.existingFile("api.tls.cert-chain-file"),
        in.existingFile("api.tls.private-key-file"),
        clientCa,
        clientAuth,
        reloadInterval);
  }

  private static Map<String, String> parseFlags(String[] args) {
    Map<String, String> flags = new LinkedHashMap<>();
    for (String arg : args) {
      if (!arg.startsWith("--") || !arg.contains("=")) {
        throw new ConfigException(
            "flags take the form --key=value (for example --api.port=7101), got \"" + arg + "\"");
      }
      int eq = arg.indexOf('=');
      flags.put(arg.substring(2, eq), arg.substring(eq + 1));
    }
    return flags;
  }

  private static void put(Map<String, String> values, String key, String value, String source) {
    if (!values.containsKey(key)) {
      throw new ConfigException(
          "unknown configuration key \""
              + key
              + "\" in "
              + source
              + "; known keys: "
              + String.join(", ", values.keySet()));
    }
    values.put(key, value.trim());
  }

  /** Typed reads with messages that name the key. */
  private record Reading(Map<String, String> values) {

    String string(String key) {
      return values.get(key);
    }

    boolean bool(String key) {
      String value = values.get(key);
      if (!value.equals("true") && !value.equals("false")) {
        throw new ConfigException(key + ": must be true or false, got \"" + value + "\"");
      }
      return Boolean.parseBoolean(value);
    }

    int port(String key) {
      return intIn(key, 1, 65_535);
    }

    int intIn(String key, int min, int max) {
      return (int) longIn(key, min, max);
    }

    long longIn(String key, long min, long max) {
      String value = values.get(key);
      long parsed;
      try {
        parsed = Long.parseLong(value);
      } catch (NumberFormatException e) {
        throw new ConfigException(key + ": must be a whole number, got \"" + value + "\"");
      }
      if (parsed < min || parsed > max) {
        throw new ConfigException(
            key + ": must be between " + min + " and " + max + ", got " + parsed);
      }
      return parsed;
    }

    double doubleIn(String key, double min, double max) {
      String value = values.get(key);
      double parsed;
      try {
        parsed = Double.parseDouble(value);
      } catch (NumberFormatException e) {
        throw new ConfigException(key + ": must be a number, got \"" + value + "\"");
      }
      if (!(parsed >= min && parsed <= max)) {
        throw new ConfigException(
            key + ": must be between " + min + " and " + max + ", got " + value);
      }
      return parsed;
    }

    String address(String key, String address) {
      int colon = address.lastIndexOf(':');
      if (colon <= 0) {
        throw new ConfigException(key + ": addresses take the form host:port, got " + address);
      }
      try {
        int port = Integer.parseInt(address.substring(colon + 1));
        if (port < 1 || port > 65_535) {
          throw new NumberFormatException();
        }
      } catch (NumberFormatException e) {
        throw new ConfigException(key + ": bad port in " + address);
      }
      return address;
    }

    /**
     * The secret in the file {@code key} names (surrounding white space stripped), or none when the
     * key is empty.
     */
    ClusterSecret secret(String key) {
      String value = values.get(key);
      if (value.isEmpty()) {
        return ClusterSecret.none();
      }
      Path path = Path.of(value);
      byte[] bytes;
      try {
        bytes = Files.readString(path).strip().getBytes(StandardCharsets.UTF_8);
      } catch (IOException | UncheckedIOException e) {
        throw new ConfigException(key + ": cannot read " + path + " (" + e.getMessage() + ")");
      }
      if (bytes.length < ClusterSecret.MIN_BYTES) {
        throw new ConfigException(
            key
                + ": "
                + path
                + " holds "
                + bytes.length
                + " bytes; a cluster secret needs at least "
                + ClusterSecret.MIN_BYTES
                + " (make one with: openssl rand -hex 32 > "
                + path
                + ")");
      }
      return ClusterSecret.of(bytes);
    }

    /** The readable file {@code key} names, or null when it is empty. */
    Path optionalFile(String key) {
      String value = values.get(key);
      if (value.isEmpty()) {
        return null;
      }
      Path path = Path.of(value);
      if (!Files.isReadable(path)) {
        throw new ConfigException(key + ": cannot read " + path);
      }
      return path;
    }

    Path existingFile(String key) {
      String value = values.get(key);
      if (value.isEmpty()) {
        throw new ConfigException(key + ": required when api.tls.enabled=true");
      }
      Path path = Path.of(value);
      if (!Files.exists(path)) {
        throw new ConfigException(key + ": no such file: " + path.toAbsolutePath());
      }
      if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
        throw new ConfigException(
            key
                + ": "
                + path.toAbsolutePath()
                + " is not a file this process can read (check its permissions and the user the"
                + " node runs as)");
      }
      return path;
    }
  }
}
