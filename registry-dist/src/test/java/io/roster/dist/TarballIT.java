package io.roster.dist;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roster.testing.FreePorts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The release tarball run as an operator runs it: unpacked into a folder of its own, three nodes
 * started from {@code bin/roster-node} with a configuration file each, the cluster checked and used
 * through {@code bin/roster}, the health subcommands tried, and every node stopped with SIGTERM as
 * systemd stops it.
 *
 * <p>The nodes find each other by DNS ({@code cluster.discovery: dns}): one name whose hosts file
 * entries are 127.0.0.1, 127.0.0.2 and 127.0.0.3, every node on the same member port, as three
 * hosts with one A record each would be (the JVM reads the file through {@code
 * -Djdk.net.hosts.file}). {@link RollingRestartIT} covers the static member list.
 */
@Timeout(240)
class TarballIT {

  private static final String MEMBERS_NAME = "roster-members.tarball.test";

  @Test
  void threeNodesFromTheTarballFormAClusterServeTheCliAndStopCleanlyOnSigterm(@TempDir Path dir)
      throws IOException {
    try (Tarball tarball = Tarball.unpack(dir)) {
      checkLayout(tarball.home());

      Path hosts = dir.resolve("hosts");
      Files.writeString(
          hosts,
          "127.0.0.1 localhost\n"
              + "127.0.0.1 "
              + MEMBERS_NAME
              + "\n127.0.0.2 "
              + MEMBERS_NAME
              + "\n127.0.0.3 "
              + MEMBERS_NAME
              + "\n");
      String cluster = "tarball-" + UUID.randomUUID().toString().substring(0, 8);
      // The same ports on three loopback addresses, as on three hosts.
      int memberPort = FreePorts.next();
      int apiPort = FreePorts.next();
      int healthPort = FreePorts.next();
      for (int i = 1; i <= 3; i++) {
        String host = "127.0.0." + i;
        tarball.addNode(
            "node" + i,
            host,
            apiPort,
            healthPort,
            """
            # Loopback only, where no one else can reach the ports: TLS, caller checks and the
            # cluster secret are tested in registry-node; here the subject is the tarball.
            security.insecure: true
            node.name: node%d
            cluster:
              name: %s
              host: %s
              port: %d
              discovery: dns
              dns-name: %s
              join-wait-s: 1
            api:
              host: %s
              port: %d
              event-loops: 1
            health.port: %d
            log.format: text
            """
                .formatted(i, cluster, host, memberPort, MEMBERS_NAME, host, apiPort, healthPort),
            "-Djdk.net.hosts.file=" + hosts);
      }
      try {
        long started = System.nanoTime();
        tarball.nodes().forEach(Tarball.Node::start);
        // No node lists another (cluster.members is empty): three members means DNS found them.
        for (Tarball.Node node : tarball.nodes()) {
          tarball.awaitMembers(node, 3);
        }
        System.out.printf(
            "TarballIT: three nodes formed through DNS discovery in %d ms%n",
            (System.nanoTime() - started) / 1_000_000);
        for (Tarball.Node node : tarball.nodes()) {
          checkNothingOfTheBuildTree(tarball, node);
        }
        registerAndDiscover(tarball);
        cliThroughSymbolicLinks(tarball, dir);
        healthAndDrain(tarball);
        stopAll(tarball);
      } catch (Throwable t) {
        tarball.printLogs();
        throw t;
      }
    }
  }

