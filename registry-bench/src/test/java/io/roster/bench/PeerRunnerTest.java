package io.roster.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The peer runner against in-memory peers (no etcd, no ZooKeeper): one row per phase named by its
 * system, Roster's figures, a heartbeat not applicable reported as such, lost instances as
 * problems, and the warm-up round uncounted and cleaned up.
 */
@Timeout(60)
class PeerRunnerTest {

  @Test
  void eachPhaseIsARowOfItsSystemWithRostersFigures(@TempDir Path out) throws Exception {
    FakePeer peer = new FakePeer(SystemUnderTest.ETCD, true);
    Results results = results(out);

    outcome(config(out, 0), SystemUnderTest.ETCD, peer, results);

    List<PhaseResult> rows = results.phases();
    assertEquals(
        List.of("etcd register", "etcd heartbeat", "etcd discover"),
        rows.stream().map(PhaseResult::label).toList());
    for (PhaseResult row : rows) {
      assertTrue(row.json().startsWith("{\"phase\":\"" + row.phase() + "\",\"system\":\"etcd\""));
      assertTrue(row.problems().isEmpty(), row.json());
      assertTrue(((Number) row.get("ops")).longValue() > 0, row.json());
      assertEquals(0L, row.get("lostLeases"), row.json());
      assertEquals("closed-loop", row.get("calls"));
      assertTrue(row.get("p99Ms") instanceof Double, row.json());
    }
    assertEquals(50L, rows.get(0).get("ops"));
    assertEquals(50.0, (Double) rows.get(2).get("meanInstances") * 5, 0.001);
    assertTrue(peer.closed);
  }

  @Test
  void aPeerWithoutPerInstanceHeartbeatSaysSoAndIsNotAFailure(@TempDir Path out) throws Exception {
    FakePeer peer = new FakePeer(SystemUnderTest.ZOOKEEPER, false);
    Results results = results(out);

    outcome(config(out, 0), SystemUnderTest.ZOOKEEPER, peer, results);

    PhaseResult heartbeat = results.phases().get(1);
    assertEquals("zookeeper heartbeat", heartbeat.label());
    assertEquals(false, heartbeat.get("applicable"));
    assertNull(heartbeat.get("ops"));
    assertTrue(heartbeat.problems().isEmpty());
    assertTrue(heartbeat.note().startsWith("not applicable"), heartbeat.note());
    assertEquals(0L, peer.heartbeats.get());
    results.finish("# peers", "");
    assertTrue(
        Files.readString(out.resolve("results.md")).contains("| zookeeper heartbeat | - | - |"));
  }

  @Test
  void instancesLostWhileKeptAliveAreProblemsAndShortAnswers(@TempDir Path out) throws Exception {
    FakePeer peer = new FakePeer(SystemUnderTest.ETCD, true);
    peer.expireEveryTenth = true;
    Results results = results(out);

    outcome(config(out, 0), SystemUnderTest.ETCD, peer, results);

    PhaseResult heartbeat = results.phases().get(1);
    assertEquals(5L, heartbeat.get("lostLeases"), heartbeat.json());
    assertTrue(((Number) heartbeat.get("notActive")).longValue() > 0, heartbeat.json());
    assertFalse(heartbeat.problems().isEmpty());
    PhaseResult discover = results.phases().get(2);
    assertTrue(((Number) discover.get("shortAnswers")).longValue() > 0, discover.json());
    assertFalse(discover.problems().isEmpty());
  }

  @Test
  void theWarmUpRoundIsUncountedAndDeregistersItsPopulation(@TempDir Path out) throws Exception {
    FakePeer peer = new FakePeer(SystemUnderTest.ETCD, true);
    Results results = results(out);

    PeerRunner.Outcome outcome = outcome(config(out, 1_000), SystemUnderTest.ETCD, peer, results);

    assertEquals(3, results.phases().size());
    assertEquals(50L, peer.deregistered.get());
    assertEquals(100L, peer.registered.get());
    assertTrue(
        outcome.headerLines().stream().anyMatch(line -> line.startsWith("warm-up of etcd")),
        outcome.headerLines().toString());
  }

