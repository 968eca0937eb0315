package io.roster.bench;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A registry other than Roster, running as a three-member cluster the bench started on loopback
 * ({@link PeerServers}), with the client calls a registry user makes on it for each of the simple
 * client's operations: register an instance with a TTL, renew it once, list a service's instances.
 * {@link PeerRunner} drives them with the same closed loop, sizes and figures as Roster's phases.
 *
 * <p>Threading: {@link #register}, {@link #heartbeat} and {@link #discover} are called from the
 * caller threads of a {@link BlockingLoad} at once (thread {@code t} sticks to member {@code t} mod
 * 3, as Roster's threads stick to a node); they block, each bounded by the call deadline, and throw
 * a {@link RuntimeException} for a failed call. Counters may be read from any thread. {@link
 * #close} is called once, from the runner's thread, after the loads ended.
 */
interface PeerRegistry extends AutoCloseable {

  /** Where an instance lives on the peer, and what keeps it alive. */
  record PeerInstance(String service, String instanceId, long leaseId) {}

  /** The system's name in {@code --systems} and in the results: etcd, zookeeper. */
  SystemUnderTest system();

  /** Lines for the results' header: version, members, addresses, client, settings. */
  List<String> describe();

  /** The server processes, for their CPU time. */
  List<Long> serverPids();

  /**
   * Registers instance {@code index} of the population (service {@code index} mod the services)
   * with a TTL of {@link PeerRunner#TTL_SECONDS}, and keeps it alive in the background from now on.
   */
  PeerInstance register(int thread, int index);

  /** What one registration is on this peer, for the notes: "LeaseGrant + Put (two calls)". */
  String registerCalls();

  /** Why the peer has no per-instance heartbeat, or null when it has one. */
  String heartbeatNotApplicable();

  /**
   * Renews {@code instance}'s lease once; false when the peer answered that the lease is gone (a
   * lost lease), which also counts in {@link #lostInstances}.
   */
  boolean heartbeat(int thread, PeerInstance instance);

  /** What one heartbeat is on this peer, for the notes. */
  String heartbeatCalls();

  /** Lists {@code service}'s instances with their data; returns how many it listed. */
  int discover(int thread, String service);

  /** What one Discover is on this peer, for the notes. */
  String discoverCalls();

  /**
   * Removes {@code instance} and stops keeping it alive (etcd: {@code LeaseRevoke}, which deletes
   * its key; ZooKeeper: {@code delete} of its znode). Used after the warm-up round.
   */
  void deregister(int thread, PeerInstance instance);

  /** Times a client lost its connection and reconnected (ZooKeeper's Disconnected); else 0. */
  default long disconnects() {
    return 0;
  }

  /** Renewals the background keep-alive got answered (0 when the peer has none: sessions). */
  long backgroundRenewals();

  /** Renewals the background keep-alive sent (0 when the peer has none: sessions). */
  default long backgroundSent() {
    return 0;
  }

  /** Background keep-alive streams that ended with an error (reopened a second later). */
  default long backgroundStreamFailures() {
    return 0;
  }

  /**
   * Instances the peer lost although the bench kept them alive: expired leases (etcd) or the
   * instances of expired sessions (ZooKeeper). Never decreases.
   */
  long lostInstances();

  /** The first loss, for the report; null when there was none. */
  String firstLoss();

  /** Stops the background keep-alive and closes the clients; the runner stops the servers. */
  @Override
  void close();

  /** The key (etcd) or znode path (ZooKeeper) of a service's instances, with a trailing slash. */
  static String servicePrefix(String service) {
    return "/services/" + service + "/";
  }

  /**
   * Instance {@code index}'s data as a registry user stores it on a peer, in JSON: the fields
   * Roster's register phase sends (address, port, zone, version, a metadata pair) and a weight.
   */
  static byte[] instanceData(String service, int index) {
    return String.format(
            "{\"service\":\"%s\",\"id\":\"%s\",\"address\":\"10.%d.%d.%d\",\"port\":8080,"
                + "\"weight\":100,\"metadata\":{\"zone\":\"zone-%c\",\"version\":\"1.0.%d\","
                + "\"bench\":\"true\"}}",
            service,
            BenchContext.instanceId(index),
            (index >> 16) & 0xff,
            (index >> 8) & 0xff,
            index & 0xff,
            (char) ('a' + index % 3),
            index % 4)
        .getBytes(StandardCharsets.UTF_8);
  }
}