  /** What the contract promises: launchers, configuration, one class path, licences, the unit. */
  private static void checkLayout(Path home) throws IOException {
    assertTrue(Files.isExecutable(home.resolve("bin/roster-node")));
    assertTrue(Files.isExecutable(home.resolve("bin/roster")));
    assertTrue(Files.isRegularFile(home.resolve("conf/roster.yaml")));
    assertTrue(Files.isRegularFile(home.resolve("systemd/roster-node.service")));
    assertTrue(Files.isRegularFile(home.resolve("README.md")), "the unit's Documentation=");
    assertTrue(Files.readString(home.resolve("licenses/LICENSE")).contains("Apache License"));
    String launcher = Files.readString(home.resolve("bin/roster-node"));
    assertFalse(launcher.contains("@hazelcast"), "the Hazelcast flags were not filled in");
    assertTrue(launcher.contains("--add-opens java.base/java.lang=ALL-UNNAMED"), launcher);

    List<String> jars;
    try (Stream<Path> files = Files.list(home.resolve("lib"))) {
      jars = files.map(path -> path.getFileName().toString()).sorted().toList();
    }
    assertTrue(jars.stream().anyMatch(jar -> jar.startsWith("registry-node-")), jars.toString());
    assertTrue(jars.stream().anyMatch(jar -> jar.startsWith("registry-cli-")), jars.toString());
    assertTrue(
        jars.stream().noneMatch(jar -> jar.endsWith("-all.jar") || jar.endsWith("-cli.jar")));
    // Every bundled jar is named in the third-party list with a licence.
    String thirdParty = Files.readString(home.resolve("licenses/THIRD-PARTY.txt"));
    List<String> unlisted = new ArrayList<>();
    for (String jar : jars) {
      Matcher m = Pattern.compile("(.+)-(\\d[^-]*(?:-[A-Za-z0-9.]+)*)\\.jar").matcher(jar);
      assertTrue(m.matches(), jar);
      Pattern line =
          Pattern.compile(
              "^\\s+\\((?!Unknown)[^)]+\\).*:"
                  + Pattern.quote(m.group(1))
                  + ":"
                  + Pattern.quote(m.group(2))
                  + " ",
              Pattern.MULTILINE);
      if (!line.matcher(thirdParty).find()) {
        unlisted.add(jar);
      }
    }
    assertTrue(unlisted.isEmpty(), "not in licenses/THIRD-PARTY.txt with a licence: " + unlisted);
  }

  /**
   * The node is the JVM of the JDK it was given (the launcher execs java: the process the test
   * started is the JVM), running in the work folder, and every jar it has open lies in the unpacked
   * tarball or the JDK: nothing comes from the checkout or the Maven repository.
   */
  private static void checkNothingOfTheBuildTree(Tarball tarball, Tarball.Node node)
      throws IOException {
    Path proc = Path.of("/proc", Long.toString(node.pid()));
    Path javaHome = Path.of(System.getProperty("java.home")).toRealPath();
    Path home = tarball.home().toRealPath();
    assertEquals(tarball.workDir().toRealPath(), Files.readSymbolicLink(proc.resolve("cwd")));
    assertTrue(
        Files.readSymbolicLink(proc.resolve("exe")).startsWith(javaHome),
        "the node's process is not the JDK's java: the launcher must exec it");

    Set<Path> jars = new TreeSet<>();
    try (Stream<Path> fds = Files.list(proc.resolve("fd"))) {
      for (Path fd : fds.toList()) {
        try {
          Path target = Files.readSymbolicLink(fd);
          if (target.toString().endsWith(".jar")) {
            jars.add(target);
          }
        } catch (IOException e) {
          // closed since it was listed
        }
      }
    }
    for (String line : Files.readAllLines(proc.resolve("maps"))) {
      int slash = line.indexOf('/');
      if (slash >= 0 && line.endsWith(".jar")) {
        jars.add(Path.of(line.substring(slash)));
      }
    }
    assertTrue(
        jars.stream().anyMatch(jar -> jar.getFileName().toString().startsWith("registry-node-")),
        "no registry-node jar open, so the check below saw nothing: " + jars);
    List<Path> foreign =
        jars.stream().filter(jar -> !jar.startsWith(home) && !jar.startsWith(javaHome)).toList();
    assertTrue(foreign.isEmpty(), node.name() + " has jars open from outside: " + foreign);

    String commandLine = Files.readString(proc.resolve("cmdline")).replace('\0', ' ');
    Path checkout = Path.of("").toAbsolutePath().getParent();
    assertFalse(commandLine.contains(checkout.toString()), commandLine);
    assertFalse(commandLine.contains(".m2"), commandLine);
  }

  private static void registerAndDiscover(Tarball tarball) {
    Tarball.Result registered =
        tarball.cli(
            "--target",
            tarball.targets(),
            "register",
            "--service",
            "tarball",
            "--host",
            "10.9.9.9",
            "--port",
            "8080",
            "--ttl-ms",
            "120000");
    assertEquals(0, registered.code(), registered.stderr());
    assertTrue(
        registered.stdout().contains("\"instanceId\":\"10.9.9.9:8080\""), registered.stdout());
    for (Tarball.Node node : tarball.nodes()) {
      await("node " + node.name() + " lists the instance")
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(
              () -> {
                Tarball.Result found =
                    tarball.cli("--target", node.apiAddress(), "discover", "--service", "tarball");
                assertEquals(0, found.code(), found.stderr());
                assertTrue(found.stdout().contains("\"host\":\"10.9.9.9\""), found.stdout());
              });
    }
  }

