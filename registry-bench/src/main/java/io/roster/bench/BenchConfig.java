package io.roster.bench;

import java.nio.file.Path;
import java.util.List;

/**
 * Everything one bench run was asked to do, validated once by {@link BenchMain}. Immutable.
 *
 * @param targets the registry nodes, loopback unless the user allowed remote ones
 * @param systems the registries to measure, in run order: Roster at {@code targets}, and the peers
 *     the bench starts itself ({@link PeerRunner})
 * @param transport how every channel connects: plaintext or TLS
 * @param phases names of the phases to run, in the order {@link Phases} defines
 * @param instances instances registered by the register phase (the population)
 * @param services services the population is spread over, round robin
 * @param concurrency unary calls in flight at most (register, discover, cleanup); with {@link
 *     CallMode#CLOSED_LOOP}, also the caller threads of register, heartbeat and discover
 * @param calls how register, heartbeat and discover send their calls
 * @param phaseDurationMillis how long each timed phase (heartbeat, discover) sends load
 * @param atRestMillis how long the at-rest phase reads the nodes' CPU
 * @param namespace namespace of everything the bench registers, and deregisters at the end
 * @param keepAliveStreams KeepAlive streams of the pipelined heartbeat phase and of the protection
 *     phase's fleet, spread over the targets
 * @param backgroundStreams KeepAlive streams that carry the population's background heartbeats,
 *     spread over the targets
 * @param unansweredPerStream heartbeats sent on one stream and not yet answered, at most
 * @param failureSample instances whose heartbeats the failure-detection phase stops
 * @param failureLeaseTtlMillis lease TTL the failure-detection sample asks for; 0 leaves it unset
 *     (the node's default, 10 s)
 * @param propagationChanges changes the propagation phase times, at most
 * @param slowWatchers Watch streams that never read, opened by the slow-watchers phase
 * @param scaleInstances instance counts at which the scale phase reads heap, ascending
 * @param scaleStreams Watch stream counts at which the scale phase reads heap, ascending
 * @param sweepSizes instances per service at which the size-sweep phase times registrations,
 *     ascending
 * @param sweepCount instances the size-sweep phase registers at each size
 * @param scaleBoundMillis time bound of each registration and deregistration step of the scale
 *     phase
 * @param protection sizes and durations of the protection phase
 * @param flood sizes and duration of the flood phase, and how its flooder connects
 * @param callDeadlineMillis deadline of each unary call
 * @param countedPhaseBoundMillis time bound of the phases bounded by a count (register, cleanup),
 *     and of each registration and deregistration step of the size-sweep phase
 * @param nodePids node processes whose CPU time is read; empty: found from their command lines
 * @param outDirectory where results.jsonl and results.md are written
 * @param profile whether to record each phase's timed part on every node with JFR
 * @param seed seed of every random choice (services queried, stop moments), for repeatable runs
 * @param etcdBinary the etcd server binary started for {@link SystemUnderTest#ETCD}
 * @param peerWarmupMillis how long each timed phase of a peer's uncounted warm-up round lasts; 0:
 *     no warm-up round
 * @param smoke whether the tiny sizes of {@code --smoke} were asked for (reported only)
 */
