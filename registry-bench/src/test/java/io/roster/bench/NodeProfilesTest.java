package io.roster.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Recordings made through jcmd, on this test's own JVM standing in for a node. */
@Timeout(120)
class NodeProfilesTest {

  @Test
  void recordsATimedPartAndSummarizesItBesideTheRecording(@TempDir Path directory)
      throws InterruptedException, IOException {
    NodeCpu cpu =
        NodeCpu.locate(
            List.of(TargetAddress.parse("127.0.0.1:1")), List.of(ProcessHandle.current().pid()));
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    NodeProfiles profiles =
        NodeProfiles.of(cpu, directory, new PrintStream(err, true, StandardCharsets.UTF_8));
    assertTrue(profiles.active(), profiles.unavailableReason());

    profiles.start("unit-test");
    long end = System.nanoTime() + 500_000_000L;
    long x = 0;
    while (System.nanoTime() - end < 0) {
      x += Long.numberOfTrailingZeros(x + System.nanoTime());
    }
    profiles.stop("unit-test");
    List<Path> summaries = profiles.summarize();

    assertEquals(List.of(directory.resolve("unit-test-node1.jfr")), profiles.written());
    assertEquals(List.of(directory.resolve("unit-test-node1-top.txt")), summaries);
    assertTrue(Files.readString(summaries.get(0)).contains("execution samples: "));
    assertEquals(List.of(), profiles.failures(), err.toString(StandardCharsets.UTF_8) + x);
  }

  @Test
  void stopAllEndsARecordingLeftRunning(@TempDir Path directory) throws InterruptedException {
    NodeCpu cpu =
        NodeCpu.locate(
            List.of(TargetAddress.parse("127.0.0.1:1")), List.of(ProcessHandle.current().pid()));
    NodeProfiles profiles = NodeProfiles.of(cpu, directory, System.err);

    profiles.start("left-running");
    profiles.stopAll();

    assertEquals(List.of(directory.resolve("left-running-node1.jfr")), profiles.written());
    assertEquals(List.of(), profiles.failures());
  }

  @Test
  void profilesAreOffWithoutNodePids(@TempDir Path directory) throws InterruptedException {
    NodeCpu cpu = NodeCpu.locate(List.of(TargetAddress.parse("127.0.0.1:1")), List.of());
    NodeProfiles profiles = NodeProfiles.of(cpu, directory, System.err);

    profiles.start("nothing");
    profiles.stop("nothing");

    assertTrue(!profiles.active() && profiles.unavailableReason().contains("not found"));
    assertEquals(List.of(), profiles.written());
  }
}
