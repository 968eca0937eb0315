package io.roster.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class LatenciesTest {

  @Test
  void byPercentileGivesTheLatencyPercentileMillisGivesAtEachLevel() {
    Latencies latencies = LatencyPlotTest.aboutOneMilli(10_000);

    List<Latencies.Level> levels = latencies.byPercentile(8);

    assertEquals(0, levels.get(0).percentile());
    assertEquals(100, levels.get(levels.size() - 1).percentile());
    assertEquals(latencies.maxMillis(), levels.get(levels.size() - 1).millis());
    for (Latencies.Level level : levels.subList(1, levels.size())) {
      assertEquals(latencies.percentileMillis(level.percentile()), level.millis(), "at " + level);
    }
  }

  @Test
  void ofMillisKeepsDetectionTimesPastAMinute() {
    Latencies detections = Latencies.ofMillis(10_000, 10_250.5, Double.NaN, 75_000);

    assertEquals(3, detections.count());
    assertEquals(75_000, detections.maxMillis(), 75_000 * 0.001);
    assertEquals(10_250.5, detections.percentileMillis(50), 10_250.5 * 0.001);
  }

  @Test
  void snapshotDoesNotChangeWithLaterRecordings() {
    Latencies latencies = LatencyPlotTest.aboutOneMilli(100);
    Latencies snapshot = latencies.snapshot();

    latencies.recordNanos(5_000_000_000L);

    assertEquals(100, snapshot.count());
    assertTrue(snapshot.maxMillis() < 5_000, "max " + snapshot.maxMillis());
    assertTrue(new Latencies().byPercentile(8).isEmpty());
  }
}