record BenchConfig(
    List<TargetAddress> targets,
    List<SystemUnderTest> systems,
    BenchTransport transport,
    List<String> phases,
    int instances,
    int services,
    int concurrency,
    CallMode calls,
    long phaseDurationMillis,
    long atRestMillis,
    String namespace,
    int keepAliveStreams,
    int backgroundStreams,
    int unansweredPerStream,
    int failureSample,
    long failureLeaseTtlMillis,
    int propagationChanges,
    int slowWatchers,
    List<Integer> scaleInstances,
    List<Integer> scaleStreams,
    List<Integer> sweepSizes,
    int sweepCount,
    long scaleBoundMillis,
    ProtectionConfig protection,
    FloodConfig flood,
    long callDeadlineMillis,
    long countedPhaseBoundMillis,
    List<Long> nodePids,
    Path outDirectory,
    boolean profile,
    long seed,
    String etcdBinary,
    long peerWarmupMillis,
    boolean smoke) {

  BenchConfig {
    targets = List.copyOf(targets);
    systems = List.copyOf(systems);
    phases = List.copyOf(phases);
    nodePids = List.copyOf(nodePids);
    scaleInstances = List.copyOf(scaleInstances);
    scaleStreams = List.copyOf(scaleStreams);
    sweepSizes = List.copyOf(sweepSizes);
    check(!targets.isEmpty(), "no target");
    check(!systems.isEmpty(), "no system");
    check(transport != null, "no transport");
    check(flood != null, "no flood configuration");
    check(!phases.isEmpty(), "no phase");
    check(instances >= 1, "instances must be at least 1");
    check(services >= 1 && services <= instances, "services must be 1 to the number of instances");
    check(concurrency >= 1 && concurrency <= 10_000, "concurrency must be 1-10000");
    check(calls != null, "no call mode");
    check(phaseDurationMillis >= 1_000, "a phase lasts at least 1 s");
    check(atRestMillis >= 1_000, "the at-rest phase lasts at least 1 s");
    check(keepAliveStreams >= 1 && keepAliveStreams <= 1_000, "streams must be 1-1000");
    check(
        backgroundStreams >= 1 && backgroundStreams <= 1_000, "background streams must be 1-1000");
    check(unansweredPerStream >= 1, "the window of unanswered heartbeats must be at least 1");
    check(failureSample >= 1, "the failure-detection sample must be at least 1");
    check(failureLeaseTtlMillis >= 0, "the failure-detection TTL is negative");
    check(propagationChanges >= 1, "the propagation phase makes at least 1 change");
    check(slowWatchers >= 1 && slowWatchers <= 100_000, "slow watchers must be 1-100000");
    check(ascending(scaleInstances, 10_000_000), "scale instances must be ascending, 1-10000000");
    check(ascending(scaleStreams, 1_000_000), "scale streams must be ascending, 1-1000000");
    check(sweepCount >= 1 && sweepCount <= 1_000_000, "the sweep count must be 1-1000000");
    check(
        ascending(sweepSizes, sweepCount),
        "sweep sizes must be ascending, 1 to the sweep count (" + sweepCount + ")");
    check(scaleBoundMillis >= 1_000, "the scale bound must be at least 1 s");
    check(callDeadlineMillis >= 100, "the call deadline must be at least 100 ms");
    check(countedPhaseBoundMillis >= 1_000, "the phase bound must be at least 1 s");
    check(peerWarmupMillis >= 0, "the peers' warm-up is negative");
  }

  /** Whether Roster's cluster at the targets is measured. */
  boolean measuresRoster() {
    return systems.contains(SystemUnderTest.ROSTER);
  }

  /** The peers to measure after Roster, in order. */
  List<SystemUnderTest> peers() {
    return systems.stream().filter(SystemUnderTest::isPeer).toList();
  }

  /** Longest the whole run may take; background loops stop by themselves after it. */
  long runBoundMillis() {
    long failureDetection = 4_000 + 2_000 + 3_600_000 + 60_000; // bounded by the TTL, at most 1 h
    long propagation = (phaseDurationMillis + 30_000) * 2 + 60_000; // plain, then slow watchers
    long scale =
        scaleBoundMillis * 2 * scaleInstances.size()
            + 130_000 * scaleStreams.size()
            + NodeHeap.JCMD_BOUND_SECONDS
                * 3_000
                * (2 * scaleInstances.size() + 2 * scaleStreams.size() + 3);
    // The flood: setup and cleanup, a warm-up and two measurements each drained, two heap readings
    // (each of
    // READINGS pairs of jcmd calls) and two of /metrics (10 s each at most).
    long flood =
        countedPhaseBoundMillis * 2
            + (this.flood.durationMillis() + callDeadlineMillis + 2_000) * 3
            + NodeHeap.JCMD_BOUND_SECONDS * 1_000 * NodeHeap.READINGS * 2 * 2
            + 2 * 10_000;
    return countedPhaseBoundMillis * 3
        + phaseDurationMillis * 2
        + AtRestPhase.SETTLE_MILLIS
        + atRestMillis
        + countedPhaseBoundMillis * 2 * sweepSizes.size()
        + failureDetection
        + propagation
        + scale
        + protection.boundMillis(countedPhaseBoundMillis)
        + flood;
  }

  private static boolean ascending(List<Integer> counts, int max) {
    for (int i = 0; i < counts.size(); i++) {
      if (counts.get(i) < 1
          || counts.get(i) > max
          || (i > 0 && counts.get(i) <= counts.get(i - 1))) {
        return false;
      }
    }
    return !counts.isEmpty();
  }

  private static void check(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }
}
