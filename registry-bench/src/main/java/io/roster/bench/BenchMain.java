package io.roster.bench;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code registry-bench}: load on a running Roster cluster, phase by phase, with a JSON line per
 * phase and a markdown table on stdout, and one progress line a second on stderr.
 *
 * <p>Exit codes: 0 every phase ran clean; 1 a phase reported a problem (a lost lease, failed calls,
 * an instance never marked unhealthy); 3 a target did not answer; 64 a command-line mistake; 130
 * stopped by a signal (after deregistering what it registered).
 *
 * <p>Threading: runs on the caller's thread; a shutdown hook may set the stop request.
 */
@Command(
    name = "registry-bench",
    sortOptions = false,
    usageHelpWidth = 100,
    description = {
      "Load generator for a running Roster cluster (default: the three nodes of"
          + " deploy/local/roster-local). Phases: register, heartbeat, discover, propagation,"
          + " slow-watchers, failure-detection, scale; and, asked for only, at-rest, size-sweep,"
          + " protection (about 6 minutes) and flood (one caller flooding the first target while"
          + " another reads it). With --systems, also etcd and ZooKeeper,"
          + " measured the same way on clusters the bench starts and stops itself."
          + " Results: one JSON line per phase, then a markdown table, on stdout and in --out;"
          + " progress on stderr.",
    })
public final class BenchMain implements Callable<Integer> {
  /** Exit code of a command-line mistake (EX_USAGE of sysexits.h), as the roster CLI. */
  static final int EXIT_USAGE = 64;

  /** How long SIGINT/SIGTERM waits for the run to deregister what it registered. */
  private static final long SHUTDOWN_GRACE_MILLIS = 60_000;

  private static final String DEFAULT_TARGETS = "127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103";

  private static final String DEFAULT_PHASES =
      "register,heartbeat,discover,propagation,slow-watchers,failure-detection,scale";

  /** The phases of {@link SystemUnderTest#PEER_PHASES}, as --phases names them. */
  private static final String PEER_DEFAULT_PHASES = "register,heartbeat,discover";

