package io.roster.bench;

import java.io.PrintStream;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Prints one line a second to stderr about what runs now, so stdout keeps only the results (one
 * JSON line per phase, then the table).
 *
 * <p>Threading: its own daemon thread calls the line supplier, so suppliers read only counters that
 * are safe to read from another thread. {@link #show} and {@link #clear} may be called from any
 * thread.
 */
final class Progress implements AutoCloseable {
  private final PrintStream err;
  private final ScheduledExecutorService ticker =
      Executors.newSingleThreadScheduledExecutor(
          task -> {
            Thread thread = new Thread(task, "bench-progress");
            thread.setDaemon(true);
            return thread;
          });
  private volatile Shown shown;

  private record Shown(String label, long startNanos, Supplier<String> line) {}

  Progress(PrintStream err) {
    this.err = err;
    ticker.scheduleAtFixedRate(this::print, 1, 1, TimeUnit.SECONDS);
  }

  /** From now on, prints {@code line} every second, prefixed with {@code label} and the time. */
  void show(String label, Supplier<String> line) {
    shown = new Shown(label, System.nanoTime(), line);
  }

  void clear() {
    shown = null;
  }

  /** Prints a line at once, between the progress lines. */
  void say(String message) {
    err.println(message);
    err.flush();
  }

  private void print() {
    Shown current = shown;
    if (current == null) {
      return;
    }
    try {
      long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - current.startNanos());
      err.printf("[%-17s %4d s] %s%n", current.label(), seconds, current.line().get());
      err.flush();
    } catch (RuntimeException e) {
      // A progress line must never end the run, nor stop the next lines (an exception would
      // cancel the schedule).
      err.println("[" + current.label() + "] progress line failed: " + e);
    }
  }

  @Override
  public void close() {
    ticker.shutdownNow();
  }

  /** Turns a growing counter into a rate over the time since the previous call. */
  static final class Rate {
    private long lastCount;
    private long lastNanos = System.nanoTime();

    /** A rate of a counter that starts at 0 now. */
    Rate() {
      this(0);
    }

    /** A rate of a counter that stands at {@code count} now. */
    Rate(long count) {
      this.lastCount = count;
    }

    /** Per second since the last call; called from the progress thread only. */
    synchronized double perSecond(long count) {
      long now = System.nanoTime();
      double seconds = Math.max(1e-9, (now - lastNanos) / 1e9);
      double rate = (count - lastCount) / seconds;
      lastCount = count;
      lastNanos = now;
      return rate;
    }
  }
}
