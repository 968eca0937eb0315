package io.roster.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class BackoffTest {

  @Test
  void doublesUpToTheMaxWithinTheJitter() {
    Backoff backoff =
        new Backoff(Duration.ofMillis(100), Duration.ofSeconds(3), 0.2, new SplittableRandom(3));
    long[] expectedMillis = {100, 200, 400, 800, 1600, 3000, 3000, 3000};
    for (int failures = 1; failures <= expectedMillis.length; failures++) {
      long millis = TimeUnit.NANOSECONDS.toMillis(backoff.delayNanos(failures));
      long base = expectedMillis[failures - 1];
      assertTrue(
          millis >= base * 0.8 - 1 && millis <= base * 1.2 + 1,
          "failure " + failures + ": " + millis + " ms, expected " + base + " ± 20 %");
    }
    assertTrue(backoff.delayNanos(1_000_000) <= TimeUnit.MILLISECONDS.toNanos(3600));
  }

  @Test
  void aLowerCapStopsTheDoublingThereAndKeepsTheJitter() {
    Backoff backoff =
        new Backoff(Duration.ofMillis(100), Duration.ofSeconds(3), 0.2, new SplittableRandom(5));
    long capNanos = TimeUnit.MILLISECONDS.toNanos(1500);
    boolean spread = false;
    for (int failures = 5; failures < 40; failures++) {
      long nanos = backoff.delayNanos(failures, capNanos);
      assertTrue(nanos >= capNanos * 0.8 && nanos <= capNanos * 1.2, nanos + " ns");
      spread |= nanos != capNanos;
    }
    assertTrue(spread, "jittered");
    Backoff exact =
        new Backoff(Duration.ofMillis(100), Duration.ofSeconds(3), 0, new SplittableRandom(5));
    assertEquals(TimeUnit.SECONDS.toNanos(3), exact.delayNanos(9, Long.MAX_VALUE));
    assertEquals(TimeUnit.MILLISECONDS.toNanos(50), exact.delayNanos(1, 50_000_000L));
  }

  @Test
  void withoutJitterTheWaitIsExact() {
    Backoff backoff =
        new Backoff(Duration.ofMillis(50), Duration.ofSeconds(1), 0, new SplittableRandom(3));
    assertEquals(TimeUnit.MILLISECONDS.toNanos(50), backoff.delayNanos(1));
    assertEquals(TimeUnit.MILLISECONDS.toNanos(400), backoff.delayNanos(4));
    assertEquals(TimeUnit.SECONDS.toNanos(1), backoff.delayNanos(40));
  }
}