  @Test
  void aPeerThatCannotStartIsARowWithAProblem(@TempDir Path out) throws Exception {
    Results results = results(out);
    PeerRunner runner =
        new PeerRunner(
            config(out, 0),
            SystemUnderTest.ETCD,
            new Progress(new PrintStream(new ByteArrayOutputStream())),
            new PrintStream(new ByteArrayOutputStream()),
            () -> false,
            (servers, gaps) -> {
              throw new IllegalStateException("cannot run etcd (No such file)\nmore");
            });

    runner.run(results);

    assertEquals(1, results.phases().size());
    PhaseResult row = results.phases().get(0);
    assertEquals("etcd start", row.label());
    assertEquals(List.of("etcd did not start: cannot run etcd (No such file)"), row.problems());
  }

  private static PeerRunner.Outcome outcome(
      BenchConfig config, SystemUnderTest system, FakePeer peer, Results results)
      throws InterruptedException {
    try (Progress progress = new Progress(new PrintStream(new ByteArrayOutputStream()))) {
      return new PeerRunner(
              config,
              system,
              progress,
              new PrintStream(new ByteArrayOutputStream()),
              () -> false,
              (servers, gaps) -> peer)
          .run(results);
    }
  }

  private static Results results(Path out) {
    return new Results(
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), out);
  }

  /** 50 instances over 5 services, 4 threads, 1 s phases. */
  private static BenchConfig config(Path out, long warmupMillis) {
    return new BenchConfig(
        List.of(TargetAddress.parse("127.0.0.1:7101")),
        List.of(SystemUnderTest.ETCD),
        BenchTransport.plaintext(),
        List.of("register", "heartbeat", "discover"),
        50,
        5,
        4,
        CallMode.CLOSED_LOOP,
        1_000,
        1_000,
        "bench",
        1,
        1,
        16,
        1,
        0,
        1,
        1,
        List.of(10),
        List.of(10),
        List.of(1),
        1,
        1_000,
        new ProtectionConfig(10, 2, 2, 0.5, 0, 1_000, 1_000, 0),
        new FloodConfig(1_000, 100, 10, 10, BenchTransport.plaintext(), false),
        1_000,
        10_000,
        List.of(),
        out,
        false,
        1,
        "etcd",
        warmupMillis,
        true);
  }

  /** A registry in memory: leases (etcd-like) or sessions (ZooKeeper-like), no servers. */
  private static final class FakePeer implements PeerRegistry {
    final SystemUnderTest system;
    final boolean leases;
    final Map<String, Set<String>> services = new ConcurrentHashMap<>();
    final Set<Long> lost = ConcurrentHashMap.newKeySet();
    final AtomicLong registered = new AtomicLong();
    final AtomicLong deregistered = new AtomicLong();
    final AtomicLong heartbeats = new AtomicLong();
    volatile boolean expireEveryTenth;
    volatile boolean closed;

    FakePeer(SystemUnderTest system, boolean leases) {
      this.system = system;
      this.leases = leases;
    }

    @Override
    public SystemUnderTest system() {
      return system;
    }

    @Override
    public List<String> describe() {
      return List.of(system.label() + ": in memory");
    }

    @Override
    public List<Long> serverPids() {
      return List.of();
    }

    @Override
    public PeerInstance register(int thread, int index) {
      String service = BenchContext.serviceName(index % 5);
      String id = BenchContext.instanceId(index);
      services.computeIfAbsent(service, s -> ConcurrentHashMap.newKeySet()).add(id);
      registered.incrementAndGet();
      return new PeerInstance(service, id, index);
    }

    @Override
    public String registerCalls() {
      return "put";
    }

    @Override
    public String heartbeatNotApplicable() {
      return leases ? null : "not applicable: sessions";
    }

    @Override
    public boolean heartbeat(int thread, PeerInstance instance) {
      heartbeats.incrementAndGet();
      if (expireEveryTenth && instance.leaseId() % 10 == 0) {
        lost.add(instance.leaseId());
        services.get(instance.service()).remove(instance.instanceId());
        return false;
      }
      return true;
    }

    @Override
    public String heartbeatCalls() {
      return "keep-alive";
    }

    @Override
    public int discover(int thread, String service) {
      return services.getOrDefault(service, Set.of()).size();
    }

    @Override
    public String discoverCalls() {
      return "list";
    }

    @Override
    public void deregister(int thread, PeerInstance instance) {
      services.get(instance.service()).remove(instance.instanceId());
      deregistered.incrementAndGet();
    }

    @Override
    public long backgroundRenewals() {
      return 0;
    }

    @Override
    public long lostInstances() {
      return lost.size();
    }

    @Override
    public String firstLoss() {
      return lost.isEmpty() ? null : "lease " + lost.iterator().next();
    }

    @Override
    public void close() {
      closed = true;
    }
  }
}
