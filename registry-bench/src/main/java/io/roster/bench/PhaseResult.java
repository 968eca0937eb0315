package io.roster.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What one phase measured: named figures in the order they are printed, a note for the table, and
 * the problems that make the run fail (a lost lease, an instance never marked unhealthy).
 *
 * <p>Figures every phase that has them uses, so the summary table can show them side by side:
 * {@code ops} (operations that succeeded), {@code opsPerSec}, {@code p50Ms}, {@code p99Ms}, {@code
 * p999Ms}.
 *
 * <p>A phase that timed something sample by sample also attaches the latencies, for the plot. A
 * phase whose figures do not fit one row may add markdown details (printed under the table) and
 * files of its own (written beside results.md, e.g. a time series).
 *
 * <p>Not thread-safe: built by the phase's thread.
 */
final class PhaseResult {
  private final String phase;
  private final String system;
  private final Map<String, Object> figures = new LinkedHashMap<>();
  private final List<String> problems = new ArrayList<>();
  private String note = "";
  private Latencies latencies;
  private String timed = "";
  private String details = "";
  private final Map<String, String> files = new LinkedHashMap<>();

  PhaseResult(String phase) {
    this.phase = phase;
    this.system = null;
    figures.put("phase", phase);
  }

  /**
   * A phase of a system other than the Roster cluster under load ({@code --systems}): its figures
   * start with {@code "system"}, and its label names the system.
   */
  PhaseResult(String phase, String system) {
    this.phase = phase;
    this.system = system;
    figures.put("phase", phase);
    figures.put("system", system);
  }

  String phase() {
    return phase;
  }

  /** How the table and the plot name the row: the phase, after its system when it has one. */
  String label() {
    return system == null ? phase : system + " " + phase;
  }

  /** Adds a figure; a NaN double is printed as null. */
  PhaseResult put(String name, Object value) {
    figures.put(name, value);
    return this;
  }

  Object get(String name) {
    return figures.get(name);
  }

  /** Records a problem that fails the run, e.g. "3 leases answered NOT_FOUND". */
  PhaseResult problem(String description) {
    problems.add(description);
    return this;
  }

  /** A short remark for the summary table. */
  PhaseResult note(String text) {
    this.note = text;
    return this;
  }

  String note() {
    return note;
  }

  /**
   * Attaches a snapshot of the phase's latencies, for the plot, with a short name of what was
   * timed: "Register call", "last heartbeat → listed unhealthy".
   */
  PhaseResult latencies(Latencies measured, String whatWasTimed) {
    this.latencies = measured.snapshot();
    this.timed = whatWasTimed;
    return this;
  }

  /** The latencies attached, if any. */
  Optional<Latencies> latencies() {
    return Optional.ofNullable(latencies);
  }

  /** What the attached latencies timed; empty when none are attached. */
  String timed() {
    return timed;
  }

  /**
   * Markdown about the phase, printed under the summary table (a heading of its own, then text).
   */
  PhaseResult details(String markdown) {
    this.details = markdown;
    return this;
  }

  /** The markdown details; empty when there are none. */
  String details() {
    return details;
  }

  /** A file to write beside results.md, e.g. {@code protection.csv}; a plain name, no directory. */
  PhaseResult file(String name, String content) {
    if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.startsWith(".")) {
      throw new IllegalArgumentException("not a plain file name: '" + name + "'");
    }
    files.put(name, content);
    return this;
  }

  /** The files to write, by name, in the order they were added. */
  Map<String, String> files() {
    return Collections.unmodifiableMap(files);
  }

  List<String> problems() {
    return Collections.unmodifiableList(problems);
  }

  /** One line of JSON: the figures, then {@code ok} and the problems joined by "; ". */
  String json() {
    Map<String, Object> all = new LinkedHashMap<>(figures);
    all.put("ok", problems.isEmpty());
    all.put("problems", String.join("; ", problems));
    return Json.object(all);
  }
}
