package io.roster.bench;

import java.util.Locale;

/**
 * How the register, heartbeat and discover phases send their unary calls ({@code --calls}).
 *
 * <p>Both keep {@code --concurrency} calls outstanding and send the next as soon as one returns;
 * they differ in what the client does meanwhile, which is what the nodes see.
 */
enum CallMode {
  /**
   * Asynchronous stubs, every call started from one thread, answers on the transport's threads
   * ({@link UnaryLoad}); the population's heartbeat phase renews over KeepAlive streams. Cheap for
   * the bench, so the nodes are what limits.
   */
  PIPELINED("pipelined"),
  /**
   * One platform thread per outstanding call, each making blocking stub calls with a deadline and
   * sticking to one node's channel ({@link BlockingLoad}): how most users call a registry. The
   * heartbeat phase sends unary Heartbeat calls.
   */
  CLOSED_LOOP("closed-loop");

  private final String label;

  CallMode(String label) {
    this.label = label;
  }

  /** The name used in {@code --calls} and in the results. */
  String label() {
    return label;
  }

  /**
   * The mode named {@code text}.
   *
   * @throws IllegalArgumentException naming the modes, for anything else
   */
  static CallMode parse(String text) {
    for (CallMode mode : values()) {
      if (mode.label.equals(text.toLowerCase(Locale.ROOT))) {
        return mode;
      }
    }
    throw new IllegalArgumentException(
        "unknown --calls '" + text + "': give closed-loop or pipelined");
  }
}
