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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * The bench runs every phase in smoke sizes against three real nodes, and each phase reports work
 * done and no lease lost: once with pipelined calls (protection included, with a 2 s TTL and no
 * settling: about 20 s more), once with closed-loop calls for the phases that have them, with the
 * at-rest and size-sweep phases and JFR profiles of the nodes. Both runs share one cluster; each
 * deregisters what it registered.
 */
@Timeout(240)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
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

  private static final List<String> CLOSED_LOOP_PHASES =
      List.of("register", "heartbeat", "discover", "at-rest", "size-sweep");

  private RosterCluster cluster;
  private String targets;

  @BeforeAll
  void startCluster() {
    cluster = RosterCluster.start(3);
    targets =
        cluster.nodes().stream().map(NodeProcess::apiAddress).collect(Collectors.joining(","));
  }

  @AfterAll
  void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void everyPhaseDoesWorkAndLosesNoLeaseOnThreeRealNodes() throws IOException {
    Path out = Path.of("target", "bench-smoke-it").toAbsolutePath();
    Run run =
        bench("--smoke", "--phases", String.join(",", PHASES) + ",flood", "--out", out.toString());
    List<String> jsonLines = run.jsonLines();
    for (String phase : PHASES) {
      String line = line(jsonLines, phase);
      assertTrue(number(line, "ops").orElse(0L) > 0, phase + " did no work: " + line);
      assertEquals(Optional.of(0L), number(line, "lostLeases"), phase + " lost leases: " + line);
      assertTrue(line.contains("\"ok\":true"), phase + " reported a problem: " + line);
    }
    assertTrue(line(jsonLines, "register").contains("\"calls\":\"pipelined\""));
    String scale = line(jsonLines, "scale");
    assertTrue(
        number(scale, "heapBytesPerInstanceAt500").isPresent(), "no heap per instance: " + scale);
    assertTrue(
        number(scale, "heapBytesPerWatchStreamAt50").isPresent(),
        "no heap per Watch stream: " + scale);
    assertEquals(0, run.exitCode(), "exit code; output:\n" + run.printed());
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
    assertFloodWasMeasuredWithoutLimits(line(jsonLines, "flood"));
  }

  /** The IT's nodes run the local profile: no limit, so the flooder gets all it asks for. */
  private static void assertFloodWasMeasuredWithoutLimits(String flood) {
    assertTrue(flood.contains("\"ok\":true"), "flood reported a problem: " + flood);
    assertTrue(number(flood, "baselineOps").orElse(0L) > 0, "no baseline: " + flood);
    assertTrue(number(flood, "floodOps").orElse(0L) > 0, "no Discover during the flood: " + flood);
    assertEquals(Optional.of(200L), number(flood, "floodRegistrationsAccepted"), flood);
    assertEquals(Optional.of(200L), number(flood, "floodDeregistered"), flood);
    assertEquals(Optional.of(150L), number(flood, "floodStreamsOpened"), flood);
    assertEquals(Optional.of(0L), number(flood, "floodStreamsRefused"), flood);
    // and the population's background KeepAlive stream on that node
    assertTrue(number(flood, "nodeStreamsOpen").orElse(0L) >= 150, flood);
    assertTrue(flood.contains("\"limits\":\"off\""), flood);
    assertTrue(flood.contains("\"flooderFrom\":\"127.0.0.2\""), flood);
    assertTrue(number(flood, "heapGrowthMb").isPresent(), "no heap: " + flood);
  }

  @Test
  void closedLoopCallsAtRestAndSizeSweepDoWorkAndAreProfiled() throws IOException {
    Path out = Path.of("target", "bench-smoke-it-closed-loop").toAbsolutePath();
    Run run =
        bench(
            "--smoke",
            "--calls",
            "closed-loop",
            "--phases",
            String.join(",", CLOSED_LOOP_PHASES),
            "--profile",
            "--out",
            out.toString());
    List<String> jsonLines = run.jsonLines();
    for (String phase : CLOSED_LOOP_PHASES) {
      String line = line(jsonLines, phase);
      assertTrue(number(line, "ops").orElse(0L) > 0, phase + " did no work: " + line);
      assertEquals(Optional.of(0L), number(line, "lostLeases"), phase + " lost leases: " + line);
      assertTrue(line.contains("\"ok\":true"), phase + " reported a problem: " + line);
    }
    for (String phase : List.of("register", "heartbeat", "discover", "size-sweep")) {
      assertTrue(
          line(jsonLines, phase).contains("\"calls\":\"closed-loop\""),
          phase + " does not say its calls: " + line(jsonLines, phase));
    }
    String heartbeat = line(jsonLines, "heartbeat");
    assertEquals(Optional.of(0L), number(heartbeat, "notActive"), heartbeat);
    assertTrue(number(heartbeat, "p99Ms").isPresent(), "no heartbeat latency: " + heartbeat);
    String atRest = line(jsonLines, "at-rest");
    assertTrue(atRest.contains("\"node3CpuSecondsPerMin\":"), "no per-node CPU: " + atRest);
    String sweep = line(jsonLines, "size-sweep");
    assertEquals(Optional.of(40L), number(sweep, "ops"), sweep);
    assertEquals(Optional.of(1L), number(sweep, "rateRatioAt2"), sweep);
    assertTrue(sweep.contains("\"rateRatioAt10\":"), sweep);
    assertEquals(0, run.exitCode(), "exit code; output:\n" + run.printed());
    for (String profiled : List.of("register", "heartbeat", "discover", "at-rest")) {
      for (int node = 1; node <= 3; node++) {
        Path top = out.resolve(profiled + "-node" + node + "-top.txt");
        assertTrue(Files.exists(out.resolve(profiled + "-node" + node + ".jfr")), "no " + top);
        assertTrue(Files.readString(top).contains("execution samples"), "no summary in " + top);
      }
    }
    assertTrue(Files.exists(out.resolve("size-sweep-10-node1-top.txt")));
  }

  /** What one run of the bench printed and returned. */
  private record Run(int exitCode, String printed) {
    List<String> jsonLines() {
      List<String> lines = new ArrayList<>();
      for (String line : printed.split("\n")) {
        if (line.startsWith("{")) {
          lines.add(line);
        }
      }
      return lines;
    }
  }

  private Run bench(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--targets");
    all.add(targets);
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    int exitCode =
        BenchMain.execute(
            all.toArray(String[]::new),
            new PrintStream(stdout, true, StandardCharsets.UTF_8),
            System.err,
            () -> false);
    String printed = stdout.toString(StandardCharsets.UTF_8);
    System.out.println(printed);
    return new Run(exitCode, printed);
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
