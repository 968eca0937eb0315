package io.roster.cli;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * What one run of the CLI in the test's JVM printed and returned.
 *
 * @param exitCode what the process would exit with
 * @param out everything printed to stdout
 * @param err everything printed to stderr
 */
record CliRun(int exitCode, String out, String err) {

  /** Runs one command line to its end. */
  static CliRun of(String... args) {
    return of(new StopSignal(), args);
  }

  /** Runs one command line until it ends by itself or {@code stop} is stopped. */
  static CliRun of(StopSignal stop, String... args) {
    return run(new ByteArrayOutputStream(), stop, args);
  }

  /** Runs one command line on another thread. */
  static CompletableFuture<CliRun> async(StopSignal stop, String... args) {
    return CompletableFuture.supplyAsync(() -> of(stop, args));
  }

  /**
   * Runs one command line on another thread, its stdout going to {@code out} as it is printed, so
   * that a test can read a long-running command's lines while it runs.
   */
  static CompletableFuture<CliRun> async(SharedOutput out, StopSignal stop, String... args) {
    return CompletableFuture.supplyAsync(() -> run(out, stop, args));
  }

  private static CliRun run(ByteArrayOutputStream out, StopSignal stop, String... args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exitCode =
        RosterCli.run(
            args, new PrintStream(out, true, UTF_8), new PrintStream(err, true, UTF_8), stop);
    return new CliRun(exitCode, out.toString(UTF_8), err.toString(UTF_8));
  }

  List<String> lines() {
    return out.lines().toList();
  }

  /** Reads a line the CLI printed back into its message, so the JSON is checked field by field. */
  static <T extends Message> T parse(String json, T prototype) {
    Message.Builder builder = prototype.newBuilderForType();
    try {
      JsonFormat.parser().merge(json, builder);
    } catch (IOException e) {
      throw new UncheckedIOException("not the JSON of " + prototype.getClass() + ": " + json, e);
    }
    @SuppressWarnings("unchecked") // newBuilderForType() builds a T
    T parsed = (T) builder.build();
    return parsed;
  }

  /** A stdout that a test reads while the command still writes to it. */
  static final class SharedOutput extends ByteArrayOutputStream {
    /** The lines printed so far, without a last one still being written. */
    synchronized List<String> lines() {
      String text = toString(UTF_8);
      return text.substring(0, text.lastIndexOf('\n') + 1).lines().toList();
    }
  }
}
