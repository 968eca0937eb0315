package io.roster.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Version;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.client.ZKClientConfig;

/**
 * ZooKeeper as a registry: a three-server ensemble of ZooKeeper's own server ({@code
 * QuorumPeerMain} of {@code org.apache.zookeeper:zookeeper}, the version this module depends on),
 * each in its own JVM with the heap of a Roster node in {@code deploy/local} ({@value
 * #SERVER_HEAP}), on 127.0.0.1, client ports {@link #CLIENT_PORT_BASE} + 1..3, quorum and election
 * ports {@link #QUORUM_PORT_BASE} + 1..3 and {@link #ELECTION_PORT_BASE} + 1..3, admin server off;
 * and the calls a registry user makes with the ZooKeeper client, as Curator's {@code
 * ServiceDiscovery} makes them:
 *
 * <ul>
 *   <li>register: {@code create} of an {@code EPHEMERAL} znode {@code /services/<service>/<id>}
 *       with the instance's data: one call (the parents {@code /services/<service>} are created
 *       once before the phase, untimed, as Curator creates them on a service's first registration);
 *   <li>heartbeat: none. An ephemeral znode lives as long as its client's session, and the client
 *       library keeps a session alive by itself (a ping every third of the session timeout when
 *       idle), whatever the number of instances on it: reported as not applicable;
 *   <li>discover: {@code getChildren} of {@code /services/<service>}, then {@code getData} of each
 *       child, one after the other, as {@code ServiceDiscovery.queryForInstances} does: 101 calls
 *       for a service of 100 instances;
 *   <li>background: the population's 10,000 ephemeral znodes live on three sessions (one per
 *       server; caller thread t uses session t mod 3), with a session timeout of 10 s, the TTL
 *       Roster's instances get.
 * </ul>
 *
 * <p>A session that expires takes its instances with it: they count as lost.
 *
 * <p>Threading: as {@link PeerRegistry}. The ZooKeeper client is thread-safe; each session has its
 * own I/O and event threads, which call the watcher.
 */
final class ZooKeeperPeer implements PeerRegistry {
  static final int CLIENT_PORT_BASE = 21810;
  static final int QUORUM_PORT_BASE = 21880;
  static final int ELECTION_PORT_BASE = 21890;
  static final int SERVERS = 3;
  static final String SERVER_HEAP = "-Xmx512m";

  private static final long READY_BOUND_MILLIS = 60_000;

  private final BenchConfig config;
  private final PeerServers servers;
  private final List<Session> sessions;

  private ZooKeeperPeer(BenchConfig config, PeerServers servers, List<Session> sessions) {
    this.config = config;
    this.servers = servers;
    this.sessions = sessions;
  }

