package io.roster.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import jdk.jfr.Recording;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class JfrTopTest {
  /** JFR's default stack depth: a stack holds at most this many frames. */
  private static final int STACK_DEPTH = 64;

  /** Keeps the busy loop's result alive, so the JIT cannot drop the loop. */
  private static volatile long sink;

  @Test
  void findsTheSamplesOfAMethodThatKeptTheCpuBusy(@TempDir Path directory) throws IOException {
    Path file = directory.resolve("busy.jfr");
    try (Recording recording = new Recording()) {
      recording.enable(JfrTop.EXECUTION_SAMPLE).withPeriod(Duration.ofMillis(10));
      recording.start();
      sink = spinForTheProfiler(1_500);
      recording.stop();
      recording.dump(file);
    }

    // As many entries as a recorded stack has frames (JFR's default depth): every frame of the
    // busy thread's stack is in the test method's samples, so with a top of 25 the frames below
    // the busy method (JUnit's, more than 25) outranked it whenever one sample of the test method
    // fell outside it, by one sample.
    JfrTop.Summary summary = JfrTop.summarize(file, STACK_DEPTH);

    assertTrue(summary.samples() > 0, "no execution sample in " + summary.text());
    String busy = JfrTopTest.class.getName() + ".spinForTheProfiler";
    assertTrue(
        summary.inclusive().stream().anyMatch(count -> count.name().equals(busy)),
        "the busy method is not among the inclusive top:\n" + summary.text());
    assertTrue(summary.self().size() <= STACK_DEPTH);
    assertTrue(summary.text().contains("execution samples: "), summary.text());
    long byGroup = summary.threadGroups().stream().mapToLong(JfrTop.Count::samples).sum();
    assertEquals(summary.samples(), byGroup, "every sample belongs to one thread group");
  }

  @Test
  void threadGroupsDropTheTrailingNumber() {
    assertEquals(
        "hz.roster.partition-operation.thread-N",
        JfrTop.threadGroup("hz.roster.partition-operation.thread-12"));
    assertEquals("vert.x-eventloop-thread-N", JfrTop.threadGroup("vert.x-eventloop-thread-0"));
    assertEquals("main", JfrTop.threadGroup("main"));
  }

  /** Arithmetic for about {@code millis} ms of wall time, on this thread. */
  private static long spinForTheProfiler(long millis) {
    long end = System.nanoTime() + millis * 1_000_000;
    long x = 1;
    while (System.nanoTime() - end < 0) {
      for (int i = 0; i < 10_000; i++) {
        x = x * 6364136223846793005L + 1442695040888963407L;
      }
    }
    return x;
  }
}
