package io.roster.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roster.testing.NodeProcess;
import io.roster.testing.RosterCluster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The bench runs every phase in smoke sizes against three real nodes, and each phase reports work
 * done and no lease lost. The protection phase, asked for by name, runs with a 2 s TTL and no
 * settling, so it adds about 20 s.
 */
@Timeout(240)
class BenchSmokeIT {
  private static final List<String> PHASES =
      List.of(
          "register",
          "heartbeat",
          "discover",
          "propagation",
          "slow-watchers",
          "failure-detection",
          "scale",
          "protection");

  @Test
  void everyPhaseDoesWorkAndLosesNoLeaseOnThreeRealNodes() throws IOException {
    Path out = Path.of("target", "bench-smoke-it").toAbsolutePath();
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    int exitCode;
    try (RosterCluster cluster = RosterCluster.start(3)) {
      String targets =
          cluster.nodes().stream().map(NodeProcess::apiAddress).collect(Collectors.joining(","));
      exitCode =
          BenchMain.execute(
              new String[] {
                "--smoke",
                "--phases",
                String.join(",", PHASES),
                "--targets",
                targets,
                "--out",
                out.toString()
              },
              new PrintStream(stdout, true, StandardCharsets.UTF_8),
              System.err,
              () -> false);
    }
    String printed = stdout.toString(StandardCharsets.UTF_8);
    System.out.println(printed);
    List<String> jsonLines = new ArrayList<>();
    for (String line : printed.split("\n")) {
      if (line.startsWith("{")) {
        jsonLines.add(line);
      }
    }
    for (String phase : PHASES) {
      String line = line(jsonLines, phase);
      assertTrue(number(line, "ops").orElse(0L) > 0, phase + " did no work: " + line);
      assertEquals(Optional.of(0L), number(line, "lostLeases"), phase + " lost leases: " + line);
      assertTrue(line.contains("\"ok\":true"), phase + " reported a problem: " + line);
    }
    String scale = line(jsonLines, "scale");
    assertTrue(
        number(scale, "heapBytesPerInstanceAt500").isPresent(), "no heap per instance: " + scale);
    assertTrue(
        number(scale, "heapBytesPerWatchStreamAt50").isPresent(),
        "no heap per Watch stream: " + scale);
    assertEquals(0, exitCode, "exit code; output:\n" + printed);
    assertEquals(jsonLines, Files.readAllLines(out.resolve("results.jsonl")));
    assertTrue(Files.readString(out.resolve("results.md")).contains("| failure-detection |"));
    String protection = line(jsonLines, "protection");
    assertEquals(Optional.of(0L), number(protection, "falsePositives"), protection);
    assertTrue(number(protection, "s1Declared").orElse(0L) > 0, "nothing declared: " + protection);
    assertTrue(number(protection, "s2Declared").orElse(0L) > 0, "nothing declared: " + protection);
    assertTrue(
        Files.readString(out.resolve("results.md")).contains("### 3. zone-c silent"),
        "no protection details in results.md");
    assertTrue(Files.readString(out.resolve(ProtectionPhase.SERIES_FILE)).startsWith("scenario,"));
  }

  private static String line(List<String> jsonLines, String phase) {
    return jsonLines.stream()
        .filter(json -> json.startsWith("{\"phase\":\"" + phase + "\""))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no JSON line for " + phase + " in " + jsonLines));
  }

  private static Optional<Long> number(String json, String field) {
    Matcher matcher = Pattern.compile("\"" + field + "\":(-?[0-9]+)").matcher(json);
    return matcher.find() ? Optional.of(Long.parseLong(matcher.group(1))) : Optional.empty();
  }
}
