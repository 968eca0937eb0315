package io.roster.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class NodeMetricsTest {

  @Test
  void samplesAreSummedOverTheirLabels() {
    NodeMetrics metrics =
        NodeMetrics.parse(
            """
            # HELP roster_streams_open Watch and KeepAlive streams open on this node
            # TYPE roster_streams_open gauge
            roster_streams_open 1000.0
            roster_limits_refused_total{kind="read"} 2.0
            roster_limits_refused_total{kind="write"} 1617.0
            """);

    assertEquals(OptionalDouble.of(1_000), metrics.value("roster_streams_open"));
    assertEquals(OptionalDouble.of(1_619), metrics.value("roster_limits_refused_total"));
    assertEquals(OptionalDouble.empty(), metrics.value("roster_limits_callers"));
  }
}
