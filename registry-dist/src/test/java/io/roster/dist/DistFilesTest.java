package io.roster.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.roster.node.config.Profile;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launchers and the systemd unit as shipped: valid bash (and clean under shellcheck when it is
 * installed), a unit systemd accepts, and the unit's stop time above what the node may take to
 * stop.
 */
@Timeout(60)
class DistFilesTest {

  private static final Path SOURCE = Path.of(System.getProperty("roster.dist.source", "src/dist"));
  private static final List<Path> LAUNCHERS =
      List.of(SOURCE.resolve("bin/roster-node"), SOURCE.resolve("bin/roster"));
  private static final Path UNIT = SOURCE.resolve("systemd/roster-node.service");

  /** Hazelcast's graceful shutdown waits up to this for the partition hand-over (its config). */
  private static final long HAZELCAST_HANDOVER_SECONDS = 60;

  @Test
  void launchersAreValidBash() throws Exception {
    for (Path launcher : LAUNCHERS) {
      assertTrue(Files.isExecutable(launcher), launcher + " is not executable");
      Result result = run(List.of("bash", "-n", launcher.toString()));
      assertEquals(0, result.code(), launcher + ": " + result.output());
    }
  }

  @Test
  void launchersPassShellcheck() throws Exception {
    assumeTrue(onPath("shellcheck"), "shellcheck is not installed (apt-get install shellcheck)");
    for (Path launcher : LAUNCHERS) {
      Result result = run(List.of("shellcheck", launcher.toString()));
      assertEquals(0, result.code(), launcher + ":\n" + result.output());
    }
  }

  @Test
  void systemdAcceptsTheUnit(@TempDir Path dir) throws Exception {
    assumeTrue(onPath("systemd-analyze"), "systemd-analyze is not installed");
    // verify wants ExecStart's program to exist: point it at the launcher in this checkout.
    Path unit = dir.resolve("roster-node.service");
    Files.writeString(
        unit,
        Files.readString(UNIT)
            .replace(
                "/opt/roster/bin/roster-node",
                SOURCE.resolve("bin/roster-node").toAbsolutePath().toString()));
    Result result = run(List.of("systemd-analyze", "verify", unit.toString()));
    // It reports a key it cannot parse as a warning, exiting 0: any output is a finding.
    assertEquals(0, result.code(), result.output());
    assertEquals("", result.output().strip());
  }

  @Test
  void theUnitGivesTheNodeTimeToStopGracefully() throws IOException {
    Map<String, String> service = section(Files.readString(UNIT), "Service");
    long graceSeconds =
        Long.parseLong(Profile.LAN.defaults().get("node.shutdown-grace-ms")) / 1_000;

    long stopSeconds = Long.parseLong(service.get("TimeoutStopSec"));
    assertTrue(
        stopSeconds >= graceSeconds + HAZELCAST_HANDOVER_SECONDS,
        "TimeoutStopSec "
            + stopSeconds
            + " s must cover the node's grace ("
            + graceSeconds
            + " s) and Hazelcast's hand-over ("
            + HAZELCAST_HANDOVER_SECONDS
            + " s)");
    assertEquals("SIGTERM", service.get("KillSignal"));
    assertEquals("143", service.get("SuccessExitStatus"), "the JVM's status after SIGTERM");
    assertEquals("roster", service.get("User"));
    assertEquals("on-failure", service.get("Restart"));
    assertEquals("65536", service.get("LimitNOFILE"));
    assertEquals("/opt/roster/bin/roster-node", service.get("ExecStart"));
  }

  /** The last value of each key of a unit file's section. */
  private static Map<String, String> section(String unit, String name) {
    Map<String, String> keys = new LinkedHashMap<>();
    boolean inside = false;
    Pattern entry = Pattern.compile("^([A-Za-z]+)=(.*)$");
    for (String line : unit.split("\n")) {
      if (line.startsWith("[")) {
        inside = line.equals("[" + name + "]");
      } else if (inside) {
        Matcher matcher = entry.matcher(line);
        if (matcher.matches()) {
          keys.put(matcher.group(1), matcher.group(2));
        }
      }
    }
    return keys;
  }

  private record Result(int code, String output) {}

  private static Result run(List<String> command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[] output = process.getInputStream().readAllBytes();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError(command + " did not finish in 30 s");
    }
    return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
  }

  private static boolean onPath(String program) {
    List<String> dirs = new ArrayList<>(List.of(System.getenv("PATH").split(File.pathSeparator)));
    return dirs.stream().anyMatch(dir -> Files.isExecutable(Path.of(dir, program)));
  }
}
