package io.roster.node.http;

import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A headless Chromium driven through {@code registry-node/src/test/browser/driver.js}
 * (playwright-core): one JSON command per line to its stdin, one JSON answer per line from its
 * stdout, each bounded in time. The test decides what happens when; the browser only looks.
 *
 * <p>Not thread-safe: one test thread drives it.
 */
public final class BrowserDriver implements AutoCloseable {

  /** Debian's Chromium; playwright-core downloads no browser. */
  public static final Path CHROMIUM = Path.of("/usr/bin/chromium");

  private final Process process;
  private final OutputStream commands;
  private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();
  private final Path stderr;

  private BrowserDriver(Process process, Path stderr) {
    this.process = process;
    this.commands = process.getOutputStream();
    this.stderr = stderr;
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader lines =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                  answers.add(line);
                }
              } catch (IOException e) {
                // The process ended; the next call says so.
              }
            },
            "browser-driver-answers");
    reader.setDaemon(true);
    reader.start();
  }

  /** Whether Chromium is installed where the driver looks for it. */
  public static boolean chromiumPresent() {
    return Files.isExecutable(CHROMIUM);
  }

  /** Starts Chromium through the driver in {@code dir} (after {@code npm ci} there). */
  public static BrowserDriver start(Path dir, Path logs) {
    try {
      Files.createDirectories(logs);
      Path err = logs.resolve("browser-driver.err");
      Process process =
          new ProcessBuilder("node", "driver.js")
              .directory(dir.toFile())
              .redirectError(err.toFile())
              .start();
      BrowserDriver driver = new BrowserDriver(process, err);
      driver.answer("starting Chromium", Duration.ofSeconds(60));
      return driver;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start node driver.js", e);
    }
  }

  /**
   * Sends {@code command} and returns its answer; fails when it fails or takes past {@code bound}.
   */
  public JsonObject call(JsonObject command, Duration bound) {
    try {
      commands.write((command.encode() + "\n").getBytes(StandardCharsets.UTF_8));
      commands.flush();
    } catch (IOException e) {
      throw new AssertionError("the browser driver is gone: " + stderr(), e);
    }
    return answer(command.encode(), bound);
  }

  /** {@link #call} that does not fail on a refusal ({@code ok: false}): for waits that may fail. */
  public JsonObject tryCall(JsonObject command, Duration bound) {
    try {
      commands.write((command.encode() + "\n").getBytes(StandardCharsets.UTF_8));
      commands.flush();
    } catch (IOException e) {
      throw new AssertionError("the browser driver is gone: " + stderr(), e);
    }
    return read(command.encode(), bound);
  }

  private JsonObject answer(String what, Duration bound) {
    JsonObject answer = read(what, bound);
    if (!answer.getBoolean("ok", false)) {
      throw new AssertionError(what + " failed in the browser: " + answer.getString("error"));
    }
    return answer;
  }

  private JsonObject read(String what, Duration bound) {
    try {
      String line = answers.poll(bound.toMillis(), TimeUnit.MILLISECONDS);
      if (line == null) {
        throw new AssertionError(
            "no answer from the browser driver to " + what + " within " + bound + ": " + stderr());
      }
      return new JsonObject(line);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public String stderr() {
    try {
      return Files.readString(stderr);
    } catch (IOException e) {
      return "(cannot read " + stderr + ")";
    }
  }

  /** Closes the browser, and kills the driver if it does not end by itself. */
  @Override
  public void close() {
    try {
      commands.write("{\"op\":\"close\"}\n".getBytes(StandardCharsets.UTF_8));
      commands.close();
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (IOException e) {
      process.destroyForcibly();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
