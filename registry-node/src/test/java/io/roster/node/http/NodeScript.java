package io.roster.node.http;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Node.js script of docs/examples/node run as a child process, bounded in time: its stdout and
 * stderr go to files (no pipe to fill and block it), read while it runs. {@link #close} kills it if
 * it still runs, so no test leaves one behind.
 *
 * <p>Not thread-safe: one test thread drives it.
 */
public final class NodeScript implements AutoCloseable {

  private static final AtomicInteger sequence = new AtomicInteger();

  private final String command;
  private final Process process;
  private final Path stdout;
  private final Path stderr;

  private NodeScript(String command, Process process, Path stdout, Path stderr) {
    this.command = command;
    this.process = process;
    this.stdout = stdout;
    this.stderr = stderr;
  }

  /** Whether {@code node} and {@code npm} run here. */
  public static boolean toolsPresent() {
    return runs("node", "--version") && runs("npm", "--version");
  }

  /**
   * {@code npm ci} in {@code dir}: installs exactly package-lock.json; fails past {@code bound}.
   */
  public static void npmCi(Path dir, Path logs, Duration bound) {
    NodeScript npm =
        start(dir, List.of("npm", "ci", "--no-audit", "--no-fund"), Map.of(), logs, "npm-ci");
    try (npm) {
      int exit = npm.awaitExit(bound);
      if (exit != 0) {
        throw new AssertionError("npm ci failed (" + exit + "):\n" + npm.stdout() + npm.stderr());
      }
    }
  }

  /**
   * Starts {@code node args...} in {@code dir} with {@code env} added to this JVM's environment.
   */
  public static NodeScript node(Path dir, List<String> args, Map<String, String> env, Path logs) {
    List<String> command = new ArrayList<>();
    command.add("node");
    command.addAll(args);
    return start(dir, command, env, logs, args.get(0).replace(".js", ""));
  }

  private static NodeScript start(
      Path dir, List<String> command, Map<String, String> env, Path logs, String name) {
    try {
      Files.createDirectories(logs);
      String prefix = String.format("%02d-%s", sequence.incrementAndGet(), name);
      Path out = logs.resolve(prefix + ".out");
      Path err = logs.resolve(prefix + ".err");
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .directory(dir.toFile())
              .redirectOutput(out.toFile())
              .redirectError(err.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
      builder.environment().putAll(env);
      return new NodeScript(String.join(" ", command), builder.start(), out, err);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command, e);
    }
  }

  /** Waits for the exit; kills the process and fails when it runs past {@code bound}. */
  public int awaitExit(Duration bound) {
    try {
      if (!process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS)) {
        close();
        throw new AssertionError(command + " still ran after " + bound + "; killed. " + stderr());
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Runs to the end and returns stdout; fails on a non-zero exit. */
  public String awaitSuccess(Duration bound) {
    int exit = awaitExit(bound);
    if (exit != 0) {
      throw new AssertionError(command + " exited with " + exit + ": " + stderr() + stdout());
    }
    return stdout();
  }

  /** SIGTERM, as Ctrl-C or a process manager would stop it; waits for the exit. */
  public int terminate(Duration bound) {
    process.destroy();
    return awaitExit(bound);
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** What it printed on stdout so far. */
  public String stdout() {
    return read(stdout);
  }

  public String stderr() {
    return read(stderr);
  }

  /** Its stdout lines so far. */
  public List<String> lines() {
    return stdout().lines().toList();
  }

  public String command() {
    return command;
  }

  /** Kills it (and waits) if it still runs. */
  @Override
  public void close() {
    if (!process.isAlive()) {
      return;
    }
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e + ")";
    }
  }

  private static boolean runs(String... command) {
    try {
      Process process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        return false;
      }
      return process.exitValue() == 0;
    } catch (IOException e) {
      return false; // Not installed.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