  /**
   * Starts the three servers in {@code servers}' folder, opens one session on each (which succeeds
   * only once the server has joined a quorum), and creates {@code /services/<service>} for every
   * service of the population; at most {@link #READY_BOUND_MILLIS} in all.
   *
   * @throws IllegalStateException when a port is taken, a server exits, or the ensemble does not
   *     form in time
   */
  static ZooKeeperPeer start(BenchConfig config, PeerServers servers) throws InterruptedException {
    List<Integer> ports = new ArrayList<>();
    StringBuilder ensemble = new StringBuilder();
    for (int s = 1; s <= SERVERS; s++) {
      ports.add(CLIENT_PORT_BASE + s);
      ports.add(QUORUM_PORT_BASE + s);
      ports.add(ELECTION_PORT_BASE + s);
      ensemble.append(
          String.format(
              "server.%d=127.0.0.1:%d:%d%n", s, QUORUM_PORT_BASE + s, ELECTION_PORT_BASE + s));
    }
    PeerServers.checkPortsFree("zookeeper", ports);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    for (int s = 1; s <= SERVERS; s++) {
      Path data = servers.directory().resolve("zk-" + s);
      Path configFile = servers.directory().resolve("zk-" + s + ".cfg");
      try {
        Files.createDirectories(data);
        Files.writeString(data.resolve("myid"), s + "\n", StandardCharsets.UTF_8);
        Files.writeString(
            configFile,
            "tickTime=2000\n"
                + "initLimit=10\n"
                + "syncLimit=5\n"
                + "dataDir="
                + data
                + "\n"
                + "clientPort="
                + (CLIENT_PORT_BASE + s)
                + "\n"
                + "clientPortAddress=127.0.0.1\n"
                + "admin.enableServer=false\n"
                + ensemble,
            StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(
            "cannot write the configuration of ZooKeeper server " + s, e);
      }
      servers.start(
          "zookeeper-" + s,
          List.of(
              java,
              SERVER_HEAP,
              "-Droster.bench.log.level=INFO",
              "-cp",
              System.getProperty("java.class.path"),
              "org.apache.zookeeper.server.quorum.QuorumPeerMain",
              configFile.toString()));
    }
    List<Session> sessions = new ArrayList<>();
    try {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_BOUND_MILLIS);
      for (int s = 1; s <= SERVERS; s++) {
        sessions.add(new Session(s, config.callDeadlineMillis()));
      }
      for (Session session : sessions) {
        while (!session.connected.await(200, TimeUnit.MILLISECONDS)) {
          servers.checkRunning();
          if (System.nanoTime() - deadline > 0) {
            throw new IllegalStateException(
                "ZooKeeper server "
                    + session.server
                    + " did not open a session within "
                    + READY_BOUND_MILLIS
                    + " ms; the end of its log:\n"
                    + servers.logTail("zookeeper-" + session.server, 20));
          }
        }
      }
      createParents(sessions.get(0).client, config.services());
    } catch (RuntimeException | InterruptedException e) {
      sessions.forEach(Session::close);
      throw e;
    }
    return new ZooKeeperPeer(config, servers, sessions);
  }

  @Override
  public SystemUnderTest system() {
    return SystemUnderTest.ZOOKEEPER;
  }

  @Override
  public List<String> describe() {
    return List.of(
        String.format(
            "zookeeper: %s (org.apache.zookeeper:zookeeper, QuorumPeerMain), three servers in"
                + " JVMs of their own (%s, this Java) on 127.0.0.1:%d-%d, data in %s, server pids"
                + " %s; client: the ZooKeeper client, one session per server (timeout 10 s),"
                + " caller thread t on session t mod 3",
            Version.getFullVersion(),
            SERVER_HEAP,
            CLIENT_PORT_BASE + 1,
            CLIENT_PORT_BASE + SERVERS,
            servers.directory(),
            servers.pids()));
  }

  @Override
  public List<Long> serverPids() {
    return servers.pids();
  }

