package io.roster.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The peer comparison in smoke sizes against a real three-server ZooKeeper ensemble, which the
 * bench starts from ZooKeeper's own server classes (a Maven dependency, so this runs anywhere the
 * build does). etcd is not here: it needs Debian's etcd-server installed; its smoke run is a manual
 * command (docs/benchmarks.md).
 */
@Timeout(180)
class PeerSmokeIT {

  @Test
  void zookeeperRegistersAndDiscoversLosingNothingThenStopsItsEnsemble() throws IOException {
    Path out = Path.of("target", "peer-smoke-it").toAbsolutePath();
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    int exitCode =
        BenchMain.execute(
            new String[] {"--systems", "zookeeper", "--smoke", "--out", out.toString()},
            new PrintStream(stdout, true, StandardCharsets.UTF_8),
            System.err,
            () -> false);
    String printed = stdout.toString(StandardCharsets.UTF_8);
    System.out.println(printed);

    List<String> lines = printed.lines().filter(line -> line.startsWith("{")).toList();
    assertEquals(3, lines.size(), printed);
    for (String phase : List.of("register", "discover")) {
      String line = line(lines, phase);
      assertTrue(line.contains("\"ok\":true"), line);
      assertTrue(line.contains("\"lostLeases\":0,"), line);
      assertFalse(line.contains("\"ops\":0,"), line);
    }
    assertTrue(line(lines, "register").contains("\"ops\":50,"));
    assertTrue(line(lines, "discover").contains("\"meanInstances\":10,"));
    assertTrue(line(lines, "heartbeat").contains("\"applicable\":false"));
    assertEquals(0, exitCode, printed);
    String markdown = Files.readString(out.resolve("results.md"));
    assertTrue(markdown.contains("| zookeeper discover |"), markdown);
    for (int server = 1; server <= 3; server++) {
      assertTrue(Files.exists(out.resolve("zookeeper-" + server + ".log")));
    }
    assertFalse(
        ProcessHandle.allProcesses()
            .anyMatch(
                process ->
                    process.info().arguments().stream()
                        .flatMap(Arrays::stream)
                        .anyMatch(argument -> argument.contains("roster-bench-zookeeper-"))),
        "a ZooKeeper server of the run is still running");
  }

  private static String line(List<String> jsonLines, String phase) {
    return jsonLines.stream()
        .filter(json -> json.startsWith("{\"phase\":\"" + phase + "\""))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no JSON line for " + phase + " in " + jsonLines));
  }
}
