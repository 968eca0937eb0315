package io.roster.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.BooleanSupplier;

/**
 * Measures one peer (etcd or ZooKeeper) the way {@code --calls closed-loop} measures Roster: starts
 * its three-member cluster on loopback ({@link PeerServers}), then runs the asked-for ones of
 * register, heartbeat and discover with {@code --concurrency} caller threads each making one
 * blocking call at a time ({@link BlockingLoad}), the same population ({@code --instances} over
 * {@code --services}, kept alive in the background at a TTL of {@value #TTL_SECONDS} s), the same
 * durations and bounds, and writes the same figures into the same {@link Results}, each row named
 * by its system. Then it closes the clients and stops the cluster, whatever happened.
 *
 * <p>Bounded: the cluster forms within a minute or the run fails; register is bounded by its count
 * and {@code --max-phase-s}; heartbeat and discover by {@code --duration-s} and a count cap; every
 * call by the call deadline; the servers stop within {@link PeerServers#STOP_WAIT_SECONDS} (then
 * killed).
 *
 * <p>Threading: {@link #run} on the bench's main thread.
 */
final class PeerRunner {
  /** TTL of every peer instance, in seconds: Roster's default lease TTL. */
  static final int TTL_SECONDS = 10;

  /** Calls started at most, per second of a timed phase: far above what one machine serves. */
  private static final long MAX_CALLS_PER_SECOND = 1_000_000;

  private final BenchConfig config;
  private final SystemUnderTest system;
  private final Progress progress;
  private final PrintStream err;
  private final BooleanSupplier stop;
  // The main thread's: "warm-up " during the uncounted round, for the progress lines.
  private String round = "";
  // The main thread's: the peer's disconnects when the current phase started.
  private long disconnectsBefore;
  // The main thread's: the peer's background stream failures when the current phase started.
  private long streamFailuresBefore;

  /** What a peer's run adds to the results' header and footer. */
  record Outcome(List<String> headerLines, String cleanupLine) {}

  /** Starts a peer's cluster in {@code servers}' folder and connects its clients. */
  interface Starter {
    PeerRegistry start(PeerServers servers, RenewalGaps gaps) throws InterruptedException;
  }

  private final Starter starter;

  PeerRunner(
      BenchConfig config,
      SystemUnderTest system,
      Progress progress,
      PrintStream err,
      BooleanSupplier stop) {
    this(config, system, progress, err, stop, null);
  }

  /** With {@code starter} in place of the peer's own start (null: the peer's own), for tests. */
  PeerRunner(
      BenchConfig config,
      SystemUnderTest system,
      Progress progress,
      PrintStream err,
      BooleanSupplier stop,
      Starter starter) {
    if (!system.isPeer()) {
      throw new IllegalArgumentException(system.label() + " is not a peer");
    }
    this.config = config;
    this.system = system;
    this.progress = progress;
    this.err = err;
    this.stop = stop;
    this.starter = starter != null ? starter : this::startOwn;
  }

  /**
   * Starts the peer's cluster, runs the phases into {@code results}, stops the cluster. A cluster
   * that cannot start is a result too: one row with the problem.
   */
  Outcome run(Results results) throws InterruptedException {
    progress.say("== " + system.label() + ": starting a three-member cluster on 127.0.0.1");
    RenewalGaps gaps = new RenewalGaps();
    List<String> header = new ArrayList<>();
    PeerServers servers = PeerServers.inTemporaryFolder(system.label(), config.outDirectory());
    try {
      PeerRegistry peer;
      try {
        peer = starter.start(servers, gaps);
      } catch (RuntimeException e) {
        err.println("registry-bench: " + system.label() + " did not start: " + e.getMessage());
        results.add(
            result("start")
                .put("ops", 0)
                .problem(system.label() + " did not start: " + firstLine(e.getMessage())));
        header.add(system.label() + ": did not start (" + firstLine(e.getMessage()) + ")");
        return new Outcome(header, system.label() + ": not started");
      }
      try {
        header.addAll(peer.describe());
        header.forEach(line -> err.println("  " + line));
        NodeCpu cpu = NodeCpu.locate(List.of(), peer.serverPids());
        if (config.peerWarmupMillis() > 0 && !stop.getAsBoolean()) {
          header.add(warmUp(peer, cpu, gaps));
        }
        List<PeerRegistry.PeerInstance> population = List.of();
        for (String name : config.phases()) {
          if (stop.getAsBoolean()) {
            break;
          }
          progress.say("== " + system.label() + " " + name);
          PhaseResult result;
          try {
            result =
                switch (name) {
                  case RegisterPhase.NAME -> {
                    List<PeerRegistry.PeerInstance> registered = new ArrayList<>();
                    PhaseResult registering = register(peer, cpu, gaps, registered);
                    population = registered;
                    yield registering;
                  }
                  case HeartbeatPhase.NAME ->
                      heartbeat(peer, cpu, gaps, population, config.phaseDurationMillis());
                  case DiscoverPhase.NAME ->
                      discover(peer, cpu, gaps, population, config.phaseDurationMillis());
                  default ->
                      throw new IllegalArgumentException(
                          name + " is not a phase of " + system.label());
                };
          } catch (RuntimeException e) {
            // A phase that breaks is a result too; the next phases and the cleanup still run.
            e.printStackTrace(err);
            progress.clear();
            result = result(name).put("ops", 0).problem("the phase failed: " + e);
          }
          results.add(result);
        }
      } finally {
        peer.close();
      }
    } finally {
      servers.close();
    }
    String cleanup =
        system.label()
            + ": clients closed, servers stopped, data deleted; server logs in "
            + config.outDirectory()
            + "/"
            + system.label()
            + "-*.log";
    err.println(cleanup);
    return new Outcome(header, cleanup);
  }

