package io.roster.node.xds;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Checks that a client calling steadily stops calling a backend soon enough after a change in the
 * registry (drained, evicted), while its other calls go on, none failing.
 */
final class Moves {

  /** How long a backend must go without calls to count as left, while others get them. */
  static final Duration QUIET = Duration.ofMillis(1_500);

  private Moves() {}

  /**
   * Runs {@code change} once {@code client} calls {@code backend}, then checks that its last call
   * came at most {@code bound} after the change began, and that the client's calls all succeeded.
   * The client must call for longer than all that takes; it is stopped once checked.
   *
   * @return how long after the change the backend got its last call
   */
  static Duration offWithin(
      XdsTestbed testbed, ChildProcess client, String backend, Runnable change, Duration bound) {
    try (client) {
      HealthBackends.Backend leaving = testbed.backends.get(backend);
      long callsBefore = leaving.calls.get();
      await(backend + " gets the client's calls")
          .atMost(Duration.ofSeconds(30))
          .until(() -> leaving.calls.get() > callsBefore + 5);
      long changed = System.nanoTime();
      System.out.printf("%s: change at %s%n", backend, java.time.LocalTime.now());
      change.run();
      await(backend + " gets no call for " + QUIET)
          .atMost(bound.plus(QUIET).plus(Duration.ofSeconds(10)))
          .pollInterval(Duration.ofMillis(50))
          .until(() -> System.nanoTime() - leaving.lastCallNanos() > QUIET.toNanos());
      long lastCallAfter = leaving.lastCallNanos() - changed;
      Duration left = Duration.ofNanos(Math.max(0, lastCallAfter));
      System.out.printf(
          "%s: last call %d ms after the change began (bound %d ms)%n",
          backend, left.toMillis(), bound.toMillis());
      assertTrue(left.compareTo(bound) <= 0, backend + " called " + left.toMillis() + " ms after");
      long othersLast =
          testbed.backends.all().stream()
              .filter(other -> other != leaving)
              .mapToLong(HealthBackends.Backend::lastCallNanos)
              .max()
              .orElseThrow();
      assertTrue(
          othersLast - leaving.lastCallNanos() > TimeUnit.MILLISECONDS.toNanos(1_000),
          "the other backends went on getting calls");
      // Stopped now rather than at the end of a fixed run: the change and its effect are behind.
      JsonObject summary = new JsonObject(client.stop(Duration.ofSeconds(30)));
      assertEquals(0, summary.getInteger("failures"), summary.encode());
      return left;
    }
  }
}
