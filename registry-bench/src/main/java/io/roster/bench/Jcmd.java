package io.roster.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * The JDK's {@code jcmd}, next to the bench's own {@code java}: diagnostic commands sent to node
 * processes of the same user on this machine (heap after a collection, JFR recordings). The node
 * needs no endpoint for them, so nothing on the node's API can trigger them.
 *
 * <p>Stateless; each call runs jcmd processes and waits for them, at most {@link #BOUND_SECONDS}.
 */
final class Jcmd {
  static final long BOUND_SECONDS = 60;

  private Jcmd() {}

  /** Why jcmd cannot be used here, or null when it can. */
  static String unavailableReason() {
    return Files.isExecutable(path()) ? null : "no jcmd at " + path() + " (a JRE, not a JDK?)";
  }

  /**
   * Runs {@code jcmd <pid> <command...>} and returns what it printed.
   *
   * @throws IllegalStateException saying why, when jcmd cannot run, fails or outlives its bound
   */
  static String run(long pid, String... command) throws InterruptedException {
    return await(pid, start(pid, command), command);
  }

  /**
   * Runs the same command on every pid at once (a node's command does not wait for another's) and
   * returns, per pid in order, null on success or why it failed.
   */
  static List<String> runOnEach(List<Long> pids, String... command) throws InterruptedException {
    return runOnEach(pids, i -> command);
  }

  /**
   * Runs {@code command.apply(i)} on pid i of {@code pids}, all at once, and returns, per pid in
   * order, null on success or why it failed.
   */
  static List<String> runOnEach(List<Long> pids, IntFunction<String[]> command)
      throws InterruptedException {
    List<Process> processes = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < pids.size(); i++) {
      try {
        processes.add(start(pids.get(i), command.apply(i)));
        failures.add(null);
      } catch (IllegalStateException e) {
        processes.add(null);
        failures.add(e.getMessage());
      }
    }
    for (int i = 0; i < pids.size(); i++) {
      if (processes.get(i) == null) {
        continue;
      }
      try {
        await(pids.get(i), processes.get(i), command.apply(i));
      } catch (IllegalStateException e) {
        failures.set(i, e.getMessage());
      }
    }
    return failures;
  }

  private static Process start(long pid, String... command) {
    List<String> argv = new ArrayList<>();
    argv.add(path().toString());
    argv.add(Long.toString(pid));
    argv.addAll(List.of(command));
    try {
      return new ProcessBuilder(argv).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + path() + ": " + e.getMessage(), e);
    }
  }

  private static String await(long pid, Process process, String... command)
      throws InterruptedException {
    String what = "jcmd " + pid + " " + String.join(" ", command);
    try {
      if (!process.waitFor(BOUND_SECONDS, TimeUnit.SECONDS)) {
        throw new IllegalStateException(what + " did not end within " + BOUND_SECONDS + " s");
      }
      String output =
          new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (process.exitValue() != 0) {
        throw new IllegalStateException(
            what + " failed (exit " + process.exitValue() + "): " + output);
      }
      return output;
    } catch (IOException e) {
      throw new IllegalStateException("cannot read the output of " + what + ": " + e, e);
    } finally {
      process.destroyForcibly();
    }
  }

  private static Path path() {
    return Path.of(System.getProperty("java.home"), "bin", "jcmd");
  }
}
