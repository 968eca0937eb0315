package io.roster.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Where results go: each phase's JSON line to stdout and to {@code results.jsonl} as soon as the
 * phase ends (so a run cut short keeps what it measured), with the files the phase attached beside
 * it; then a markdown table to stdout and {@code results.md}, followed by the phases' details, and
 * the latency plot of the phases that timed samples to {@code latency.svg} beside it.
 *
 * <p>Not thread-safe: the main thread writes.
 */
final class Results {
  static final String PLOT_FILE = "latency.svg";

  private final PrintStream out;
  private final Path directory;
  private final List<PhaseResult> phases = new ArrayList<>();

  Results(PrintStream out, Path directory) {
    this.out = out;
    this.directory = directory;
    try {
      Files.createDirectories(directory);
      Files.writeString(directory.resolve("results.jsonl"), "", StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write results to " + directory, e);
    }
  }

  Path directory() {
    return directory;
  }

  List<PhaseResult> phases() {
    return List.copyOf(phases);
  }

  void add(PhaseResult result) {
    phases.add(result);
    String line = result.json();
    out.println(line);
    out.flush();
    try {
      Files.writeString(
          directory.resolve("results.jsonl"),
          line + "\n",
          StandardCharsets.UTF_8,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to " + directory.resolve("results.jsonl"), e);
    }
    for (Map.Entry<String, String> file : result.files().entrySet()) {
      Path path = directory.resolve(file.getKey());
      try {
        Files.writeString(path, file.getValue(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write " + path, e);
      }
    }
  }

  /**
   * Prints the table and writes results.md with {@code header} (markdown) above it. When a phase
   * attached latencies, also writes their plot, latency.svg, beside results.md, links it under the
   * table and prints its path.
   */
  void finish(String header, String footer) {
    String table = table();
    out.println();
    out.print(table);
    out.flush();
    Path plot = directory.resolve(PLOT_FILE);
    List<LatencyPlot.Series> plotted = new ArrayList<>();
    for (PhaseResult phase : phases) {
      phase
          .latencies()
          .ifPresent(
              latencies ->
                  plotted.add(new LatencyPlot.Series(phase.label(), phase.timed(), latencies)));
    }
    try {
      if (plotted.isEmpty()) {
        // A plot an earlier run left in this directory would pass for this run's.
        Files.deleteIfExists(plot);
      } else {
        Files.writeString(plot, LatencyPlot.svg(plotted), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + plot, e);
    }
    String link = plotted.isEmpty() ? "" : "\n![latency by percentile](" + PLOT_FILE + ")\n";
    StringBuilder details = new StringBuilder();
    for (PhaseResult phase : phases) {
      if (!phase.details().isEmpty()) {
        details.append('\n').append(phase.details().strip()).append('\n');
      }
    }
    if (details.length() > 0) {
      out.print(details);
      out.flush();
    }
    try {
      Files.writeString(
          directory.resolve("results.md"),
          header + "\n" + table + link + details + (footer.isEmpty() ? "" : "\n" + footer + "\n"),
          StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + directory.resolve("results.md"), e);
    }
    if (!plotted.isEmpty()) {
      out.println();
      out.println("latency by percentile: " + plot);
      out.flush();
    }
  }

  /** The phases side by side: the common figures, then each phase's own note and problems. */
  String table() {
    StringBuilder table = new StringBuilder();
    table.append(
        "| phase | ops | ops/s | p50 ms | p99 ms | p99.9 ms | lost / lapsed leases | node CPU (cores)"
            + " | other processes' CPU (cores) | notes |\n");
    table.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for (PhaseResult phase : phases) {
      String notes = phase.note();
      if (!phase.problems().isEmpty()) {
        notes +=
            (notes.isEmpty() ? "" : "; ")
                + "**FAILED: "
                + String.join("; ", phase.problems())
                + "**";
      }
      table
          .append("| ")
          .append(phase.label())
          .append(" | ")
          .append(cell(phase.get("ops"), false))
          .append(" | ")
          .append(cell(phase.get("opsPerSec"), true))
          .append(" | ")
          .append(cell(phase.get("p50Ms"), false))
          .append(" | ")
          .append(cell(phase.get("p99Ms"), false))
          .append(" | ")
          .append(cell(phase.get("p999Ms"), false))
          .append(" | ")
          .append(cell(phase.get("lostLeases"), false))
          .append(" / ")
          .append(cell(phase.get("lapsedRenewals"), false))
          .append(" | ")
          .append(cell(phase.get("nodeCpuCores"), false))
          .append(" | ")
          .append(cell(phase.get("otherCpuCores"), false))
          .append(" | ")
          .append(notes.replace("|", "\\|"))
          .append(" |\n");
    }
    return table.toString();
  }

  private static String cell(Object value, boolean whole) {
    if (value == null) {
      return "-";
    }
    if (value instanceof Double number) {
      if (number.isNaN()) {
        return "-";
      }
      return whole ? String.format(Locale.ROOT, "%,.0f", number) : Json.number(number);
    }
    if (value instanceof Long || value instanceof Integer) {
      return String.format(Locale.ROOT, "%,d", ((Number) value).longValue());
    }
    return value.toString();
  }
}
