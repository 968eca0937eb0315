package io.roster.node.config;

import io.roster.node.domain.LeasePolicy;
import io.roster.node.logging.LogFormat;
import io.roster.node.logging.LogLevel;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Everything a registry node is configured with: typed, immutable, validated once by {@link
 * ConfigLoader}. Each default is documented at its key in {@link Profile} and in
 * docs/operations.md.
 *
 * @param nodeName name of this node in logs and status (key {@code node.name})
 * @param api where clients call this node
 * @param dashboard the operator's web dashboard (keys {@code dashboard.*})
 * @param dns the DNS interface to the registry (keys {@code dns.*})
 * @param xds the xDS control plane for gRPC clients and proxies (keys {@code xds.*})
 * @param health the plaintext port for probes and drains (keys {@code health.*})
 * @param cluster how this node finds and watches the others
 * @param leases lease time-to-live bounds
 * @param renewalWindowMillis how long a heartbeat from a KeepAlive stream may wait to share one
 *     write per member with others (key {@code lease.renewal-window-ms}); a unary heartbeat is
 *     written as soon as its member is free
 * @param eviction the leader's eviction of expired leases
 * @param watchQueueLimit messages a Watch stream may have waiting for a slow caller before they are
 *     replaced by a fresh snapshot (key {@code watch.queue-limit})
 * @param viewResyncIntervalMillis how often the local view compares every revision with the store
 *     (key {@code view.resync-interval-ms})
 * @param accessFile who may call and what each may do (key {@code security.access-file}): the
 *     access file, read again when it changes; null for no access control (everyone may do
 *     everything)
 * @param limits what one caller and one connection may ask of this node (keys {@code limits.*})
 * @param securityGaps what this node runs without that a node on a shared network needs (TLS,
 *     checking callers, a cluster secret), each saying what to set; the {@code lan} profile starts
 *     with gaps only with {@code security.insecure=true}
 * @param shutdownGraceMillis longest wait for a graceful stop before giving up (key {@code
 *     node.shutdown-grace-ms})
 * @param logs how the node logs (keys {@code log.*})
 */
