package io.roster.bench;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.roster.v1.ClusterMember;
import io.roster.v1.ClusterServiceGrpc;
import io.roster.v1.ClusterStatusRequest;
import io.roster.v1.ClusterStatusResponse;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * One bench run: checks that every target answers, runs the phases in order, then deregisters
 * everything it registered (bounded in time), and writes the results.
 *
 * <p>Threading: {@link #run} runs on the caller's thread; only the stop request crosses threads.
 */
final class BenchRunner {
  /** A phase reported a problem: a lost or lapsed lease, failed calls, an undetected failure. */
  static final int EXIT_PROBLEMS = 1;

  /** A target did not answer ClusterStatus: nothing was sent. */
  static final int EXIT_UNREACHABLE = 3;

  /** Stopped by a signal before the end. */
  static final int EXIT_STOPPED = 130;

  private static final long PREFLIGHT_DEADLINE_MILLIS = 5_000;

  private final BenchConfig config;
  private final String commandLine;
  private final PrintStream out;
  private final PrintStream err;
  private final BooleanSupplier stop;

  BenchRunner(
      BenchConfig config,
      String commandLine,
      PrintStream out,
      PrintStream err,
      BooleanSupplier stop) {
    this.config = config;
    this.commandLine = commandLine;
    this.out = out;
    this.err = err;
    this.stop = stop;
  }

  int run() throws InterruptedException {
    ZonedDateTime started = ZonedDateTime.now();
    String loadAtStart = loadAverage(); // the header is written at the end, after the load
    err.printf(
        "registry-bench: %s, phases %s%s; results in %s%n",
        config.systems().stream().map(SystemUnderTest::label).toList(),
        String.join(",", config.phases()),
        config.measuresRoster()
            ? " against " + config.targets() + " over " + config.transport()
            : "",
        config.outDirectory());
    Results results = null;
    List<String> systemLines = new ArrayList<>();
    List<String> footer = new ArrayList<>();
    NodeProfiles profiles = NodeProfiles.off();
    try (Progress progress = new Progress(err)) {
      if (config.measuresRoster()) {
        List<String> clusterLines;
        try (Cluster cluster = new Cluster(config.targets(), config.transport().credentials())) {
          try {
            clusterLines = preflight(cluster);
          } catch (StatusRuntimeException e) {
            err.println(
                "registry-bench: "
                    + e.getMessage()
                    + (e.getCause() == null ? "" : " (" + e.getCause().getMessage() + ")"));
            err.println(
                "Start the local cluster with deploy/local/roster-local start, or name running"
                    + " nodes with --targets. Nodes that speak TLS need --tls or --ca-file, and"
                    + " --cert-file and --key-file when they require client certificates.");
            return EXIT_UNREACHABLE;
          }
          clusterLines.forEach(line -> err.println("  " + line));
          results = new Results(out, config.outDirectory());
          NodeCpu cpu = NodeCpu.locate(config.targets(), config.nodePids());
          err.println(
              cpu.measured()
                  ? "  node CPU read from /proc for pids " + cpu.pids()
                  : "  CPU not measured: " + cpu.unmeasuredReason());
          systemLines.add(
              "node CPU: "
                  + (cpu.measured()
                      ? "pids " + cpu.pids()
                      : "not measured (" + cpu.unmeasuredReason() + ")"));
          profiles =
              config.profile()
                  ? NodeProfiles.of(cpu, config.outDirectory(), err)
                  : NodeProfiles.off();
          if (config.profile()) {
            err.println(
                profiles.active()
                    ? "  JFR recordings of each phase's timed part in " + config.outDirectory()
                    : "  no JFR recording: " + profiles.unavailableReason());
          }
          systemLines.addAll(clusterLines);
          footer.add("Cleanup: " + measureRoster(cluster, cpu, profiles, progress, results));
        }
      }
      if (results == null) {
        results = new Results(out, config.outDirectory());
      }
      for (SystemUnderTest peer : config.peers()) {
        if (stop.getAsBoolean()) {
          break;
        }
        PeerRunner.Outcome outcome = new PeerRunner(config, peer, progress, err, stop).run(results);
        systemLines.addAll(outcome.headerLines());
        footer.add("Cleanup: " + outcome.cleanupLine());
      }
    }
    if (profiles.active() && !stop.getAsBoolean()) {
      // Now, with the nodes and the bench idle: reading recordings takes CPU.
      err.println("summarizing " + profiles.written().size() + " JFR recordings");
      List<Path> summaries = profiles.summarize();
      String profileLine = profileLine(profiles, summaries);
      footer.add(profileLine);
      err.println(profileLine);
    }
    results.finish(
        header(started, loadAtStart, systemLines, profiles), String.join("\n\n", footer));
    err.println(
        "results: " + config.outDirectory().resolve("results.jsonl") + ", results.md, latency.svg");
    if (stop.getAsBoolean()) {
      return EXIT_STOPPED;
    }
    boolean problems = results.phases().stream().anyMatch(p -> !p.problems().isEmpty());
    return problems ? EXIT_PROBLEMS : 0;
  }

  /**
   * Runs the phases on Roster's cluster, then deregisters everything they registered; returns the
   * cleanup line.
   */
  private String measureRoster(
      Cluster cluster, NodeCpu cpu, NodeProfiles profiles, Progress progress, Results results)
      throws InterruptedException {
    RenewalGaps gaps = new RenewalGaps();
    BackgroundHeartbeats background =
        new BackgroundHeartbeats(
            cluster,
            gaps,
            config.backgroundStreams(),
            config.unansweredPerStream(),
            config.runBoundMillis(),
            err);
    BenchContext context =
        new BenchContext(config, cluster, progress, cpu, profiles, background, gaps, stop, err);
    String cleanupLine;
    try {
      for (String name : config.phases()) {
        if (stop.getAsBoolean()) {
          break;
        }
        try {
          results.add(runPhase(Phases.create(name), context));
        } finally {
          profiles.stopAll(); // a phase that broke off between its start and end
        }
      }
    } finally {
      // Heartbeats go on while the instances are deregistered: 10,000 deregistrations may take
      // longer than a TTL, and leases expiring meanwhile would have the leader evict them.
      try {
        cleanupLine = deregisterAll(context);
      } finally {
        background.close();
      }
      err.println(cleanupLine);
    }
    return cleanupLine;
  }

  private PhaseResult runPhase(Phase phase, BenchContext context) throws InterruptedException {
    context.progress().say("== " + phase.name());
    try {
      return phase.run(context);
    } catch (RuntimeException e) {
      // A phase that breaks is a result too; the next phases and the cleanup still run.
      e.printStackTrace(err);
      context.progress().clear();
      return new PhaseResult(phase.name()).put("ops", 0).problem("the phase failed: " + e);
    }
  }

  /** "Profiles: 12 JFR recordings ..., summaries in ...", and what failed. */
  private static String profileLine(NodeProfiles profiles, List<Path> summaries) {
    StringBuilder line =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "Profiles: %d JFR recordings of the nodes (<phase>-node<i>.jfr), %d summaries"
                    + " (<phase>-node<i>-top.txt)",
                profiles.written().size(),
                summaries.size()));
    List<String> failures = profiles.failures();
    if (!failures.isEmpty()) {
      line.append("; ")
          .append(failures.size())
          .append(" failures, first: ")
          .append(failures.get(0));
    }
    return line.toString();
  }

  /** Asks every target for its cluster status; one line each. */
  private List<String> preflight(Cluster cluster) {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < cluster.size(); i++) {
      ClusterStatusResponse status;
      try {
        status =
            ClusterServiceGrpc.newBlockingStub(cluster.channel(i))
                .withDeadlineAfter(PREFLIGHT_DEADLINE_MILLIS, TimeUnit.MILLISECONDS)
                .clusterStatus(ClusterStatusRequest.getDefaultInstance());
      } catch (StatusRuntimeException e) {
        throw Status.UNAVAILABLE
            .withDescription(
                "target "
                    + cluster.target(i)
                    + " does not answer ClusterStatus ("
                    + e.getStatus().getCode()
                    + ": "
                    + e.getStatus().getDescription()
                    + ")")
            .asRuntimeException();
      }
      String leader =
          status.getMembersList().stream()
              .filter(ClusterMember::getLeader)
              .map(ClusterMember::getApiAddress)
              .findFirst()
              .orElse("none");
      lines.add(
          String.format(
              Locale.ROOT,
              "%s: cluster %s, %d members, leader %s, quorum %s, %d instances registered",
              cluster.target(i),
              status.getClusterName(),
              status.getMembersCount(),
              leader,
              status.getQuorum().getHasQuorum(),
              status.getCounts().getInstances()));
    }
    return lines;
  }

  /** Deregisters every instance the run registered, bounded by {@code countedPhaseBoundMillis}. */
  private String deregisterAll(BenchContext context) throws InterruptedException {
    List<RegisteredLease> leases = new ArrayList<>(context.registered());
    if (leases.isEmpty()) {
      return "nothing to deregister";
    }
    Deregistration cleanup =
        Deregistration.run(context, leases, config.countedPhaseBoundMillis(), "cleanup");
    return String.format(
        Locale.ROOT,
        "deregistered %d of %d instances in namespace %s in %.1f s%s%s",
        cleanup.succeeded(),
        leases.size(),
        config.namespace(),
        cleanup.elapsedSeconds(),
        cleanup.failed() > 0 ? "; " + cleanup.failed() + " failed " + cleanup.failureSummary() : "",
        cleanup.drained() ? "" : "; some calls still unanswered");
  }

  private String header(
      ZonedDateTime started, String loadAtStart, List<String> systemLines, NodeProfiles profiles) {
    StringBuilder header = new StringBuilder();
    header
        .append("# registry-bench results, ")
        .append(started.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME))
        .append("\n\n");
    header.append("- command: `").append(commandLine).append("`\n");
    header.append("- transport: ").append(config.transport()).append('\n');
    header
        .append("- sizes: ")
        .append(config.instances())
        .append(" instances over ")
        .append(config.services())
        .append(" services, ")
        .append(RegisterPhase.callsNote(config))
        .append(" (--calls ")
        .append(config.calls().label())
        .append("), timed phases ")
        .append(config.phaseDurationMillis() / 1_000)
        .append(" s");
    if (config.measuresRoster()) {
      header
          .append(", ")
          .append(config.keepAliveStreams())
          .append(" KeepAlive streams with a window of ")
          .append(config.unansweredPerStream())
          .append(" (background heartbeats: ")
          .append(config.backgroundStreams())
          .append(")")
          .append(", failure-detection sample ")
          .append(config.failureSample());
    }
    header.append(config.smoke() ? " (--smoke)" : "").append('\n');
    if (config.phases().contains(AtRestPhase.NAME)) {
      header.append(
          String.format(
              Locale.ROOT,
              "- at-rest: %d s after %d s of settling%n",
              config.atRestMillis() / 1_000,
              AtRestPhase.SETTLE_MILLIS / 1_000));
    }
    if (config.phases().contains(SizeSweepPhase.NAME)) {
      header.append(
          String.format(
              Locale.ROOT,
              "- size-sweep: %d instances at each of %s instances per service, closed loop%n",
              config.sweepCount(),
              config.sweepSizes()));
    }
    if (config.phases().contains(ProtectionPhase.NAME)) {
      ProtectionConfig protection = config.protection();
      header.append(
          String.format(
              Locale.ROOT,
              "- protection: %d instances over %d services and a dead service of %d, TTL %s, %.0f"
                  + " %% silent at random, observe %d s, record %d s, settle %d s%n",
              protection.instances(),
              protection.services(),
              protection.deadInstances(),
              protection.leaseTtlMillis() > 0
                  ? protection.leaseTtlMillis() + " ms"
                  : "the node's default",
              protection.silentShare() * 100,
              protection.observeMillis() / 1_000,
              protection.recordMillis() / 1_000,
              protection.settleMillis() / 1_000));
    }
    if (config.phases().contains(FloodPhase.NAME)) {
      FloodConfig flood = config.flood();
      header.append(
          String.format(
              Locale.ROOT,
              "- flood: on the first target, %d s without then %d s with the flood; the flooder"
                  + " opens up to %,d Watch streams and stops at %,d registrations accepted%s%n",
              flood.durationMillis() / 1_000,
              flood.durationMillis() / 1_000,
              flood.streams(),
              flood.registrations(),
              flood.flooderHasOwnToken() ? ", with its own token (--flood-token-file)" : ""));
    }
    header
        .append("- bench machine: ")
        .append(Runtime.getRuntime().availableProcessors())
        .append(" cores, Java ")
        .append(System.getProperty("java.version"))
        .append(" (")
        .append(System.getProperty("java.vm.name"))
        .append("), ")
        .append(System.getProperty("os.name"))
        .append(' ')
        .append(System.getProperty("os.arch"))
        .append('\n');
    header.append("- load average at the start: ").append(loadAtStart).append('\n');
    if (config.profile()) {
      header
          .append("- JFR profiles: ")
          .append(
              profiles.active()
                  ? "each phase's timed part on every node (settings profile); figures include"
                      + " the recordings' cost"
                  : "none (" + profiles.unavailableReason() + ")")
          .append('\n');
    }
    for (String line : systemLines) {
      header.append("- ").append(line).append('\n');
    }
    return header.toString();
  }

  private static String loadAverage() {
    try {
      String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
      return fields[0] + " " + fields[1] + " " + fields[2] + " (1, 5, 15 min)";
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }
}
