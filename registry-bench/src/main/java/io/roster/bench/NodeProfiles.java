package io.roster.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * JFR recordings of the node processes over each phase's timed part, with {@code --profile}: {@link
 * #start} runs {@code jcmd <pid> JFR.start name=bench-<label> settings=profile
 * filename=<out>/<label>-node<i>.jfr} on every node at once, {@link #stop} runs {@code JFR.stop},
 * which writes the files. After the run, {@link #summarize} writes {@code <label>-node<i>-top.txt}
 * beside each recording ({@link JfrTop}), when nothing else loads the bench's JVM or the nodes.
 *
 * <p>Before the first recording, {@code JFR.configure stackdepth=}{@value #STACK_DEPTH} deepens the
 * stacks recorded. Node i is the i-th of {@code --targets} (from 1), its pid found as for CPU
 * ({@link NodeCpu}). A recording costs the node a few percent of CPU (the {@code profile} settings
 * sample every 10-20 ms and record allocations and locks): profiled figures are not the unprofiled
 * ones.
 *
 * <p>A jcmd that fails is said once on stderr and the phase goes on unprofiled on that node: a
 * profile is an aid, never a reason to stop the run.
 *
 * <p>Threading: the bench's main thread only.
 */
final class NodeProfiles {
  /** Top methods listed in each summary. */
  static final int TOP_METHODS = 25;

  /**
   * Frames kept per sampled stack. JFR's default, 64, cut half of a node's stacks (Netty, Vert.x
   * and gRPC nest deeply), which drops their outer frames from the inclusive counts. It can be set
   * before a node's first recording only ({@code JFR.configure}).
   */
  static final int STACK_DEPTH = 256;

  private static final Pattern LABEL = Pattern.compile("[a-z0-9][a-z0-9-]*");

  private final List<Long> pids;
  private final Path directory;
  private final String unavailableReason;
  private final PrintStream err;
  private final Map<String, List<Path>> recording = new LinkedHashMap<>();
  private final List<Path> written = new ArrayList<>();
  private final List<String> failures = new ArrayList<>();
  private boolean configured;

  private NodeProfiles(List<Long> pids, Path directory, String unavailableReason, PrintStream err) {
    this.pids = List.copyOf(pids);
    this.directory = directory;
    this.unavailableReason = unavailableReason;
    this.err = err;
  }

  /** No profiles: {@code --profile} was not given. */
  static NodeProfiles off() {
    return new NodeProfiles(List.of(), Path.of("."), "not asked for (--profile)", System.err);
  }

  /** Profiles of the nodes {@code cpu} found, written to {@code directory}, when they can be. */
  static NodeProfiles of(NodeCpu cpu, Path directory, PrintStream err) {
    Path absolute = directory.toAbsolutePath();
    String reason = null;
    if (!cpu.measured()) {
      reason = "node processes not found: " + cpu.unmeasuredReason();
    } else if (Jcmd.unavailableReason() != null) {
      reason = Jcmd.unavailableReason();
    } else if (absolute.toString().chars().anyMatch(Character::isWhitespace)) {
      reason = "the output directory's path has a space, which jcmd cannot pass: " + absolute;
    }
    return new NodeProfiles(cpu.pids(), absolute, reason, err);
  }

  /** Whether recordings are made. */
  boolean active() {
    return unavailableReason == null;
  }

  /** Why no recording is made, or null when they are. */
  String unavailableReason() {
    return unavailableReason;
  }

  /** Starts recording every node, as {@code label} (lower case, digits and dashes). */
  void start(String label) throws InterruptedException {
    if (!active()) {
      return;
    }
    if (!LABEL.matcher(label).matches()) {
      throw new IllegalArgumentException("not a recording label: '" + label + "'");
    }
    if (recording.containsKey(label)) {
      throw new IllegalStateException("already recording " + label);
    }
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < pids.size(); i++) {
      files.add(directory.resolve(label + "-node" + (i + 1) + ".jfr"));
    }
    try {
      Files.createDirectories(directory);
    } catch (IOException e) {
      fail("cannot create " + directory + ": " + e.getMessage());
      return;
    }
    if (!configured) {
      configured = true;
      // Once a node's JFR has started (an earlier run recorded it), its depth may stay as it was.
      for (String failure : Jcmd.runOnEach(pids, "JFR.configure", "stackdepth=" + STACK_DEPTH)) {
        if (failure != null) {
          fail(failure);
        }
      }
    }
    List<String> outcomes =
        Jcmd.runOnEach(
            pids,
            i ->
                new String[] {
                  "JFR.start",
                  "name=" + recordingName(label),
                  "settings=profile",
                  "filename=" + files.get(i)
                });
    for (int i = 0; i < outcomes.size(); i++) {
      if (outcomes.get(i) != null) {
        fail(outcomes.get(i));
      }
    }
    recording.put(label, files);
  }

  /** Stops the recordings of {@code label}, which writes their files. */
  void stop(String label) throws InterruptedException {
    List<Path> files = recording.remove(label);
    if (files == null) {
      return;
    }
    List<String> outcomes = Jcmd.runOnEach(pids, "JFR.stop", "name=" + recordingName(label));
    for (int i = 0; i < outcomes.size(); i++) {
      if (outcomes.get(i) != null) {
        fail(outcomes.get(i));
      } else if (Files.isRegularFile(files.get(i))) {
        written.add(files.get(i));
      } else {
        fail("JFR.stop on pid " + pids.get(i) + " left no " + files.get(i));
      }
    }
  }

  /** Stops whatever is still recording: a phase that broke off between start and stop. */
  void stopAll() throws InterruptedException {
    for (String label : List.copyOf(recording.keySet())) {
      stop(label);
    }
  }

  /**
   * Writes {@code <recording>-top.txt} beside every recording written so far ({@link JfrTop});
   * returns the summaries written.
   */
  List<Path> summarize() {
    List<Path> summaries = new ArrayList<>();
    for (Path file : written) {
      String name = file.getFileName().toString();
      Path summary = file.resolveSibling(name.substring(0, name.length() - 4) + "-top.txt");
      try {
        Files.writeString(
            summary, JfrTop.summarize(file, TOP_METHODS).text(), StandardCharsets.UTF_8);
        summaries.add(summary);
      } catch (IOException | RuntimeException e) {
        fail("cannot summarize " + file + ": " + e);
      }
    }
    return summaries;
  }

  /** Recordings written so far. */
  List<Path> written() {
    return List.copyOf(written);
  }

  /** What went wrong, in order: a jcmd that failed, a summary not written. */
  List<String> failures() {
    return List.copyOf(failures);
  }

  private static String recordingName(String label) {
    return "bench-" + label;
  }

  private void fail(String why) {
    if (failures.isEmpty()) {
      err.println("profile: " + why + " (the run goes on; later failures are in results.md)");
    }
    failures.add(why);
  }
}
