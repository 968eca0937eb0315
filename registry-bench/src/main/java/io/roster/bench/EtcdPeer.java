package io.roster.bench;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrantResponse;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.LeaseKeepAliveRequest;
import io.etcd.jetcd.api.LeaseKeepAliveResponse;
import io.etcd.jetcd.api.LeaseRevokeRequest;
import io.etcd.jetcd.api.PutRequest;
import io.etcd.jetcd.api.RangeRequest;
import io.grpc.InsecureChannelCredentials;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * etcd as a registry: a three-member cluster of the {@code etcd} binary (Debian's {@code
 * etcd-server}) on 127.0.0.1, client ports {@link #CLIENT_PORT_BASE} + 1..3, peer ports {@link
 * #PEER_PORT_BASE} + 1..3, and the calls a registry user makes with etcd's gRPC API (the stubs the
 * jetcd project generates from etcd's protos, on the bench's grpc-java channels):
 *
 * <ul>
 *   <li>register: {@code LeaseGrant} (TTL 10 s), then {@code Put} of {@code
 *       /services/<service>/<id>} with the instance's data and the lease: two calls, since etcd has
 *       no call that grants a lease and writes with it (a {@code Txn} cannot grant);
 *   <li>heartbeat: {@code LeaseKeepAlive} once, a stream opened, one request, one answer, closed
 *       (jetcd's {@code keepAliveOnce}, {@code etcdctl lease keep-alive --once}); an answer with
 *       TTL 0 says the lease expired;
 *   <li>discover: {@code Range} over the prefix {@code /services/<service>/}, linearizable (etcd's
 *       default);
 *   <li>background: every lease granted renewed once per TTL/3 on one {@code LeaseKeepAlive} stream
 *       per member, as jetcd's {@code keepAlive} renews its leases on one stream per client.
 * </ul>
 *
 * <p>A lease answered with TTL 0 is lost: counted once, never renewed again, never repaired.
 *
 * <p>Threading: as {@link PeerRegistry}; the background has its own scheduler thread ({@code
 * bench-etcd-keepalive}), which owns the streams and their rounds; answers arrive on transport
 * threads.
 */
final class EtcdPeer implements PeerRegistry {
  static final int CLIENT_PORT_BASE = 23790;
  static final int PEER_PORT_BASE = 23800;
  static final int MEMBERS = 3;

  private static final long READY_BOUND_MILLIS = 60_000;
  private static final long TICK_MILLIS = 10;
  private static final long REOPEN_AFTER_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final BenchConfig config;
  private final PeerServers servers;
  private final Cluster members;
  private final RenewalGaps gaps;
  private final String version;
  private final Set<Long> lost = ConcurrentHashMap.newKeySet();
  private final Set<Long> revoked = ConcurrentHashMap.newKeySet();
  private final AtomicReference<String> firstLoss = new AtomicReference<>();
  private final KeepAlives background;

  private EtcdPeer(
      BenchConfig config,
      PeerServers servers,
      Cluster members,
      RenewalGaps gaps,
      String version,
      long lifetimeMillis,
      PrintStream err) {
    this.config = config;
    this.servers = servers;
    this.members = members;
    this.gaps = gaps;
    this.version = version;
    this.background = new KeepAlives(lifetimeMillis, err);
  }

  /**
   * Starts the three members in {@code servers}' folder and waits until each answers a linearizable
   * read (so the cluster has a leader), at most {@link #READY_BOUND_MILLIS}.
   *
   * @param lifetimeMillis after this the background renews nothing, whatever happens to the run
   * @throws IllegalStateException when the binary is missing, a port is taken, or the cluster does
   *     not form in time
   */
  static EtcdPeer start(
      BenchConfig config,
      PeerServers servers,
      RenewalGaps gaps,
      long lifetimeMillis,
      PrintStream err)
      throws InterruptedException {
    String version = version(config.etcdBinary());
    List<Integer> ports = new ArrayList<>();
    List<TargetAddress> clients = new ArrayList<>();
    StringBuilder initialCluster = new StringBuilder();
    for (int m = 1; m <= MEMBERS; m++) {
      ports.add(CLIENT_PORT_BASE + m);
      ports.add(PEER_PORT_BASE + m);
      clients.add(new TargetAddress("127.0.0.1", CLIENT_PORT_BASE + m));
      initialCluster
          .append(m > 1 ? "," : "")
          .append("etcd-")
          .append(m)
          .append("=http://127.0.0.1:")
          .append(PEER_PORT_BASE + m);
    }
    PeerServers.checkPortsFree("etcd", ports);
    String token = "roster-bench-" + Long.toHexString(System.nanoTime());
    for (int m = 1; m <= MEMBERS; m++) {
      String client = "http://127.0.0.1:" + (CLIENT_PORT_BASE + m);
      String peer = "http://127.0.0.1:" + (PEER_PORT_BASE + m);
      servers.start(
          "etcd-" + m,
          List.of(
              config.etcdBinary(),
              "--name=etcd-" + m,
              "--data-dir=" + servers.directory().resolve("etcd-" + m),
              "--listen-client-urls=" + client,
              "--advertise-client-urls=" + client,
              "--listen-peer-urls=" + peer,
              "--initial-advertise-peer-urls=" + peer,
              "--initial-cluster=" + initialCluster,
              "--initial-cluster-state=new",
              "--initial-cluster-token=" + token,
              "--logger=zap"));
    }
    Cluster members = new Cluster(clients, InsecureChannelCredentials.create());
    try {
      awaitReady(members, servers);
    } catch (RuntimeException | InterruptedException e) {
      members.close();
      throw e;
    }
    return new EtcdPeer(config, servers, members, gaps, version, lifetimeMillis, err);
  }

  @Override
  public SystemUnderTest system() {
    return SystemUnderTest.ETCD;
  }

  @Override
  public List<String> describe() {
    return List.of(
        String.format(
            "etcd: %s (%s), three members on 127.0.0.1:%d-%d (peer ports %d-%d), data in %s,"
                + " server pids %s; client: etcd's gRPC API (jetcd-grpc stubs) on grpc-java,"
                + " plaintext, caller thread t on member t mod 3",
            version,
            config.etcdBinary(),
            CLIENT_PORT_BASE + 1,
            CLIENT_PORT_BASE + MEMBERS,
            PEER_PORT_BASE + 1,
            PEER_PORT_BASE + MEMBERS,
            servers.directory(),
            servers.pids()));
  }

  @Override
  public List<Long> serverPids() {
    return servers.pids();
  }

  @Override
  public PeerInstance register(int thread, int index) {
    String service = BenchContext.serviceName(index % config.services());
    LeaseGrantResponse grant =
        LeaseGrpc.newBlockingStub(members.channel(thread % MEMBERS))
            .withDeadlineAfter(config.callDeadlineMillis(), TimeUnit.MILLISECONDS)
            .leaseGrant(LeaseGrantRequest.newBuilder().setTTL(PeerRunner.TTL_SECONDS).build());
    if (!grant.getError().isEmpty()) {
      throw Status.UNKNOWN
          .withDescription("LeaseGrant answered: " + grant.getError())
          .asRuntimeException();
    }
    String id = BenchContext.instanceId(index);
    KVGrpc.newBlockingStub(members.channel(thread % MEMBERS))
        .withDeadlineAfter(config.callDeadlineMillis(), TimeUnit.MILLISECONDS)
        .put(
            PutRequest.newBuilder()
                .setKey(utf8(PeerRegistry.servicePrefix(service) + id))
                .setValue(ByteString.copyFrom(PeerRegistry.instanceData(service, index)))
                .setLease(grant.getID())
                .build());
    gaps.track(Long.toString(grant.getID()), grant.getTTL() * 1_000, System.nanoTime());
    background.add(grant.getID(), grant.getTTL());
    return new PeerInstance(service, id, grant.getID());
  }

  @Override
  public String registerCalls() {
    return "LeaseGrant (TTL 10 s) + Put with the lease: two calls";
  }

  @Override
  public String heartbeatNotApplicable() {
    return null;
  }

  @Override
  public boolean heartbeat(int thread, PeerInstance instance) {
    CompletableFuture<LeaseKeepAliveResponse> answer = new CompletableFuture<>();
    StreamObserver<LeaseKeepAliveRequest> requests =
        LeaseGrpc.newStub(members.channel(thread % MEMBERS))
            .withDeadlineAfter(config.callDeadlineMillis(), TimeUnit.MILLISECONDS)
            .leaseKeepAlive(
                new StreamObserver<>() {
                  @Override
                  public void onNext(LeaseKeepAliveResponse response) {
                    answer.complete(response);
                  }

                  @Override
                  public void onError(Throwable error) {
                    answer.completeExceptionally(error);
                  }

                  @Override
                  public void onCompleted() {
                    answer.completeExceptionally(
                        Status.UNAVAILABLE
                            .withDescription("LeaseKeepAlive ended without an answer")
                            .asRuntimeException());
                  }
                });
    requests.onNext(LeaseKeepAliveRequest.newBuilder().setID(instance.leaseId()).build());
    requests.onCompleted(); // etcd answers the request before it sees the end of the stream
    LeaseKeepAliveResponse response;
    try {
      response = answer.get(config.callDeadlineMillis() + 1_000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException cause
          ? cause
          : new IllegalStateException(e.getCause());
    } catch (TimeoutException e) {
      throw Status.DEADLINE_EXCEEDED
          .withDescription("no LeaseKeepAlive answer past the call deadline")
          .asRuntimeException();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
    }
    if (response.getTTL() <= 0) {
      lose(instance.leaseId(), "LeaseKeepAlive answered TTL 0 (expired)");
      return false;
    }
    gaps.renewed(Long.toString(instance.leaseId()), System.nanoTime());
    return true;
  }

  @Override
  public String heartbeatCalls() {
    return "LeaseKeepAlive once: a stream, one request, one answer";
  }

  @Override
  public int discover(int thread, String service) {
    String prefix = PeerRegistry.servicePrefix(service);
    return KVGrpc.newBlockingStub(members.channel(thread % MEMBERS))
        .withDeadlineAfter(config.callDeadlineMillis(), TimeUnit.MILLISECONDS)
        .range(
            RangeRequest.newBuilder()
                .setKey(utf8(prefix))
                .setRangeEnd(utf8(prefixEnd(prefix)))
                .build())
        .getKvsCount();
  }

  @Override
  public String discoverCalls() {
    return "Range over the service's prefix, linearizable: one call";
  }

  @Override
  public void deregister(int thread, PeerInstance instance) {
    revoked.add(instance.leaseId()); // first: the background must not renew it meanwhile
    LeaseGrpc.newBlockingStub(members.channel(thread % MEMBERS))
        .withDeadlineAfter(config.callDeadlineMillis(), TimeUnit.MILLISECONDS)
        .leaseRevoke(LeaseRevokeRequest.newBuilder().setID(instance.leaseId()).build());
  }

  @Override
  public long backgroundRenewals() {
    return background.renewed.get();
  }

  @Override
  public long lostInstances() {
    return lost.size();
  }

  @Override
  public String firstLoss() {
    return firstLoss.get();
  }

  @Override
  public long backgroundSent() {
    return background.sent.get();
  }

  @Override
  public long backgroundStreamFailures() {
    return background.streamFailures.get();
  }

  @Override
  public void close() {
    try {
      background.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      members.close();
    }
  }

  private void lose(long leaseId, String why) {
    if (lost.add(leaseId)) {
      firstLoss.compareAndSet(null, "lease " + Long.toHexString(leaseId) + ": " + why);
    }
  }

  /** Reads at every member until each answers, so the cluster has elected a leader. */
  private static void awaitReady(Cluster members, PeerServers servers) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_BOUND_MILLIS);
    for (int m = 0; m < members.size(); m++) {
      while (true) {
        servers.checkRunning();
        try {
          KVGrpc.newBlockingStub(members.channel(m))
              .withDeadlineAfter(2, TimeUnit.SECONDS)
              .range(RangeRequest.newBuilder().setKey(utf8("/roster-bench-ready")).build());
          break;
        } catch (StatusRuntimeException e) {
          if (System.nanoTime() - deadline > 0) {
            throw new IllegalStateException(
                "etcd member "
                    + members.target(m)
                    + " did not answer a read within "
                    + READY_BOUND_MILLIS
                    + " ms: "
                    + e.getStatus()
                    + "; the end of its log:\n"
                    + servers.logTail("etcd-" + (m + 1), 20),
                e);
          }
          TimeUnit.MILLISECONDS.sleep(200);
        }
      }
    }
  }

  /** The first line of {@code etcd --version}: "etcd Version: 3.4.23". */
  private static String version(String binary) throws InterruptedException {
    try {
      Process process = new ProcessBuilder(binary, "--version").redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
      return output.lines().findFirst().orElse("etcd, version unknown").trim();
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot run "
              + binary
              + " ("
              + e.getMessage()
              + "): install etcd (Debian: apt-get install etcd-server) or name the binary with"
              + " --etcd-binary",
          e);
    }
  }

  /** The smallest key after every key that starts with {@code prefix} (etcd's range end). */
  static String prefixEnd(String prefix) {
    char last = prefix.charAt(prefix.length() - 1);
    return prefix.substring(0, prefix.length() - 1) + (char) (last + 1);
  }

  private static ByteString utf8(String text) {
    return ByteString.copyFromUtf8(text);
  }

  /**
   * Keeps every lease granted alive: one LeaseKeepAlive stream per member, each renewing its share
   * of the leases once per TTL/3, spread evenly over time ({@link PacedRound}), as jetcd does for
   * the leases of a client. A stream that ends is counted (when not OK) and opened again on the
   * next member after a second, with a full round at once. A renewal is sent only when the stream
   * is ready (grpc-java flow control); else the round waits for the next tick.
   */
  private final class KeepAlives {
    private final long endNanos;
    private final PrintStream err;
    private final Queue<long[]> added = new ConcurrentLinkedQueue<>();
    private final List<Lane> lanes = new ArrayList<>();
    private final ScheduledExecutorService scheduler;
    private final AtomicLong renewed = new AtomicLong();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong streamFailures = new AtomicLong();
    private final AtomicLong tickFailures = new AtomicLong();
    // The scheduler thread's own.
    private long lastTickNanos = System.nanoTime();
    private long intervalNanos;
    private int leases;

    KeepAlives(long lifetimeMillis, PrintStream err) {
      this.endNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(lifetimeMillis);
      this.err = err;
      for (int m = 0; m < MEMBERS; m++) {
        lanes.add(new Lane(m));
      }
      this.scheduler =
          Executors.newSingleThreadScheduledExecutor(
              task -> {
                Thread thread = new Thread(task, "bench-etcd-keepalive");
                thread.setDaemon(true);
                return thread;
              });
      scheduler.scheduleAtFixedRate(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** Renews {@code leaseId} of {@code ttlSeconds} from now on. Any thread. */
    void add(long leaseId, long ttlSeconds) {
      added.add(new long[] {leaseId, ttlSeconds});
    }

    void close() throws InterruptedException {
      scheduler.shutdownNow();
      scheduler.awaitTermination(2, TimeUnit.SECONDS);
      for (Lane lane : lanes) {
        if (lane.stream != null && !lane.stream.ended) {
          lane.stream.requests.onCompleted();
        }
      }
      for (Lane lane : lanes) {
        if (lane.stream != null && !lane.stream.closed.await(2, TimeUnit.SECONDS)) {
          lane.stream.requests.cancel("the bench is done", null);
        }
      }
    }

    private void tick() {
      try {
        long now = System.nanoTime();
        long elapsed = now - lastTickNanos;
        lastTickNanos = now;
        long[] lease;
        int budget = 100_000; // bounded per tick; the rest waits for the next one
        while (budget-- > 0 && (lease = added.poll()) != null) {
          long interval = TimeUnit.SECONDS.toNanos(lease[1]) / 3;
          if (interval > 0 && (intervalNanos == 0 || interval < intervalNanos)) {
            intervalNanos = interval;
          }
          lanes.get(leases++ % lanes.size()).round.add(lease[0]);
        }
        if (now - endNanos >= 0 || intervalNanos == 0) {
          return;
        }
        for (Lane lane : lanes) {
          if (!lane.round.isEmpty() && lane.ensureStream(now)) {
            lane.round.pace(elapsed, intervalNanos, lane::send);
          }
        }
      } catch (RuntimeException e) {
        // A failed tick must not end the schedule (an exception would): count it, say it once.
        if (tickFailures.getAndIncrement() == 0) {
          err.println("etcd keep-alive: a tick failed, going on: " + e);
        }
      }
    }

    /** One member's stream and the leases it renews; the scheduler thread's own. */
    private final class Lane {
      final PacedRound<Long> round = new PacedRound<>();
      int member;
      Stream stream;
      long reopenAtNanos;

      Lane(int member) {
        this.member = member;
      }

      /** Whether the lane has an open stream, opening one when it is time. */
      boolean ensureStream(long now) {
        if (stream != null && !stream.ended) {
          return true;
        }
        if (stream != null) {
          stream = null;
          member = (member + 1) % MEMBERS; // that member may be gone: try the next
          reopenAtNanos = now + REOPEN_AFTER_NANOS;
        }
        if (now - reopenAtNanos < 0) {
          return false;
        }
        stream = new Stream();
        LeaseGrpc.newStub(members.channel(member)).leaseKeepAlive(stream);
        round.oweFullRound(); // the time without a stream may have cost a renewal
        return true;
      }

      boolean send(long leaseId) {
        if (lost.contains(leaseId) || revoked.contains(leaseId)) {
          return true; // lost for good, or revoked: never renewed again, its turn spent
        }
        if (!stream.requests.isReady()) {
          return false;
        }
        stream.requests.onNext(LeaseKeepAliveRequest.newBuilder().setID(leaseId).build());
        sent.incrementAndGet();
        return true;
      }
    }

    /**
     * One LeaseKeepAlive stream: requests from the scheduler thread, answers on transport threads.
     */
    private final class Stream
        implements ClientResponseObserver<LeaseKeepAliveRequest, LeaseKeepAliveResponse> {
      final CountDownLatch closed = new CountDownLatch(1);
      volatile boolean ended;
      ClientCallStreamObserver<LeaseKeepAliveRequest> requests; // set before the call starts

      @Override
      public void beforeStart(ClientCallStreamObserver<LeaseKeepAliveRequest> requestStream) {
        requests = requestStream;
      }

      @Override
      public void onNext(LeaseKeepAliveResponse response) {
        if (revoked.contains(response.getID())) {
          return; // renewed while it was being revoked: neither a renewal nor a loss
        }
        if (response.getTTL() <= 0) {
          lose(response.getID(), "the background LeaseKeepAlive answered TTL 0 (expired)");
          return;
        }
        renewed.incrementAndGet();
        gaps.renewed(Long.toString(response.getID()), System.nanoTime());
      }

      @Override
      public void onError(Throwable error) {
        streamFailures.incrementAndGet();
        ended = true;
        closed.countDown();
      }

      @Override
      public void onCompleted() {
        ended = true;
        closed.countDown();
      }
    }
  }
}
