package io.roster.bench;

import io.roster.v1.ClusterStatusResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The per-second series of a silence scenario: for its instances, how many the Watch lists
 * unhealthy, removed and healthy, the declarations so far, and the leader's {@code held_back}.
 * Written as CSV rows ({@link ProtectionPhase#SERIES_FILE}) and as a Markdown table of the rows
 * where something changed.
 *
 * <p>Threading: the phase's main thread, but for {@link #lastHeldBackText}, which the progress line
 * reads.
 */
final class ProtectionSeries {
  private final String key;
  private final int[] indices;
  private final ScenarioDeclarations scenario;
  private final List<String> rows = new ArrayList<>();
  private long startNanos;
  private int maxHeldBack;
  private volatile int lastHeldBack = -1; // the progress line reads it

  ProtectionSeries(String key, int[] indices, ScenarioDeclarations scenario) {
    this.key = key;
    this.indices = indices;
    this.scenario = scenario;
  }

  /** Rows are timed from {@code nanos} ({@link System#nanoTime}): when the instances stopped. */
  void startAt(long nanos) {
    startNanos = nanos;
  }

  /** The last held_back the leader reported; -1 before any. */
  int lastHeldBack() {
    return lastHeldBack;
  }

  String lastHeldBackText() {
    return lastHeldBack < 0 ? "-" : String.format("%,d", lastHeldBack);
  }

  int maxHeldBack() {
    return maxHeldBack;
  }

  /** Adds a row: what the watch lists and what the leader holds back, now. */
  void sample(String stage, HealthWatch watch, ClusterStatusResponse status) {
    int unhealthy = 0;
    int removed = 0;
    int healthy = 0;
    for (int index : indices) {
      switch (watch.health(index)) {
        case HealthWatch.UNHEALTHY -> unhealthy++;
        case HealthWatch.ABSENT -> removed++;
        default -> healthy++;
      }
    }
    int heldBack = status == null ? -1 : status.getProtection().getHeldBack();
    if (heldBack >= 0) {
      lastHeldBack = heldBack;
      maxHeldBack = Math.max(maxHeldBack, heldBack);
    }
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    rows.add(
        String.format(
            Locale.ROOT,
            "%s,%.1f,%s,%d,%d,%d,%d,%s,%s",
            key,
            seconds,
            stage,
            unhealthy,
            scenario.declaredCount(),
            removed,
            healthy,
            heldBack < 0 ? "" : Integer.toString(heldBack),
            status == null ? "" : Integer.toString(status.getCounts().getUnhealthy())));
  }

  /**
   * Every row to {@code csv}; to {@code details}, the rows where something changed, and the last.
   */
  void appendTo(StringBuilder details, StringBuilder csv) {
    String previous = null;
    for (int r = 0; r < rows.size(); r++) {
      String row = rows.get(r);
      csv.append(row).append('\n');
      String[] cells = row.split(",", -1);
      String values = String.join(",", Arrays.copyOfRange(cells, 2, 8));
      if (values.equals(previous) && r != rows.size() - 1) {
        continue;
      }
      previous = values;
      details.append(
          String.format(
              "| %s | %s | %s | %s | %s | %s | %s |%n",
              cells[1],
              cells[2],
              cells[3],
              cells[4],
              cells[5],
              cells[6],
              cells[7].isEmpty() ? "-" : cells[7]));
    }
  }
}