  private PeerRegistry startOwn(PeerServers servers, RenewalGaps gaps) throws InterruptedException {
    return switch (system) {
      case ETCD -> EtcdPeer.start(config, servers, gaps, backgroundLifetimeMillis(), err);
      case ZOOKEEPER -> ZooKeeperPeer.start(config, servers);
      case ROSTER -> throw new IllegalArgumentException("Roster is not a peer");
    };
  }

  /**
   * Runs register, heartbeat and discover once on the fresh cluster, uncounted, then deregisters
   * what it registered: the servers' JIT and caches are then warm for the counted phases, as
   * Roster's nodes are after the warm-up run its measurements start with. Returns a line for the
   * header.
   */
  private String warmUp(PeerRegistry peer, NodeCpu cpu, RenewalGaps gaps)
      throws InterruptedException {
    long millis = config.peerWarmupMillis();
    progress.say(
        String.format(
            Locale.ROOT,
            "== %s warm-up (uncounted): register, heartbeat and discover for %d s each, then"
                + " deregister",
            system.label(),
            millis / 1_000));
    round = "warm-up ";
    try {
      List<PeerRegistry.PeerInstance> population = new ArrayList<>();
      List<PhaseResult> rounds = new ArrayList<>();
      rounds.add(register(peer, cpu, gaps, population));
      if (!stop.getAsBoolean()) {
        rounds.add(heartbeat(peer, cpu, gaps, population, millis));
      }
      if (!stop.getAsBoolean()) {
        rounds.add(discover(peer, cpu, gaps, population, millis));
      }
      BlockingLoad<Boolean> cleanup =
          new BlockingLoad<>(config.concurrency(), system.label() + "-deregister");
      progress.show(
          system.label() + " warm-up cleanup",
          () -> String.format("deregistered %,d/%,d", cleanup.succeeded(), population.size()));
      cleanup.run(
          population.size(),
          System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.countedPhaseBoundMillis()),
          TimeUnit.MILLISECONDS.toNanos(config.callDeadlineMillis() + 1_000),
          stop,
          (thread, index) -> {
            peer.deregister(thread, population.get((int) index));
            return true;
          },
          (index, done) -> {});
      progress.clear();
      StringBuilder line =
          new StringBuilder(
              String.format(
                  Locale.ROOT,
                  "warm-up of %s (uncounted): %d s of heartbeat and of discover on a population"
                      + " registered then deregistered (%,d of %,d in %.1f s)",
                  system.label(),
                  millis / 1_000,
                  cleanup.succeeded(),
                  population.size(),
                  cleanup.elapsedSeconds()));
      for (PhaseResult result : rounds) {
        line.append("; ")
            .append(result.phase())
            .append(' ')
            .append(
                result.get("opsPerSec") instanceof Double perSecond
                    ? String.format(Locale.ROOT, "%,.0f", perSecond)
                    : "-")
            .append("/s");
        if (!result.problems().isEmpty()) {
          line.append(" (").append(String.join("; ", result.problems())).append(')');
        }
      }
      if (cleanup.failed() > 0) {
        line.append("; ")
            .append(cleanup.failed())
            .append(" deregistrations failed ")
            .append(cleanup.failureSummary());
      }
      err.println("  " + line);
      return line.toString();
    } finally {
      round = "";
    }
  }

  /** Longest the peer's phases may take: the background renews nothing after it. */
  private long backgroundLifetimeMillis() {
    return 2 * config.countedPhaseBoundMillis()
        + 2 * config.peerWarmupMillis()
        + 2 * config.phaseDurationMillis()
        + 4 * config.callDeadlineMillis()
        + 60_000;
  }

  private PhaseResult register(
      PeerRegistry peer, NodeCpu cpu, RenewalGaps gaps, List<PeerRegistry.PeerInstance> population)
      throws InterruptedException {
    int count = config.instances();
    AtomicReferenceArray<PeerRegistry.PeerInstance> registered = new AtomicReferenceArray<>(count);
    BlockingLoad<PeerRegistry.PeerInstance> load =
        new BlockingLoad<>(config.concurrency(), system.label() + "-register");
    Progress.Rate rate = new Progress.Rate();
    progress.show(
        system.label() + " " + round + "register",
        () ->
            String.format(
                "registered %,d/%,d, %,.0f/s, failed %d, lost %d",
                load.succeeded(),
                count,
                rate.perSecond(load.succeeded()),
                load.failed(),
                peer.lostInstances()));
    long lostBefore = peer.lostInstances();
    disconnectsBefore = peer.disconnects();
    streamFailuresBefore = peer.backgroundStreamFailures();
    long lapsesBefore = gaps.startPeriod();
    NodeCpu.Reading before = cpu.read();
    boolean drained =
        load.run(
            count,
            System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.countedPhaseBoundMillis()),
            TimeUnit.MILLISECONDS.toNanos(config.callDeadlineMillis() + 1_000),
            stop,
            (thread, index) -> peer.register(thread, (int) index),
            (index, instance) -> registered.set((int) index, instance));
    NodeCpu.Usage usage = cpu.since(before);
    progress.clear();
    for (int i = 0; i < count; i++) {
      if (registered.get(i) != null) {
        population.add(registered.get(i));
      }
    }
    PhaseResult result = common(RegisterPhase.NAME, load);
    result
        .put("instances", count)
        .put("services", config.services())
        .put("ttlMs", TTL_SECONDS * 1_000)
        .latencies(load.latencies(), "register, all its calls");
    putLost(result, peer, lostBefore);
    putCpu(result, usage);
    if (peer.heartbeatNotApplicable() == null) {
      gaps.report(result, lapsesBefore); // leases: renewal gaps; sessions renew themselves
    }
    result.note(peer.registerCalls() + "; " + callsNote() + ", " + load.failed() + " failed");
    load.reportProblems(
        result, "", "registrations", count, config.countedPhaseBoundMillis(), drained);
    return result;
  }

  private PhaseResult heartbeat(
      PeerRegistry peer,
      NodeCpu cpu,
      RenewalGaps gaps,
      List<PeerRegistry.PeerInstance> population,
      long durationMillis)
      throws InterruptedException {
    String notApplicable = peer.heartbeatNotApplicable();
    if (notApplicable != null) {
      return result(HeartbeatPhase.NAME)
          .put("applicable", false)
          .put("calls", CallMode.CLOSED_LOOP.label())
          .note(notApplicable);
    }
    if (population.isEmpty()) {
      return result(HeartbeatPhase.NAME)
          .put("ops", 0)
          .problem("no lease to renew: the register phase registered none");
    }
    BlockingLoad<Boolean> load =
        new BlockingLoad<>(config.concurrency(), system.label() + "-heartbeat");
    AtomicLong active = new AtomicLong();
    AtomicLong notActive = new AtomicLong();
    Progress.Rate rate = new Progress.Rate();
    Progress.Rate background = new Progress.Rate(peer.backgroundRenewals());
    progress.show(
        system.label() + " " + round + "heartbeat",
        () ->
            String.format(
                "%,.0f heartbeats/s renewed, total %,d, lease gone %d, failed %d | background"
                    + " %,.0f/s, lost %d",
                rate.perSecond(active.get()),
                active.get(),
                notActive.get(),
                load.failed(),
                background.perSecond(peer.backgroundRenewals()),
                peer.lostInstances()));
    long lostBefore = peer.lostInstances();
    disconnectsBefore = peer.disconnects();
    streamFailuresBefore = peer.backgroundStreamFailures();
    long lapsesBefore = gaps.startPeriod();
    long backgroundBefore = peer.backgroundRenewals();
    long sentBefore = peer.backgroundSent();
    NodeCpu.Reading before = cpu.read();
    boolean drained =
        load.run(
            MAX_CALLS_PER_SECOND * Math.max(1, TimeUnit.MILLISECONDS.toSeconds(durationMillis)),
            System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(durationMillis),
            TimeUnit.MILLISECONDS.toNanos(config.callDeadlineMillis() + 1_000),
            stop,
            (thread, index) ->
                peer.heartbeat(thread, population.get((int) (index % population.size()))),
            (index, renewed) -> (renewed ? active : notActive).incrementAndGet());
    NodeCpu.Usage usage = cpu.since(before);
    progress.clear();
    long backgroundBeats = peer.backgroundRenewals() - backgroundBefore;
    long backgroundSent = peer.backgroundSent() - sentBefore;
    double seconds = load.elapsedSeconds();
    PhaseResult result = common(HeartbeatPhase.NAME, load);
    // Only renewed leases count as done work, as Roster's phase counts only ACTIVE answers.
    result
        .put("ops", active.get())
        .put("opsPerSec", active.get() / seconds)
        .put("leases", population.size())
        .put("notActive", notActive.get())
        .put(
            "backgroundHeartbeatsPerSec",
            BenchContext.orNull(backgroundBeats / usage.wallSeconds()))
        .put("backgroundSentPerSec", BenchContext.orNull(backgroundSent / usage.wallSeconds()))
        .latencies(load.latencies(), "heartbeat call");
    putLost(result, peer, lostBefore);
    putCpu(result, usage);
    gaps.report(result, lapsesBefore);
    result.note(
        String.format(
            Locale.ROOT,
            "%s; %s, background on (%,.0f/s answered of %,.0f/s sent)",
            peer.heartbeatCalls(),
            callsNote(),
            backgroundBeats / usage.wallSeconds(),
            backgroundSent / usage.wallSeconds()));
    if (notActive.get() > 0) {
      result.problem(notActive.get() + " heartbeats answered that the lease was gone");
    }
    if (load.failed() > 0) {
      result.problem(load.failed() + " heartbeat calls failed " + load.failureSummary());
    }
    if (!drained) {
      result.problem(load.inFlight() + " heartbeat calls still unanswered after their deadline");
    }
    return result;
  }

  private PhaseResult discover(
      PeerRegistry peer,
      NodeCpu cpu,
      RenewalGaps gaps,
      List<PeerRegistry.PeerInstance> population,
      long durationMillis)
      throws InterruptedException {
    if (population.isEmpty()) {
      return result(DiscoverPhase.NAME)
          .put("ops", 0)
          .problem("no instance to list: the register phase registered none");
    }
    Map<String, Integer> registeredPerService = new HashMap<>();
    for (PeerRegistry.PeerInstance instance : population) {
      registeredPerService.merge(instance.service(), 1, Integer::sum);
    }
    List<String> services = new ArrayList<>(registeredPerService.keySet());
    services.sort(null);
    // Each caller thread draws its services from a generator of its own, split from the run's seed.
    SplittableRandom seeded = new SplittableRandom(config.seed());
    SplittableRandom[] perThread = new SplittableRandom[config.concurrency()];
    for (int t = 0; t < perThread.length; t++) {
      perThread[t] = seeded.split();
    }
    BlockingLoad<int[]> load =
        new BlockingLoad<>(config.concurrency(), system.label() + "-discover");
    AtomicLong instancesSeen = new AtomicLong();
    AtomicLong emptyAnswers = new AtomicLong();
    AtomicLong shortAnswers = new AtomicLong();
    AtomicReference<String> firstShort = new AtomicReference<>();
    Progress.Rate rate = new Progress.Rate();
    progress.show(
        system.label() + " " + round + "discover",
        () ->
            String.format(
                "%,.0f queries/s, total %,d, failed %d, short %d, lost %d",
                rate.perSecond(load.succeeded()),
                load.succeeded(),
                load.failed(),
                shortAnswers.get() + emptyAnswers.get(),
                peer.lostInstances()));
    long lostBefore = peer.lostInstances();
    disconnectsBefore = peer.disconnects();
    streamFailuresBefore = peer.backgroundStreamFailures();
    long lapsesBefore = gaps.startPeriod();
    long backgroundBefore = peer.backgroundRenewals();
    long sentBefore = peer.backgroundSent();
    NodeCpu.Reading before = cpu.read();
    load.run(
        MAX_CALLS_PER_SECOND * Math.max(1, TimeUnit.MILLISECONDS.toSeconds(durationMillis)),
        System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(durationMillis),
        TimeUnit.MILLISECONDS.toNanos(config.callDeadlineMillis() + 1_000),
        stop,
        (thread, index) -> {
          int service = perThread[thread].nextInt(services.size());
          return new int[] {service, peer.discover(thread, services.get(service))};
        },
        (index, answer) -> {
          String service = services.get(answer[0]);
          instancesSeen.addAndGet(answer[1]);
          if (answer[1] == 0) {
            emptyAnswers.incrementAndGet();
          } else if (answer[1] < registeredPerService.get(service)) {
            shortAnswers.incrementAndGet();
            firstShort.compareAndSet(
                null, service + ": " + answer[1] + " of " + registeredPerService.get(service));
          }
        });
    NodeCpu.Usage usage = cpu.since(before);
    progress.clear();
    long backgroundBeats = peer.backgroundRenewals() - backgroundBefore;
    long backgroundSent = peer.backgroundSent() - sentBefore;
    PhaseResult result = common(DiscoverPhase.NAME, load);
    result
        .put(
            "meanInstances",
            load.succeeded() == 0 ? null : (double) instancesSeen.get() / load.succeeded())
        .put("emptyAnswers", emptyAnswers.get())
        .put("shortAnswers", shortAnswers.get())
        .put(
            "backgroundHeartbeatsPerSec",
            BenchContext.orNull(backgroundBeats / usage.wallSeconds()))
        .put("backgroundSentPerSec", BenchContext.orNull(backgroundSent / usage.wallSeconds()))
        .latencies(load.latencies(), "discover, all its calls");
    putLost(result, peer, lostBefore);
    putCpu(result, usage);
    if (peer.heartbeatNotApplicable() == null) {
      gaps.report(result, lapsesBefore);
    }
    result.note(
        peer.discoverCalls()
            + "; "
            + callsNote()
            + (backgroundSent == 0
                ? ""
                : String.format(
                    Locale.ROOT,
                    "; background %,.0f/s answered of %,.0f/s sent",
                    backgroundBeats / usage.wallSeconds(),
                    backgroundSent / usage.wallSeconds())));
    if (load.failed() > 0) {
      result.problem(load.failed() + " queries failed " + load.failureSummary());
    }
    if (shortAnswers.get() > 0) {
      result.problem(
          shortAnswers.get()
              + " answers listed fewer instances than the bench keeps alive in the service"
              + " (first: "
              + firstShort.get()
              + ")");
    }
    if (emptyAnswers.get() > 0) {
      result.problem(emptyAnswers.get() + " answers listed no instance");
    }
    return result;
  }

  /** The figures every timed phase has, as Roster's phases name them. */
  private PhaseResult common(String phase, BlockingLoad<?> load) {
    Latencies latencies = load.latencies();
    return result(phase)
        .put("ops", load.succeeded())
        .put("errors", load.failed())
        .put("calls", CallMode.CLOSED_LOOP.label())
        .put("concurrency", config.concurrency())
        .put("seconds", load.elapsedSeconds())
        .put("opsPerSec", load.succeededPerSecond())
        .put("p50Ms", latencies.percentileMillis(50))
        .put("p99Ms", latencies.percentileMillis(99))
        .put("p999Ms", latencies.percentileMillis(99.9))
        .put("maxMs", latencies.maxMillis());
  }

  /**
   * Instances the peer lost during the phase, and a problem when there are any; and, for a peer
   * with sessions, how often a client lost its connection (it reconnects, keeping its session), for
   * one with leases, how many background keep-alive streams ended with an error.
   */
  private void putLost(PhaseResult result, PeerRegistry peer, long lostBefore) {
    long lost = peer.lostInstances() - lostBefore;
    result.put("lostLeases", lost);
    if (peer.heartbeatNotApplicable() != null) {
      result.put("disconnects", peer.disconnects() - disconnectsBefore);
    } else {
      result.put(
          "backgroundStreamFailures", peer.backgroundStreamFailures() - streamFailuresBefore);
    }
    if (lost > 0) {
      result.problem(
          lost + " instances lost although the bench kept them alive (" + peer.firstLoss() + ")");
    }
  }

  private static void putCpu(PhaseResult result, NodeCpu.Usage usage) {
    BenchContext.putCpu(result, usage);
  }

  private String callsNote() {
    return config.concurrency() + " threads, one blocking call each";
  }

  /** A row of this peer: its table label is "etcd register". */
  private PhaseResult result(String phase) {
    return new PhaseResult(phase, system.label());
  }

  private static String firstLine(String text) {
    if (text == null) {
      return "no message";
    }
    int newline = text.indexOf('\n');
    return newline < 0 ? text : text.substring(0, newline);
  }
}
