package io.roster.node.config;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Named sets of defaults. Every key a node reads is listed here with its default; anything given in
 * a file, the environment or a flag overrides it.
 */
public enum Profile {
  /**
   * For real networks: listen on every address and give the network time before declaring a member
   * dead (a member silent for 20 s; GC pauses and packet loss should not split the cluster).
   */
  LAN(
      Map.ofEntries(
          Map.entry("api.host", "0.0.0.0"),
          Map.entry("cluster.host", "127.0.0.1"),
          Map.entry("cluster.heartbeat-interval-s", "2"),
          Map.entry("cluster.max-no-heartbeat-s", "20"),
          Map.entry("cluster.join-wait-s", "5"),
          Map.entry("limits.enabled", "true"))),

  /**
   * Three nodes on one machine (deploy/local): loopback only, and a silent member declared dead
   * after 10 s. A killed member is noticed at once anyway (its connections are refused); 10 s is
   * for a hung one. Shorter (5 s) made two healthy members on a loaded 2-core machine suspect each
   * other and split.
   */
  LOCAL(
      Map.ofEntries(
          Map.entry("api.host", "127.0.0.1"),
          // Three nodes and their clients share the machine's cores: one event loop each.
          Map.entry("api.event-loops", "1"),
          Map.entry("cluster.host", "127.0.0.1"),
          Map.entry("cluster.members", "127.0.0.1:5701,127.0.0.1:5702,127.0.0.1:5703"),
          Map.entry("cluster.heartbeat-interval-s", "1"),
          Map.entry("cluster.max-no-heartbeat-s", "10"),
          Map.entry("cluster.join-wait-s", "2"),
          // Read by a person: roster-local logs N, and the tests' node logs.
          Map.entry("log.format", "text")));