  @Spec private CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--targets",
      split = ",",
      paramLabel = "host:port",
      defaultValue = DEFAULT_TARGETS,
      description =
          "Registry nodes to load (default: ${DEFAULT-VALUE}). Loopback only, unless"
              + " --allow-remote.")
  private List<String> targets;

  @Option(
      names = "--allow-remote",
      description = "Also accept targets outside 127.0.0.0/8, localhost and ::1.")
  private boolean allowRemote;

  @Option(
      names = "--tls",
      description =
          "Speak TLS to the nodes, trusting the JVM's certificate authorities unless --ca-file."
              + " --ca-file and --cert-file turn it on.")
  private boolean tls;

  @Option(
      names = "--ca-file",
      paramLabel = "file",
      description = "PEM file of the CA certificates that signed the nodes' certificates.")
  private Path caFile;

  @Option(
      names = "--cert-file",
      paramLabel = "file",
      description =
          "PEM file of the client certificate, for nodes that require one (mutual TLS). Needs"
              + " --key-file.")
  private Path certFile;

  @Option(
      names = "--key-file",
      paramLabel = "file",
      description =
          "PEM file (unencrypted PKCS#8, BEGIN PRIVATE KEY) of the client certificate's private"
              + " key.")
  private Path keyFile;

  @Option(
      names = "--token",
      paramLabel = "token",
      description =
          "Bearer token sent on every call and stream, for nodes that check callers"
              + " (security.access-file). A command line shows in process listings: prefer"
              + " --token-file.")
  private String token;

  @Option(
      names = "--token-file",
      paramLabel = "file",
      description = "File holding the bearer token, read once at start.")
  private Path tokenFile;

  @Option(
      names = "--phases",
      split = ",",
      paramLabel = "name",
      description =
          "Phases to run, in their fixed order (default: "
              + DEFAULT_PHASES
              + "; with etcd or zookeeper in --systems: "
              + PEER_DEFAULT_PHASES
              + "). register runs first anyway when another phase needs its instances. at-rest and"
              + " size-sweep are not in the default list: ask for them. Nor is protection (about 6"
              + " minutes at default sizes): ask for it, alone for its figures (--phases"
              + " protection), since its budget counts the whole registry. Nor is flood (about a"
              + " minute): ask for it, alone for its figures (--phases flood).")
  private List<String> phases;

  @Option(
      names = "--instances",
      paramLabel = "N",
      description = "Instances to register and keep alive (default: 10000; --smoke: 50).")
  private Integer instances;

  @Option(
      names = "--services",
      paramLabel = "S",
      description = "Services the instances are spread over (default: 100; --smoke: 5).")
  private Integer services;

  @Option(
      names = "--concurrency",
      paramLabel = "C",
      defaultValue = "32",
      description =
          "Unary calls in flight at most: register, discover; with --calls closed-loop, the"
              + " caller threads of register, heartbeat and discover (default: ${DEFAULT-VALUE}).")
  private int concurrency;

  @Option(
      names = "--calls",
      paramLabel = "mode",
      description =
          "How register, heartbeat and discover call: pipelined (asynchronous stubs, every call"
              + " from one thread; heartbeat over KeepAlive streams) or closed-loop (--concurrency"
              + " threads, one blocking call each, each thread on one node; heartbeat as unary"
              + " Heartbeat calls, background heartbeats on) (default: pipelined; closed-loop,"
              + " the only mode, with etcd or zookeeper in --systems).")
  private String calls;

  @Option(
      names = "--systems",
      split = ",",
      paramLabel = "name",
      defaultValue = "roster",
      description =
          "Registries to measure, one after the other in this order, into one table (default:"
              + " ${DEFAULT-VALUE}): roster (the running cluster at --targets), etcd (a"
              + " three-member cluster of the etcd binary the bench starts on 127.0.0.1:23791-23793"
              + " and stops at the end) and zookeeper (a three-server ensemble of ZooKeeper's own"
              + " server, in JVMs the bench starts on 127.0.0.1:21811-21813). The peers run"
              + " register, heartbeat and discover only, closed loop; their data lives in a"
              + " temporary folder, deleted at the end.")
  private List<String> systems;

  @Option(
      names = "--etcd-binary",
      paramLabel = "path",
      defaultValue = "etcd",
      description =
          "The etcd server binary for --systems etcd (default: ${DEFAULT-VALUE}, from the PATH;"
              + " Debian: apt-get install etcd-server).")
  private String etcdBinary;

  @Option(
      names = "--peer-warmup-s",
      paramLabel = "T",
      description =
          "Before a peer's counted phases, an uncounted round on its fresh cluster: register the"
              + " population, heartbeat and discover for T s each, deregister; its JIT and caches"
              + " are then warm, as Roster's nodes are after a warm-up run. 0: none (default: 20;"
              + " --smoke: 0).")
  private Integer peerWarmupSeconds;

  @Option(
      names = "--duration-s",
      paramLabel = "T",
      description = "Seconds of the heartbeat and discover phases (default: 20; --smoke: 2).")
  private Integer durationSeconds;

  @Option(
      names = "--at-rest-s",
      paramLabel = "T",
      description =
          "Seconds the at-rest phase reads the nodes' CPU, with only the background heartbeats"
              + " running (default: 30; --smoke: 2).")
  private Integer atRestSeconds;

  @Option(
      names = "--namespace",
      defaultValue = "bench",
      description =
          "Namespace of everything registered; deregistered at the end (default:"
              + " ${DEFAULT-VALUE}).")
  private String namespace;

  @Option(
      names = "--streams",
      defaultValue = "16",
      description =
          "KeepAlive streams of the heartbeat phase (pipelined) and of the protection phase's"
              + " fleet, spread over the targets (default: ${DEFAULT-VALUE}).")
  private int streams;

  @Option(
      names = "--background-streams",
      paramLabel = "N",
      description =
          "KeepAlive streams carrying the population's background heartbeats, stream i on target"
              + " i mod the targets (default: one per target; like the Java client, which renews"
              + " all of a process's leases on one stream).")
  private Integer backgroundStreams;

  @Option(
      names = "--window",
      defaultValue = "512",
      description =
          "Heartbeats per stream sent and not yet answered, at most (default:"
              + " ${DEFAULT-VALUE}).")
  private int window;

  @Option(
      names = "--fd-sample",
      paramLabel = "N",
      description =
          "Instances whose heartbeats failure-detection stops (default: 200; --smoke: 5).")
  private Integer failureSample;

  @Option(
      names = "--fd-lease-ttl-ms",
      paramLabel = "ms",
      description =
          "Lease TTL the failure-detection sample asks for (default: unset, the node's"
              + " default of 10 s; --smoke: 2000).")
  private Long failureLeaseTtlMillis;

  @Option(
      names = "--propagation-changes",
      paramLabel = "N",
      description =
          "Changes the propagation phase times, at most; it also stops after --duration-s"
              + " (default: 2000; --smoke: 20).")
  private Integer propagationChanges;

  @Option(
      names = "--slow-watchers",
      paramLabel = "N",
      description =
          "Watch streams that never read, opened by the slow-watchers phase on the last target"
              + " (default: 1000; --smoke: 20).")
  private Integer slowWatchers;

  @Option(
      names = "--scale-instances",
      split = ",",
      paramLabel = "N",
      description =
          "Instance counts at which the scale phase reads the nodes' heap, ascending (default:"
              + " 10000,100000; --smoke: 200,500).")
  private List<Integer> scaleInstances;

  @Option(
      names = "--scale-streams",
      split = ",",
      paramLabel = "N",
      description =
          "Watch stream counts at which the scale phase reads the last target's heap, ascending"
              + " (default: 1000,10000; --smoke: 20,50).")
  private List<Integer> scaleStreams;

  @Option(
      names = "--sweep-sizes",
      split = ",",
      paramLabel = "N",
      description =
          "Instances per service at which the size-sweep phase times registrations, ascending"
              + " (default: 10,1000,10000; --smoke: 2,10).")
  private List<Integer> sweepSizes;

  @Option(
      names = "--sweep-count",
      paramLabel = "N",
      description =
          "Instances the size-sweep phase registers at each size (default: 10000; --smoke: 20).")
  private Integer sweepCount;

  @Option(
      names = "--scale-bound-s",
      paramLabel = "s",
      defaultValue = "600",
      description =
          "Bound of each registration and deregistration step of the scale phase (default:"
              + " ${DEFAULT-VALUE}).")
  private long scaleBoundSeconds;

  @Option(
      names = "--protection-instances",
      paramLabel = "N",
      description =
          "Instances the protection phase registers and keeps alive itself (default: 10000;"
              + " --smoke: 60).")
  private Integer protectionInstances;

  @Option(
      names = "--protection-services",
      paramLabel = "S",
      description =
          "Services the protection phase's instances are spread over (default: 100; --smoke: 6).")
  private Integer protectionServices;

  @Option(
      names = "--protection-dead",
      paramLabel = "N",
      description =
          "Instances of the one service that stops in the protection phase's first scenario"
              + " (default: 100; --smoke: 10).")
  private Integer protectionDead;

  @Option(
      names = "--protection-silent-share",
      paramLabel = "F",
      defaultValue = "0.5",
      description =
          "Share of the protection phase's instances, drawn at random, that stops in its second"
              + " scenario (default: ${DEFAULT-VALUE}).")
  private double protectionSilentShare;

  @Option(
      names = "--protection-lease-ttl-ms",
      paramLabel = "ms",
      description =
          "Lease TTL the protection phase's instances ask for (default: unset, the node's default"
              + " of 10 s; --smoke: 2000).")
  private Long protectionLeaseTtlMillis;

  @Option(
      names = "--protection-observe-s",
      paramLabel = "s",
      description =
          "How long the protection phase watches the dead service after its last heartbeat"
              + " (default: 60; --smoke: 4).")
  private Integer protectionObserveSeconds;

  @Option(
      names = "--protection-record-s",
      paramLabel = "s",
      description =
          "How long the protection phase records each wide silence before the heartbeats resume"
              + " (default: 90; --smoke: 5).")
  private Integer protectionRecordSeconds;

  @Option(
      names = "--protection-settle-s",
      paramLabel = "s",
      description =
          "Seconds without a declaration the protection phase waits for before each wide"
              + " silence, so the budget's 60 s window starts empty (default: 61; --smoke: 0).")
  private Integer protectionSettleSeconds;

  @Option(
      names = "--flood-duration-s",
      paramLabel = "s",
      description =
          "How long the flood phase's well-behaved caller reads without the flood, then again"
              + " during it (default: 20; --smoke: 2).")
  private Integer floodDurationSeconds;

  @Option(
      names = "--flood-reads-per-s",
      paramLabel = "N",
      defaultValue = "2000",
      description =
          "Discover calls a second the flood phase's well-behaved caller sends at most, over its 8"
              + " threads, so that it keeps within the nodes' read limits; 0: as fast as they are"
              + " answered (default: ${DEFAULT-VALUE}).")
  private int floodReadsPerSecond;

  @Option(
      names = "--flood-streams",
      paramLabel = "N",
      description =
          "Watch streams the flood phase's flooder opens on the first target, 100 a connection"
              + " (default: 5000; --smoke: 150).")
  private Integer floodStreams;

  @Option(
      names = "--flood-registrations",
      paramLabel = "N",
      description =
          "The flood phase's flooder stops registering once the node has accepted this many"
              + " (each a service of its own with a 1 h lease): a bound on what nodes without"
              + " limits are made to hold (default: 50000; --smoke: 200).")
  private Integer floodRegistrations;

  @Option(
      names = "--flood-token-file",
      paramLabel = "file",
      description =
          "File holding the flood phase's flooder's bearer token, for nodes that check callers:"
              + " without it the flooder sends the run's token (--token, --token-file), and the"
              + " nodes count both callers as one.")
  private Path floodTokenFile;

  @Option(
      names = "--node-pids",
      split = ",",
      paramLabel = "pid",
      description =
          "Node processes whose CPU time and heap to read, in the order of --targets (default:"
              + " found by their command line).")
  private List<Long> nodePids;

  @Option(
      names = "--out",
      paramLabel = "dir",
      description =
          "Directory for results.jsonl and results.md (default:"
              + " registry-bench/target/bench-<timestamp>).")
  private Path out;

  @Option(
      names = "--profile",
      description =
          "Record each phase's timed part on every node with JFR (jcmd JFR.start, settings"
              + " profile) into --out as <phase>-node<i>.jfr, and summarize each recording in"
              + " <phase>-node<i>-top.txt at the end (not the scale phase). Needs the node pids"
              + " (as for CPU) and a JDK's jcmd.")
  private boolean profile;

  @Option(
      names = "--seed",
      defaultValue = "1",
      description = "Seed of the random choices, for repeatable runs (default: ${DEFAULT-VALUE}).")
  private long seed;

  @Option(
      names = "--call-deadline-ms",
      paramLabel = "ms",
      defaultValue = "10000",
      description = "Deadline of each unary call (default: ${DEFAULT-VALUE}).")
  private long callDeadlineMillis;

  @Option(
      names = "--max-phase-s",
      paramLabel = "s",
      defaultValue = "120",
      description =
          "Bound of the phases driven by a count (register, cleanup), and of each registration"
              + " and deregistration step of size-sweep (default: ${DEFAULT-VALUE}).")
  private long maxPhaseSeconds;

  @Option(
      names = "--smoke",
      description =
          "Tiny sizes to check the bench itself: 50 instances, 5 services, 2 s phases,"
              + " a failure-detection sample of 5 with a 2 s TTL, 20 propagation changes (20"
              + " slow watchers), scale"
              + " at 200 and 500 instances and 20 and 50 Watch streams, at-rest 2 s, size-sweep 20"
              + " instances at 2 and 10 per service; protection (when asked"
              + " for) with 60 instances over 6 services, a dead service of 10, a 2 s TTL, 4 s of"
              + " observation, 5 s of recording and no settling; flood (when asked for) 2 s each"
              + " way, 150 streams, at most 200 registrations accepted.")
  private boolean smoke;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help.")
  private boolean helpRequested;

  private final PrintStream stdout;
  private final PrintStream stderr;
  private final BooleanSupplier stop;
  private final String[] args;

  private BenchMain(String[] args, PrintStream stdout, PrintStream stderr, BooleanSupplier stop) {
    this.args = args.clone();
    this.stdout = stdout;
    this.stderr = stderr;
    this.stop = stop;
  }

  /** Runs the bench and exits with its code; SIGINT/SIGTERM stop it after its cleanup. */
  public static void main(String[] args) {
    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch finished = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  if (finished.getCount() == 0) {
                    return; // a normal exit
                  }
                  stop.set(true);
                  try {
                    finished.await(SHUTDOWN_GRACE_MILLIS, TimeUnit.MILLISECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                },
                "bench-shutdown"));
    int code = execute(args, System.out, System.err, stop::get);
    finished.countDown();
    System.exit(code);
  }

  /** Runs the bench with these streams; returns the exit code. For tests and {@link #main}. */
  public static int execute(
      String[] args, PrintStream stdout, PrintStream stderr, BooleanSupplier stop) {
    CommandLine commandLine = new CommandLine(new BenchMain(args, stdout, stderr, stop));
    commandLine.setOut(new PrintWriter(stdout, true, StandardCharsets.UTF_8));
    commandLine.setErr(new PrintWriter(stderr, true, StandardCharsets.UTF_8));
    commandLine.setParameterExceptionHandler(
        (ex, ignored) -> {
          ex.getCommandLine().getErr().println("registry-bench: " + ex.getMessage());
          ex.getCommandLine().getErr().println("See registry-bench --help.");
          return EXIT_USAGE;
        });
    return commandLine.execute(args);
  }

  @Override
  public Integer call() throws InterruptedException {
    BenchConfig config;
    try {
      config = config();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage(), e);
    }
    return new BenchRunner(config, "registry-bench " + String.join(" ", args), stdout, stderr, stop)
        .run();
  }

  private BenchConfig config() {
    List<SystemUnderTest> measured = SystemUnderTest.parse(systems);
    boolean peers = measured.stream().anyMatch(SystemUnderTest::isPeer);
    CallMode callMode =
        calls != null ? CallMode.parse(calls) : peers ? CallMode.CLOSED_LOOP : CallMode.PIPELINED;
    if (peers && callMode != CallMode.CLOSED_LOOP) {
      throw new IllegalArgumentException(
          "etcd and zookeeper are measured with --calls closed-loop only (the simple client)");
    }
    List<String> requested =
        phases != null
            ? phases
            : List.of((peers ? PEER_DEFAULT_PHASES : DEFAULT_PHASES).split(","));
    if (peers) {
      for (String phase : requested) {
        if (!SystemUnderTest.PEER_PHASES.contains(phase)) {
          throw new IllegalArgumentException(
              "etcd and zookeeper run "
                  + PEER_DEFAULT_PHASES
                  + " only: drop '"
                  + phase
                  + "' from --phases, or measure roster alone for it");
        }
      }
    }
    List<TargetAddress> addresses = new ArrayList<>();
    for (String text : targets) {
      TargetAddress target = TargetAddress.parse(text);
      if (!target.isLoopback() && !allowRemote) {
        throw new IllegalArgumentException(
            "target "
                + target
                + " is not a loopback address (127.0.0.0/8, localhost, ::1): the bench sends"
                + " heavy load, so it only aims at this machine unless --allow-remote is given");
      }
      addresses.add(target);
    }
    BenchTransport channels =
        tls || caFile != null || certFile != null || keyFile != null
            ? BenchTransport.tls(caFile, certFile, keyFile)
            : BenchTransport.plaintext();
    BenchTransport transport = channels.withToken(token, tokenFile);
    FloodConfig flood =
        new FloodConfig(
            TimeUnit.SECONDS.toMillis(orDefault(floodDurationSeconds, 20, 2)),
            floodReadsPerSecond,
            orDefault(floodStreams, 5_000, 150),
            orDefault(floodRegistrations, 50_000, 200),
            floodTokenFile != null
                ? channels.withTokenFile(floodTokenFile, "--flood-token-file")
                : transport,
            floodTokenFile != null);
    return new BenchConfig(
        addresses,
        measured,
        transport,
        Phases.plan(requested),
        orDefault(instances, 10_000, 50),
        orDefault(services, 100, 5),
        concurrency,
        callMode,
        TimeUnit.SECONDS.toMillis(orDefault(durationSeconds, 20, 2)),
        TimeUnit.SECONDS.toMillis(orDefault(atRestSeconds, 30, 2)),
        namespace,
        streams,
        backgroundStreams != null ? backgroundStreams : addresses.size(),
        window,
        orDefault(failureSample, 200, 5),
        failureLeaseTtlMillis != null ? failureLeaseTtlMillis : smoke ? 2_000 : 0,
        orDefault(propagationChanges, 2_000, 20),
        orDefault(slowWatchers, 1_000, 20),
        scaleInstances != null
            ? scaleInstances
            : smoke ? List.of(200, 500) : List.of(10_000, 100_000),
        scaleStreams != null ? scaleStreams : smoke ? List.of(20, 50) : List.of(1_000, 10_000),
        sweepSizes != null ? sweepSizes : smoke ? List.of(2, 10) : List.of(10, 1_000, 10_000),
        orDefault(sweepCount, 10_000, 20),
        TimeUnit.SECONDS.toMillis(scaleBoundSeconds),
        new ProtectionConfig(
            orDefault(protectionInstances, 10_000, 60),
            orDefault(protectionServices, 100, 6),
            orDefault(protectionDead, 100, 10),
            protectionSilentShare,
            protectionLeaseTtlMillis != null ? protectionLeaseTtlMillis : smoke ? 2_000 : 0,
            TimeUnit.SECONDS.toMillis(orDefault(protectionObserveSeconds, 60, 4)),
            TimeUnit.SECONDS.toMillis(orDefault(protectionRecordSeconds, 90, 5)),
            TimeUnit.SECONDS.toMillis(orDefault(protectionSettleSeconds, 61, 0))),
        flood,
        callDeadlineMillis,
        TimeUnit.SECONDS.toMillis(maxPhaseSeconds),
        nodePids == null ? List.of() : nodePids,
        out != null ? out : defaultOutDirectory(),
        profile,
        seed,
        etcdBinary,
        TimeUnit.SECONDS.toMillis(orDefault(peerWarmupSeconds, 20, 0)),
        smoke);
  }

  private int orDefault(Integer given, int normal, int forSmoke) {
    return given != null ? given : smoke ? forSmoke : normal;
  }

  /**
   * {@code bench-<timestamp>} in this module's {@code target} directory: where the jar (or, run
   * from the build, the classes) lies; {@code registry-bench/target} from the current directory
   * when that is unknown.
   */
  static Path defaultOutDirectory() {
    String name =
        "bench-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    try {
      Path code =
          Path.of(BenchMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      Path target = code.getParent();
      if (target != null
          && target.getFileName() != null
          && target.getFileName().toString().equals("target")) {
        return target.resolve(name);
      }
    } catch (URISyntaxException | RuntimeException e) {
      // fall through: no code source (an unusual class loader)
    }
    return Path.of("registry-bench", "target", name);
  }
}