public record NodeConfig(
    String nodeName,
    Api api,
    Dashboard dashboard,
    Dns dns,
    Xds xds,
    Health health,
    Cluster cluster,
    LeasePolicy leases,
    long renewalWindowMillis,
    Eviction eviction,
    int watchQueueLimit,
    long viewResyncIntervalMillis,
    Path accessFile,
    Limits limits,
    List<String> securityGaps,
    long shutdownGraceMillis,
    Logs logs) {

  public NodeConfig {
    securityGaps = List.copyOf(securityGaps);
  }

  /**
   * The operator's web dashboard (keys {@code dashboard.*}): pages and their read-only JSON under
   * {@code /ui/}, served from the jar.
   *
   * @param enabled whether the node serves it (key {@code dashboard.enabled}); off, {@code /ui/}
   *     answers 404 like any unknown path
   * @param port 0: served on the API port, beside the API, with its TLS (key {@code
   *     dashboard.port}); otherwise a port of its own on {@code api.host}, with the API port's TLS
   *     too, serving the dashboard and the HTTP/JSON routes its pages call (no gRPC, no metrics)
   */
  public record Dashboard(boolean enabled, int port) {
    /** Whether it has a port of its own. */
    public boolean ownPort() {
      return enabled && port != 0;
    }
  }

  /**
   * How the node logs (keys {@code log.*}); docs/operations.md, "Logs".
   *
   * @param format one JSON object a line, or text for a terminal (key {@code log.format})
   * @param levels levels by logger (package or class) on top of the defaults (key {@code
   *     log.levels}); empty: the defaults
   * @param access whether every finished call is logged, one line each, on logger {@code
   *     io.roster.access} (key {@code log.access})
   */
  public record Logs(LogFormat format, Map<String, LogLevel> levels, boolean access) {
    public Logs {
      levels = Map.copyOf(levels);
    }
  }

  /**
   * The port probes and the node's own host ask about its health (key {@code health.port}):
   * plaintext, serving only {@code grpc.health.v1.Health} and {@code GET /livez}, {@code GET
   * /readyz} and, from a loopback peer only, {@code POST /drain}. It exists because probes cannot
   * always speak the API port's TLS: Kubernetes' gRPC probes never do, and none presents a client
   * certificate.
   *
   * @param port 0: none (the API port still serves {@code grpc.health.v1.Health}); otherwise the
   *     port, on {@code api.host}
   */
  public record Health(int port) {
    /** Whether the node opens the port. */
    public boolean enabled() {
      return port != 0;
    }
  }

  /**
   * The xDS control plane (keys {@code xds.*}): ADS over gRPC, so gRPC clients resolve {@code
   * xds:///<service>} against the node (docs/xds.md).
   *
   * @param enabled whether the node serves it (key {@code xds.enabled}); off, the ADS methods
   *     answer UNIMPLEMENTED like any unknown method
   * @param port 0: served on the API port, beside the API, with its TLS, access control and limits
   *     (key {@code xds.port}); otherwise on a port of its own on {@code api.host}, with the same
   *     TLS, access control and limits, serving nothing else
   */
  public record Xds(boolean enabled, int port) {
    /** Whether it has a port of its own. */
    public boolean ownPort() {
      return enabled && port != 0;
    }
  }

  /**
   * DNS answers from this node's view (keys {@code dns.*}; docs/dns.md): A, AAAA and SRV records of
   * the serving instances of a service, over UDP and TCP on one port.
   *
   * @param enabled whether the node answers DNS (key {@code dns.enabled}); off by default: DNS has
   *     no TLS and no access checks, so it shows every namespace to whoever reaches the port
   * @param host address to listen on (key {@code dns.host}); defaults to {@code api.host}
   * @param port UDP and TCP port (key {@code dns.port})
   * @param ttlSeconds time-to-live of every record, and of negative answers (key {@code
   *     dns.ttl-s}): how long resolvers may keep handing out an instance that left
   * @param maxRecords most instances in one answer (key {@code dns.max-records})
   * @param domain the zone the node answers for, absolute (key {@code dns.domain}); queries for
   *     other names are refused
   * @param zone the zone this node's callers are in (key {@code dns.zone}): SRV answers for a name
   *     without a zone give its instances priority 0 and the others 1; empty: every instance 0
   */
  public record Dns(
      boolean enabled,
      String host,
      int port,
      int ttlSeconds,
      int maxRecords,
      String domain,
      String zone) {}

  /**
   * The leader's eviction of expired leases (keys {@code eviction.*}).
   *
   * @param sweepIntervalMillis how often the leader sweeps (key {@code
   *     eviction.sweep-interval-ms}); an instance is marked unhealthy at most this long after its
   *     lease expired
   * @param graceMillis how long an instance stays listed as unhealthy before it is removed (key
   *     {@code eviction.grace-ms})
   * @param budgetPercentPerMinute share of the registry that may be declared expired in any sliding
   *     minute when the silence spans many services (key {@code
   *     eviction.budget-percent-per-minute})
   * @param budgetFloorPerMinute declarations per minute allowed however small the registry, and
   *     services that may fall silent together however few there are (key {@code
   *     eviction.budget-floor-per-minute})
   * @param confinedServicesPercent share of the services whose instances may all fall silent at
   *     once and still be evicted at once, as a failure of those services rather than of the
   *     registry (key {@code eviction.confined-services-percent})
   * @param maxPerSweep declarations, and removals, per sweep at most (key {@code
   *     eviction.max-per-sweep})
   * @param unleasedCheckIntervalMillis how often the leader looks for instances listed without a
   *     lease (key {@code eviction.unleased-check-interval-ms}); one is treated as expired after
   *     two checks in a row found it so
   * @param leaderLeaseMillis how long a round trip with a majority keeps the leader allowed to
   *     evict (key {@code eviction.leader-lease-ms}); must be shorter than {@code lease.min-ttl-ms}
   */
  public record Eviction(
      long sweepIntervalMillis,
      long graceMillis,
      double budgetPercentPerMinute,
      int budgetFloorPerMinute,
      double confinedServicesPercent,
      int maxPerSweep,
      long unleasedCheckIntervalMillis,
      long leaderLeaseMillis) {}

  /**
   * What one caller, and one connection, may ask of this node (keys {@code limits.*}), so that a
   * runaway or hostile client slows only itself: past a rate the call is refused with
   * RESOURCE_EXHAUSTED (HTTP 429) and when to retry; past the stream count a new stream is refused
   * until one closes; past the namespace quota a new instance is refused. Each node counts for
   * itself: a caller spread over three nodes may do three times as much in all.
   *
   * @param enabled whether any limit applies (key {@code limits.enabled}); off in the {@code local}
   *     profile, where the only callers are the developer's own and the benchmarks, which measure
   *     capacity
   * @param perConnection what one client connection may do (keys {@code limits.connection.*})
   * @param perCaller what one caller may do over all its connections to this node (keys {@code
   *     limits.caller.*}): a caller is the principal its token or certificate names, or its address
   *     when access control is off
   * @param burstSeconds how many seconds of its rate a quiet caller may spend at once (key {@code
   *     limits.burst-s}): at 200 writes a second, a service of 400 instances sharing a token that
   *     restarts at once registers them in one go
   * @param instancesPerNamespace most instances one namespace may hold (key {@code
   *     limits.instances-per-namespace}); 0: no quota. Checked against this node's view, so the
   *     registrations in flight on other nodes at that moment may pass it
   * @param refusalsPerSecondBeforeClose a connection on which more calls than this were refused
   *     within a second is closed (key {@code limits.connection.refusals-per-s}): its client
   *     ignores the retry hints, and each refusal still costs the node's event loop; 0: never
   */
  public record Limits(
      boolean enabled,
      Rates perConnection,
      Rates perCaller,
      double burstSeconds,
      int instancesPerNamespace,
      int refusalsPerSecondBeforeClose) {
    /** No limit at all. */
    public static Limits off() {
      return new Limits(false, Rates.NONE, Rates.NONE, 1, 0, 0);
    }
  }

  /**
   * Rates per second and open streams, each 0 for no limit.
   *
   * @param writesPerSecond Register, Deregister and SetStatus calls
   * @param renewalsPerSecond Heartbeat calls, KeepAlive streams opened and heartbeats on them
   * @param readsPerSecond Discover, ListServices, ClusterStatus calls and Watch streams opened
   * @param streams Watch and KeepAlive streams open at once
   */
  public record Rates(int writesPerSecond, int renewalsPerSecond, int readsPerSecond, int streams) {
    public static final Rates NONE = new Rates(0, 0, 0, 0);
  }

  /**
   * The client-facing gRPC (and HTTP) port.
   *
   * @param host address to listen on (key {@code api.host})
   * @param port port to listen on (key {@code api.port})
   * @param advertisedHost host clients are told to use for this node (key {@code
   *     api.advertised-host}); defaults to {@code host}, or the cluster host when listening on all
   *     addresses
   * @param tls TLS on the API port; off unless a certificate is given
   * @param connections how long idle and unresponsive client connections are kept
   * @param eventLoops Vert.x event loops serving the API port (key {@code api.event-loops}); each
   *     client connection is served by one of them for its whole life
   */
  public record Api(
      String host,
      int port,
      String advertisedHost,
      Tls tls,
      Connections connections,
      int eventLoops) {
    public String advertisedAddress() {
      return advertisedHost + ":" + port;
    }
  }

  /**
   * How the API port treats idle and unresponsive connections (keys {@code api.*}).
   *
   * @param idleTimeoutSeconds a connection on which nothing was read or written for this long is
   *     closed (key {@code api.idle-timeout-s}): a bare TCP connection, a half-sent HTTP/2 preface
   *     or HTTP/1.1 request, a client that went away without closing. Connections with open HTTP/2
   *     streams are never idle this long, since the node pings them (below)
   * @param keepAliveIntervalSeconds how often the node sends an HTTP/2 PING on a connection with
   *     open streams (key {@code api.keepalive-interval-s}); must be shorter than the idle timeout,
   *     so a quiet Watch or KeepAlive stream keeps its connection
   * @param keepAliveTimeoutSeconds how long a ping may go unanswered before the connection is
   *     closed as dead (key {@code api.keepalive-timeout-s}), which releases its streams
   */
  public record Connections(
      int idleTimeoutSeconds, int keepAliveIntervalSeconds, int keepAliveTimeoutSeconds) {}

  /**
   * TLS for the API port (keys {@code api.tls.*}): one port, so gRPC, gRPC-Web, HTTP/JSON and
   * {@code /metrics} all speak TLS, or none does. The files are PEM; they are read at start (a
   * missing, unreadable or malformed one stops the node, naming its key) and again whenever they
   * change, every {@code reloadIntervalMillis}.
   *
   * @param enabled whether the API port speaks TLS only (key {@code api.tls.enabled})
   * @param certChainFile the node's certificate, then any intermediate CA certificates (key {@code
   *     api.tls.cert-chain-file})
   * @param privateKeyFile the certificate's private key, PKCS#8 ({@code BEGIN PRIVATE KEY}), PKCS#1
   *     RSA or SEC1 EC, unencrypted (key {@code api.tls.private-key-file})
   * @param clientCaFile CA certificates that client certificates must chain to (key {@code
   *     api.tls.client-ca-file}); null when client certificates are not asked for
   * @param clientAuth whether clients must present a certificate (key {@code api.tls.client-auth})
   * @param reloadIntervalMillis how often the three files are read again, and applied to new
   *     connections when they changed (key {@code api.tls.reload-interval-ms}); 0: never
   */
  public record Tls(
      boolean enabled,
      Path certChainFile,
      Path privateKeyFile,
      Path clientCaFile,
      ClientAuth clientAuth,
      long reloadIntervalMillis) {
    public static Tls off() {
      return new Tls(false, null, null, null, ClientAuth.NONE, 0);
    }
  }

  /** Whether TLS clients must present a certificate (key {@code api.tls.client-auth}). */
  public enum ClientAuth {
    /** No client certificate is asked for. */
    NONE,
    /**
     * A certificate is asked for and checked against the client CA when given; a client without one
     * is still served (for a migration to {@link #REQUIRE}, clients one by one).
     */
    REQUEST,
    /** Mutual TLS: a client without a certificate signed by the client CA is refused. */
    REQUIRE
  }

  /**
   * Membership of the embedded Hazelcast member.
   *
   * @param name only nodes with the same cluster name join each other (key {@code cluster.name})
   * @param host address the member binds and is reached on (key {@code cluster.host})
   * @param port member port (key {@code cluster.port})
   * @param members seed addresses "host:port" tried when joining (key {@code cluster.members});
   *     empty when the members are found by DNS
   * @param dnsName with {@code cluster.discovery=dns}: the name whose A and AAAA records are every
   *     member's address, each listening on {@link #port} (key {@code cluster.dns-name}); empty
   *     when the members are listed
   * @param dnsTimeoutSeconds longest wait for one lookup of {@link #dnsName} (key {@code
   *     cluster.dns-timeout-s})
   * @param expectedSize number of nodes the cluster is meant to have, for quorum (key {@code
   *     cluster.size})
   * @param backupCount synchronous backups of every entry (key {@code cluster.backup-count})
   * @param heartbeatIntervalSeconds member-to-member heartbeat period (key {@code
   *     cluster.heartbeat-interval-s})
   * @param maxNoHeartbeatSeconds silence after which a member is declared dead (key {@code
   *     cluster.max-no-heartbeat-s})
   * @param joinWaitSeconds wait for other members before forming a cluster: how long a starting
   *     member asks the seeds for a master (at least 1 s), and a master waits for more joiners (key
   *     {@code cluster.join-wait-s})
   * @param secret shared by the nodes of this cluster, read from the file {@code
   *     cluster.secret-file}: a member counts as a node of the cluster (toward quorum, for
   *     leadership) only when it proves it holds the secret; none by default
   * @param hazelcastClients whether Hazelcast clients may connect to the member port (key {@code
   *     cluster.hazelcast-clients}); no Roster part needs them, so false by default
   */
  public record Cluster(
      String name,
      String host,
      int port,
      List<String> members,
      String dnsName,
      int dnsTimeoutSeconds,
      int expectedSize,
      int backupCount,
      int heartbeatIntervalSeconds,
      int maxNoHeartbeatSeconds,
      int joinWaitSeconds,
      ClusterSecret secret,
      boolean hazelcastClients) {

    public Cluster {
      members = List.copyOf(members);
    }

    /** Whether the members are found by DNS ({@code cluster.discovery=dns}) rather than listed. */
    public boolean discoversByDns() {
      return !dnsName.isEmpty();
    }

    /** The number of members that make a majority of {@link #expectedSize}. */
    public int quorumSize() {
      return expectedSize / 2 + 1;
    }
  }
}