  @Override
  public PeerInstance register(int thread, int index) {
    Session session = sessions.get(thread % SERVERS);
    String service = BenchContext.serviceName(index % config.services());
    String id = BenchContext.instanceId(index);
    try {
      session.client.create(
          PeerRegistry.servicePrefix(service) + id,
          PeerRegistry.instanceData(service, index),
          ZooDefs.Ids.OPEN_ACL_UNSAFE,
          CreateMode.EPHEMERAL);
    } catch (KeeperException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
    session.instances.incrementAndGet();
    return new PeerInstance(service, id, session.client.getSessionId());
  }

  @Override
  public String registerCalls() {
    return "create of an EPHEMERAL znode: one call";
  }

  @Override
  public String heartbeatNotApplicable() {
    return "not applicable: ZooKeeper has no per-instance heartbeat; an ephemeral znode lives as"
        + " long as its session, which the client library pings by itself (every third of the"
        + " session timeout when idle), "
        + SERVERS
        + " sessions for all instances";
  }

  @Override
  public boolean heartbeat(int thread, PeerInstance instance) {
    throw new UnsupportedOperationException(heartbeatNotApplicable());
  }

  @Override
  public String heartbeatCalls() {
    return "";
  }

  @Override
  public int discover(int thread, String service) {
    ZooKeeper client = sessions.get(thread % SERVERS).client;
    String parent = PeerRegistry.servicePrefix(service);
    int listed = 0;
    try {
      for (String child : client.getChildren(parent.substring(0, parent.length() - 1), false)) {
        try {
          client.getData(parent + child, false, null);
          listed++;
        } catch (KeeperException.NoNodeException e) {
          // Gone since the listing: skipped, as Curator's queryForInstances skips it.
        }
      }
    } catch (KeeperException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
    return listed;
  }

  @Override
  public String discoverCalls() {
    return "getChildren + getData of each child, one after the other (Curator's"
        + " queryForInstances): 1 + n calls for n instances";
  }

  @Override
  public void deregister(int thread, PeerInstance instance) {
    Session session = sessions.get(thread % SERVERS);
    try {
      session.client.delete(
          PeerRegistry.servicePrefix(instance.service()) + instance.instanceId(), -1);
    } catch (KeeperException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
    sessionOf(instance).instances.decrementAndGet();
  }

  @Override
  public long disconnects() {
    return sessions.stream().mapToLong(session -> session.disconnects.get()).sum();
  }

  @Override
  public long backgroundRenewals() {
    return 0;
  }

  @Override
  public long lostInstances() {
    long lost = 0;
    for (Session session : sessions) {
      if (session.expired.get() != null) {
        lost += session.instances.get();
      }
    }
    return lost;
  }

  @Override
  public String firstLoss() {
    for (Session session : sessions) {
      if (session.expired.get() != null) {
        return session.expired.get();
      }
    }
    return null;
  }

  /** Closes the sessions: the servers delete their ephemeral znodes. */
  @Override
  public void close() {
    sessions.forEach(Session::close);
  }

  /** The session {@code instance} was registered on (its ephemeral znode's owner). */
  private Session sessionOf(PeerInstance instance) {
    for (Session session : sessions) {
      if (session.client.getSessionId() == instance.leaseId()) {
        return session;
      }
    }
    throw new IllegalArgumentException("no session 0x" + Long.toHexString(instance.leaseId()));
  }

  /** Creates {@code /services} and {@code /services/<service>} for each service (persistent). */
  private static void createParents(ZooKeeper client, int services) throws InterruptedException {
    List<String> paths = new ArrayList<>();
    paths.add("/services");
    for (int s = 0; s < services; s++) {
      String prefix = PeerRegistry.servicePrefix(BenchContext.serviceName(s));
      paths.add(prefix.substring(0, prefix.length() - 1));
    }
    for (String path : paths) {
      try {
        client.create(path, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
      } catch (KeeperException.NodeExistsException e) {
        // Created already: fine.
      } catch (KeeperException e) {
        throw new IllegalStateException("cannot create " + path + ": " + e.getMessage(), e);
      }
    }
  }

  /** One client session, pinned to one server; its watcher hears the session's state. */
  private static final class Session implements Watcher {
    final int server;
    final ZooKeeper client;
    final CountDownLatch connected = new CountDownLatch(1);
    final AtomicLong instances = new AtomicLong();
    final AtomicLong disconnects = new AtomicLong();
    final AtomicReference<String> expired = new AtomicReference<>();

    Session(int server, long requestTimeoutMillis) {
      this.server = server;
      ZKClientConfig clientConfig = new ZKClientConfig();
      // Every call bounded by the bench's call deadline, as gRPC calls are by theirs.
      clientConfig.setProperty(
          ZKClientConfig.ZOOKEEPER_REQUEST_TIMEOUT, Long.toString(requestTimeoutMillis));
      try {
        client =
            new ZooKeeper(
                "127.0.0.1:" + (CLIENT_PORT_BASE + server),
                PeerRunner.TTL_SECONDS * 1_000,
                this,
                clientConfig);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot create a ZooKeeper client", e);
      }
    }

    @Override
    public void process(WatchedEvent event) {
      switch (event.getState()) {
        case SyncConnected -> connected.countDown();
        case Expired ->
            expired.compareAndSet(
                null,
                "session 0x"
                    + (client == null ? "?" : Long.toHexString(client.getSessionId()))
                    + " on server "
                    + server
                    + " expired with "
                    + instances.get()
                    + " instances");
        case Disconnected -> disconnects.incrementAndGet(); // reconnects by itself
        default -> {
          // Others (auth, read-only, closed) do not happen here.
        }
      }
    }

    void close() {
      try {
        client.close(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
