package io.roster.node.xds;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A client program run as a process of its own (a JVM with its own name resolution and xDS
 * bootstrap, or Node.js), bounded in time: stdout and stderr go to files, read when it is done.
 * {@link #close} kills it if it still runs.
 *
 * <p>Not thread-safe: one test thread drives it.
 */
final class ChildProcess implements AutoCloseable {

  private static final AtomicInteger sequence = new AtomicInteger();

  /** 128 + 15: how a JVM that ran its shutdown hooks on SIGTERM exits. */
  private static final int SIGTERM_EXIT = 143;

  private final String command;
  private final Process process;
  private final Path stdout;
  private final Path stderr;

  private ChildProcess(String command, Process process, Path stdout, Path stderr) {
    this.command = command;
    this.process = process;
    this.stdout = stdout;
    this.stderr = stderr;
  }

  /** Starts {@code command} in {@code dir} with {@code env} added to this JVM's environment. */
  static ChildProcess start(
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
      return new ChildProcess(String.join(" ", command), builder.start(), out, err);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command, e);
    }
  }

  /** Waits for a successful exit within {@code bound}; its stdout. */
  String awaitSuccess(Duration bound) {
    try {
      if (!process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS)) {
        close();
        throw new AssertionError(command + " still ran after " + bound + "; killed. " + stderr());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    if (process.exitValue() != 0) {
      throw new AssertionError(
          command + " exited with " + process.exitValue() + ": " + stderr() + stdout());
    }
    return stdout();
  }

  /**
   * Ends a client that calls for a duration before its time: SIGTERM, on which both clients finish
   * the call in flight and print their sums as at the end. Fails unless it exits within {@code
   * bound}, by itself (0) or by the signal (143, the JVM's status for SIGTERM); its stdout.
   */
  String stop(Duration bound) {
    process.destroy();
    try {
      if (!process.waitFor(bound.toMillis(), TimeUnit.MILLISECONDS)) {
        close();
        throw new AssertionError(command + " still ran " + bound + " after SIGTERM; killed");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    int exit = process.exitValue();
    if (exit != 0 && exit != SIGTERM_EXIT) {
      throw new AssertionError(command + " exited with " + exit + ": " + stderr() + stdout());
    }
    return stdout();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  String stdout() {
    return read(stdout);
  }

  String stderr() {
    return read(stderr);
  }

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
}
