package io.roster.cli;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Asks a long-running command ({@code register --keepalive}, {@code watch}) to finish cleanly, as
 * SIGINT or SIGTERM do through {@link RosterCli#main}.
 *
 * <p>Threading: {@link #stop} may be called from any thread (a shutdown hook, a test); actions run
 * on the thread that calls {@code stop}, or at once if it has already been called, so they must be
 * quick and must not block.
 */
final class StopSignal {
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();
  private final AtomicBoolean observed = new AtomicBoolean();

  /** Runs {@code action} once a stop is requested; marks the running command as stoppable. */
  void onStop(Runnable action) {
    observed.set(true);
    stopped.thenRun(action);
  }

  /**
   * Requests a stop.
   *
   * @return whether a command is listening and will end by itself; when false, nothing will react
   */
  boolean stop() {
    stopped.complete(null);
    return observed.get();
  }
}
