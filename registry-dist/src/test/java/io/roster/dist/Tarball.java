package io.roster.dist;

import static org.awaitility.Awaitility.await;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.roster.v1.ClusterStatusResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The release tarball the package phase built, unpacked into a folder of the test's, and what the
 * tests run from it: nodes through {@code bin/roster-node}, the CLI through {@code bin/roster}.
 * Nothing of the build tree is used once it is unpacked: the processes run in {@link #workDir()}
 * with the JDK of the test's own JVM (JAVA_HOME), and no path of the checkout in their arguments.
 *
 * <p>Not thread-safe: one test thread drives it.
 */
final class Tarball implements AutoCloseable {

  /** Three JVMs starting on a loaded 2-core machine, each waiting for the others to join. */
  static final Duration FORMATION_TIMEOUT = Duration.ofSeconds(90);

  /** One CLI call: a JVM start (about 1 s here) and a call with the CLI's own 5 s deadline. */
  static final Duration CLI_TIMEOUT = Duration.ofSeconds(30);

  private static final JsonFormat.Parser JSON = JsonFormat.parser().ignoringUnknownFields();

  private final Path workDir;
  private final Path home;
  private final List<Node> nodes = new ArrayList<>();
  private final List<Process> others = new ArrayList<>();
  private int cliCalls;

  private Tarball(Path workDir, Path home) {
    this.workDir = workDir;
    this.home = home;
  }

  /** Unpacks the tarball (the roster.dist.tarball system property) into {@code workDir}. */
  static Tarball unpack(Path workDir) {
    Path tarball = Path.of(System.getProperty("roster.dist.tarball", "target/missing.tar.gz"));
    if (!Files.isRegularFile(tarball)) {
      throw new IllegalStateException(
          "no tarball at " + tarball + ": run the package phase first (mvn verify does)");
    }
    String name = System.getProperty("roster.dist.name", "");
    // The system's tar, as an operator unpacks it: it keeps the launchers' executable bits.
    Result result =
        run(
            List.of("tar", "-xzf", tarball.toAbsolutePath().toString(), "-C", workDir.toString()),
            workDir,
            Map.of(),
            Duration.ofSeconds(60));
    if (result.code() != 0) {
      throw new IllegalStateException("tar failed: " + result.stderr());
    }
    Path home = workDir.resolve(name);
    if (!Files.isExecutable(home.resolve("bin/roster-node"))) {
      throw new IllegalStateException("no executable bin/roster-node in " + home);
    }
    return new Tarball(workDir, home);
  }

  /** The unpacked roster-<version> folder. */
  Path home() {
    return home;
  }

  /** The folder every process runs in (and the nodes' files lie in). */
  Path workDir() {
    return workDir;
  }

  List<Node> nodes() {
    return nodes;
  }

  Node node(int index) {
    return nodes.get(index);
  }

  /**
   * Prepares a node: its configuration file (from {@code yaml}) and log in {@code workDir/name},
   * and the environment {@code bin/roster-node} runs with (plus {@code environment}).
   */
  Node addNode(
      String name, String host, int apiPort, int healthPort, String yaml, String javaOpts) {
    Path dir = workDir.resolve(name);
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("roster.yaml"), yaml);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, String> environment = new LinkedHashMap<>(baseEnvironment());
    environment.put("ROSTER_CONFIG", dir.resolve("roster.yaml").toString());
    // A small heap and a cheap JIT: three nodes, the test and its clients share 2 cores.
    environment.put("ROSTER_HEAP", "256m");
    environment.put("JAVA_OPTS", ("-XX:+UseSerialGC -XX:TieredStopAtLevel=1 " + javaOpts).strip());
    environment.put("ROSTER_HEALTH_HOST", host);
    environment.put("ROSTER_HEALTH_PORT", Integer.toString(healthPort));
    Node node = new Node(name, host, apiPort, environment, dir.resolve("node.log"));
    nodes.add(node);
    return node;
  }

  /** "host:port" of every node's API, comma-separated: the CLI's --target for the cluster. */
  String targets() {
    return nodes.stream().map(Node::apiAddress).collect(Collectors.joining(","));
  }

  /** Runs {@code bin/roster} with {@code args} and waits for it. */
  Result cli(String... args) {
    cliCalls++;
    List<String> command = new ArrayList<>();
    command.add(home.resolve("bin/roster").toString());
    command.addAll(List.of(args));
    return run(command, workDir, baseEnvironment(), CLI_TIMEOUT);
  }

  /** Runs {@code bin/roster-node} with a subcommand (health, drain) for {@code node}. */
  Result nodeCommand(Node node, Map<String, String> extraEnvironment, String... args) {
    List<String> command = new ArrayList<>();
    command.add(home.resolve("bin/roster-node").toString());
    command.addAll(List.of(args));
    Map<String, String> environment = new LinkedHashMap<>(node.environment);
    environment.putAll(extraEnvironment);
    return run(command, workDir, environment, CLI_TIMEOUT);
  }

  /** Starts {@code bin/roster} with {@code args} in the background, its output to {@code out}. */
  Process startCli(Path out, String... args) {
    List<String> command = new ArrayList<>();
    command.add(home.resolve("bin/roster").toString());
    command.addAll(List.of(args));
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(workDir.toFile())
            .redirectOutput(out.toFile())
            .redirectError(ProcessBuilder.Redirect.appendTo(workDir.resolve("cli.err").toFile()));
    builder.environment().putAll(baseEnvironment());
    try {
      Process process = builder.start();
      others.add(process);
      return process;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  int cliCalls() {
    return cliCalls;
  }

  /** The node's view of the cluster, as {@code bin/roster status} prints it. */
  ClusterStatusResponse status(Node node) {
    Result result = cli("--target", node.apiAddress(), "status");
    if (result.code() != 0) {
      throw new IllegalStateException(
          node.name() + ": bin/roster status exited " + result.code() + ": " + result.stderr());
    }
    ClusterStatusResponse.Builder status = ClusterStatusResponse.newBuilder();
    try {
      JSON.merge(result.stdout().strip(), status);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("bin/roster status printed " + result.stdout(), e);
    }
    return status.build();
  }

  /**
   * Waits until {@code node} answers {@code bin/roster status} with {@code members} members. Fails
   * at once, naming it, when any started node's process exits meanwhile: a node that died while
   * another is awaited would otherwise show only as that other node's timeout.
   */
  void awaitMembers(Node node, int members) {
    List<Node> started = nodes.stream().filter(Node::isAlive).toList();
    await("node " + node.name() + " sees " + members + " members through bin/roster status")
        .atMost(FORMATION_TIMEOUT)
        .pollInterval(Duration.ofMillis(500))
        .ignoreExceptions()
        .failFast(
            () -> {
              for (Node other : started) {
                if (!other.isAlive()) {
                  throw new AssertionError(
                      other.name() + " exited with " + other.process.exitValue() + "; see its log");
                }
              }
            })
        .until(() -> status(node).getMembersCount() == members);
  }

  /** Every node's log, for a failed test's output. */
  void printLogs() {
    for (Node node : nodes) {
      System.out.println("----- " + node.name() + " (" + node.logFile + ") -----");
      System.out.println(node.log());
    }
  }

  /** Kills whatever still runs. */
  @Override
  public void close() {
    for (Process process : others) {
      process.destroyForcibly();
    }
    for (Node node : nodes) {
      if (node.isAlive()) {
        node.process.destroyForcibly();
        try {
          node.process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  /** JAVA_HOME: the test's own JDK, so the launchers never depend on the PATH of the build. */
  private static Map<String, String> baseEnvironment() {
    return Map.of("JAVA_HOME", System.getProperty("java.home"));
  }

  record Result(int code, String stdout, String stderr) {}

  static Result run(
      List<String> command, Path workDir, Map<String, String> environment, Duration timeout) {
    try {
      Path out = Files.createTempFile(workDir, "out", ".txt");
      Path err = Files.createTempFile(workDir, "err", ".txt");
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .directory(workDir.toFile())
              .redirectOutput(out.toFile())
              .redirectError(err.toFile());
      builder.environment().putAll(environment);
      Process process = builder.start();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        throw new AssertionError(command + " did not finish within " + timeout);
      }
      Result result =
          new Result(
              process.exitValue(),
              Files.readString(out, StandardCharsets.UTF_8),
              Files.readString(err, StandardCharsets.UTF_8));
      Files.delete(out);
      Files.delete(err);
      return result;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** One node started from {@code bin/roster-node}. */
  final class Node {
    private final String name;
    private final String host;
    private final int apiPort;
    private final Map<String, String> environment;
    private final Path logFile;
    private Process process;

    private Node(
        String name, String host, int apiPort, Map<String, String> environment, Path logFile) {
      this.name = name;
      this.host = host;
      this.apiPort = apiPort;
      this.environment = Map.copyOf(environment);
      this.logFile = logFile;
    }

    String name() {
      return name;
    }

    String apiAddress() {
      return host + ":" + apiPort;
    }

    long pid() {
      return process.pid();
    }

    boolean isAlive() {
      return process != null && process.isAlive();
    }

    /** Starts (or starts again) {@code bin/roster-node}, with the same environment each time. */
    void start() {
      if (isAlive()) {
        throw new IllegalStateException(name + " already runs");
      }
      ProcessBuilder builder =
          new ProcessBuilder(home.resolve("bin/roster-node").toString())
              .directory(workDir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
      builder.environment().putAll(environment);
      try {
        process = builder.start();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start " + name, e);
      }
    }

    /**
     * SIGTERM, as systemd's stop sends, and waits at most {@code timeout} for the process to exit.
     *
     * @return the exit code
     * @throws AssertionError when it is still running after {@code timeout} (it is then killed)
     */
    int stop(Duration timeout) {
      process.destroy(); // SIGTERM
      try {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
          throw new AssertionError(name + " still ran " + timeout + " after SIGTERM");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      return process.exitValue();
    }

    String log() {
      try {
        return Files.exists(logFile) ? Files.readString(logFile) : "(no log)";
      } catch (IOException e) {
        return "(cannot read " + logFile + ": " + e + ")";
      }
    }
  }
}