  /** Defaults every profile shares. */
  static final Map<String, String> COMMON =
      Map.ofEntries(
          Map.entry("node.name", ""),
          Map.entry("node.shutdown-grace-ms", "15000"),
          // JSON where a collector reads the output (journald, a container runtime, a shipper):
          // each line one event, filterable by its fields. The local profile writes text.
          Map.entry("log.format", "json"),
          Map.entry("log.levels", ""),
          Map.entry("api.port", "7101"),
          Map.entry("api.advertised-host", ""),
          // 5 minutes of silence: long past any healthy client's pause (a stream keeps its
          // connection busy with pings), short enough that abandoned sockets do not pile up.
          Map.entry("api.idle-timeout-s", "300"),
          // Pings on connections with open streams: well inside the idle timeout, and rare enough
          // (one 17-byte frame a minute) to cost nothing.
          Map.entry("api.keepalive-interval-s", "60"),
          // A client that has not answered a ping in 20 s is gone or hung: its streams are freed.
          Map.entry("api.keepalive-timeout-s", "20"),
          // Half the cores the JVM may use, at least one: client connections (each keeps its
          // event loop) spread over several cores, and the other half left to Hazelcast's
          // partition threads, which do the registry's writes, and to GC. A second event loop
          // costs CPU per call while neither is busy: on 2 cores, 2 loops served 0.81-0.86 times
          // the calls of 1 (docs/benchmarks.md, "Serving paths"), hence 1 there.
          Map.entry("api.event-loops", Integer.toString(defaultApiEventLoops())),
          Map.entry("api.tls.enabled", "false"),
          Map.entry("api.tls.cert-chain-file", ""),
          Map.entry("api.tls.private-key-file", ""),
          Map.entry("api.tls.client-ca-file", ""),
          // Empty: require when a client CA is given, none otherwise; giving a CA means wanting
          // client certificates, and "request" (a certificate optional) must be asked for.
          Map.entry("api.tls.client-auth", ""),
          // 5 s: a rotated certificate is served within seconds, for a read of three small files.
          Map.entry("api.tls.reload-interval-ms", "5000"),
          // On by default: it holds nothing a caller could not read through the API, with the same
          // credentials and limits, and operators want it where the node is.
          Map.entry("dashboard.enabled", "true"),
          // 0: on the API port under /ui/, so there is no second port to open and secure.
          Map.entry("dashboard.port", "0"),
          // Off: DNS has no TLS and no access checks (docs/dns.md), and three nodes on one machine
          // cannot share a port; deploy/local turns it on with a port per node.
          Map.entry("dns.enabled", "false"),
          // Consul's DNS port: resolvers' forwarding recipes and habits carry over.
          Map.entry("dns.port", "8600"),
          // Empty: api.host.
          Map.entry("dns.host", ""),
          // 2 s: a resolver hands out an instance that left for at most 2 s more, and asks each
          // node at most once per name every 2 s (docs/dns.md, "TTL").
          Map.entry("dns.ttl-s", "2"),
          // 8 SRV records with their glue fit in a 512-byte UDP answer, so no plain resolver has to
          // retry over TCP; each is a different instance to fail over to.
          Map.entry("dns.max-records", "8"),
          Map.entry("dns.domain", "roster."),
          Map.entry("dns.zone", ""),
          // On by default: a read of the registry like Discover, with the same credentials and
          // limits, and what lets any gRPC client use Roster with no Roster code.
          Map.entry("xds.enabled", "true"),
          // 0: on the API port, so there is no second port to open and secure.
          Map.entry("xds.port", "0"),
          // 0: no health port; the API port serves grpc.health.v1.Health anyway. Deployments whose
          // probes cannot speak the API port's TLS (Kubernetes, Docker) set one (7180).
          Map.entry("health.port", "0"),
          Map.entry("cluster.name", "roster"),
          Map.entry("cluster.port", "5701"),
          Map.entry("cluster.members", ""),
          // A list: every host knows its peers without a DNS it depends on. "dns" suits
          // Kubernetes' headless Services and fleets whose addresses change.
          Map.entry("cluster.discovery", "members"),
          Map.entry("cluster.dns-name", ""),
          // A lookup that takes longer is retried at the next join attempt.
          Map.entry("cluster.dns-timeout-s", "5"),
          Map.entry("cluster.size", "3"),
          Map.entry("cluster.backup-count", "1"),
          Map.entry("cluster.secret-file", ""),
          Map.entry("cluster.hazelcast-clients", "false"),
          Map.entry("lease.default-ttl-ms", "10000"),
          Map.entry("lease.min-ttl-ms", "1000"),
          Map.entry("lease.max-ttl-ms", "3600000"),
          Map.entry("lease.renewal-window-ms", "100"),
          Map.entry("eviction.sweep-interval-ms", "500"),
          Map.entry("eviction.grace-ms", "30000"),
          Map.entry("eviction.budget-percent-per-minute", "15"),
          Map.entry("eviction.budget-floor-per-minute", "3"),
          Map.entry("eviction.confined-services-percent", "15"),
          Map.entry("eviction.max-per-sweep", "500"),
          Map.entry("eviction.unleased-check-interval-ms", "10000"),
          Map.entry("eviction.leader-lease-ms", "800"),
          Map.entry("watch.queue-limit", "1024"),
          Map.entry("security.access-file", ""),
          Map.entry("security.insecure", "false"),
          Map.entry("view.resync-interval-ms", "5000"),
          // Off: a line per call is a second log the size of the traffic; metrics count calls.
          Map.entry("log.access", "false"),
          // Off unless the profile says otherwise (lan: on); docs/security.md#limits.
          Map.entry("limits.enabled", "false"),
          // Per connection: one process's client. 100 writes a second is far beyond any one
          // instance's needs (it registers once and renews), yet one connection alone cannot
          // take much of a node's write capacity (a few thousand a second; each new instance is
          // also applied to every node's view).
          Map.entry("limits.connection.writes-per-s", "100"),
          // A client keeping 10,000 instances alive at TTL 10 s renews about 3,000 a second.
          Map.entry("limits.connection.renewals-per-s", "5000"),
          Map.entry("limits.connection.reads-per-s", "1000"),
          // A client needs a KeepAlive stream and a few Watch streams (each follows up to 256
          // services).
          Map.entry("limits.connection.streams", "100"),
          // A client that honours the retry hints is refused a few times a second at most; one
          // refused more than 100 times in a second ignores them, and each refusal still costs
          // the event loop its connection shares with others: its connection is closed.
          Map.entry("limits.connection.refusals-per-s", "100"),
          // Per caller, over all its connections: a token shared by a whole fleet is one caller,
          // hence several times the connection's figures.
          // 200: a flooding caller at 454 new services a second cut another caller's Discover
          // on the same node by 80 % on a 2-core machine (docs/benchmarks.md).
          Map.entry("limits.caller.writes-per-s", "200"),
          Map.entry("limits.caller.renewals-per-s", "20000"),
          Map.entry("limits.caller.reads-per-s", "5000"),
          Map.entry("limits.caller.streams", "1000"),
          Map.entry("limits.burst-s", "2"),
          // 100,000 instances per namespace: about 92 MB of heap on each node (920 B each).
          Map.entry("limits.instances-per-namespace", "100000"));

  /** {@code api.event-loops} unless set: half the cores the JVM may use, at least one. */
  static int defaultApiEventLoops() {
    return Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
  }

  private final Map<String, String> overrides;

  Profile(Map<String, String> overrides) {
    this.overrides = overrides;
  }

  /** Every key with this profile's default. */
  public Map<String, String> defaults() {
    Map<String, String> all = new LinkedHashMap<>(COMMON);
    all.putAll(overrides);
    return all;
  }
}