  /**
   * The launchers find their installation from their own path through a chain of symbolic links,
   * relative and absolute, as /usr/local/bin/roster -> /opt/roster/bin/roster with /opt/roster ->
   * /opt/roster-1.2.0 would be.
   */
  private static void cliThroughSymbolicLinks(Tarball tarball, Path dir) throws IOException {
    Path links = Files.createDirectories(dir.resolve("links"));
    Path installed = Files.createSymbolicLink(dir.resolve("current"), tarball.home().getFileName());
    Path relative =
        Files.createSymbolicLink(
            links.resolve("roster-relative"), links.relativize(installed.resolve("bin/roster")));
    Path chained = Files.createSymbolicLink(links.resolve("roster"), relative.toAbsolutePath());
    Tarball.Result result =
        Tarball.run(
            List.of(chained.toString(), "--target", tarball.node(0).apiAddress(), "status"),
            tarball.workDir(),
            Map.of("JAVA_HOME", System.getProperty("java.home")),
            Tarball.CLI_TIMEOUT);
    assertEquals(0, result.code(), result.stdout() + result.stderr());
    assertTrue(result.stdout().contains("\"members\""), result.stdout());
  }

  /**
   * {@code bin/roster-node health} and {@code drain} against the nodes' health port, in bash alone:
   * live and ready while the cluster has quorum; a drained node is no longer ready but still live.
   */
  private static void healthAndDrain(Tarball tarball) {
    Tarball.Node node3 = tarball.node(2);
    for (Tarball.Node node : tarball.nodes()) {
      assertHealth(tarball, node, "live", 0, "ok");
      assertHealth(tarball, node, "ready", 0, "ok");
    }
    Tarball.Result drained =
        tarball.nodeCommand(node3, Map.of("ROSTER_DRAIN_WAIT_S", "0"), "drain");
    assertEquals(0, drained.code(), drained.stdout() + drained.stderr());
    assertTrue(drained.stdout().startsWith("draining"), drained.stdout());
    assertHealth(tarball, node3, "ready", 1, "not ready: drained");
    assertHealth(tarball, node3, "live", 0, "ok");
    // Drained, the node still answers calls until it is stopped.
    Tarball.Result status = tarball.cli("--target", node3.apiAddress(), "status");
    assertEquals(0, status.code(), status.stderr());
  }

  private static void assertHealth(
      Tarball tarball, Tarball.Node node, String which, int code, String answer) {
    Tarball.Result result = tarball.nodeCommand(node, Map.of(), "health", which);
    assertEquals(
        code,
        result.code(),
        node.name() + " health " + which + ": " + result.stdout() + result.stderr());
    assertTrue(result.stdout().startsWith(answer), result.stdout());
  }

  /**
   * SIGTERM to each node in turn, as `systemctl stop` on each host: it must exit within the unit's
   * TimeoutStopSec with the status the unit counts as success (SuccessExitStatus=143).
   */
  private static void stopAll(Tarball tarball) throws IOException {
    String unit = Files.readString(tarball.home().resolve("systemd/roster-node.service"));
    Matcher timeout = Pattern.compile("(?m)^TimeoutStopSec=(\\d+)$").matcher(unit);
    Matcher success = Pattern.compile("(?m)^SuccessExitStatus=(\\d+)$").matcher(unit);
    assertTrue(timeout.find() && success.find(), unit);
    Duration stopTimeout = Duration.ofSeconds(Long.parseLong(timeout.group(1)));
    int expected = Integer.parseInt(success.group(1));
    for (int i = tarball.nodes().size() - 1; i >= 0; i--) {
      Tarball.Node node = tarball.node(i);
      long started = System.nanoTime();
      int code = node.stop(stopTimeout);
      System.out.printf(
          "TarballIT: %s stopped in %d ms with exit code %d%n",
          node.name(), (System.nanoTime() - started) / 1_000_000, code);
      assertEquals(expected, code, node.name() + " exit code after SIGTERM");
      assertTrue(node.log().contains("stopped"), node.log());
    }
  }
}
