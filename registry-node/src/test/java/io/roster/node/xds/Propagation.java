package io.roster.node.xds;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What a change costs to reach an xDS client: from a registration's answer to the first call the
 * client makes to the newcomer, while it calls steadily (every few milliseconds, so the figure is
 * not bounded by its own pace). That spans the write, every node's view following it, the push on
 * the client's stream, the client's new picker, its connection to the newcomer, and the call.
 */
final class Propagation {

  private Propagation() {}

  /** {@code runs} registrations, one after the other; the figures sorted, in milliseconds. */
  static List<Long> measure(XdsTestbed testbed, int runs) {
    HealthBackends.Backend steady = testbed.backends.get("b1");
    long before = steady.calls.get();
    await("the client calls")
        .atMost(Duration.ofSeconds(30))
        .until(() -> steady.calls.get() > before + 10);
    List<Long> millis = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      HealthBackends.Backend newcomer = testbed.backends.add("newcomer-" + i);
      testbed.register(newcomer, 10, "z1");
      long registered = System.nanoTime();
      await(newcomer.name + " called")
          .atMost(Duration.ofSeconds(10))
          .pollInterval(Duration.ofMillis(5))
          .until(() -> newcomer.calls.get() > 0);
      millis.add(XdsTestbed.millis(newcomer.firstCallNanos() - registered));
      testbed.deregister(newcomer.name);
    }
    System.out.printf("Register's answer to the first call, in order: %s ms%n", millis);
    millis.sort(null);
    System.out.printf("median %d ms%n", millis.get(millis.size() / 2));
    return millis;
  }
}
