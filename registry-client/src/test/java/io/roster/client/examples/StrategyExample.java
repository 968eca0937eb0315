package io.roster.client.examples;

import io.roster.client.EndpointSelector;
import io.roster.client.EndpointStrategy;
import io.roster.client.Pick;
import io.roster.client.RosterClient;
import io.roster.client.ServiceInstance;
import java.util.function.Consumer;

/** Picking endpoints: docs/client.md, "Pick an endpoint". Compiled, not run. */
final class StrategyExample {

  private StrategyExample() {}

  static void roundRobin(RosterClient roster, Consumer<ServiceInstance> send) {
    // docs:begin round-robin
    EndpointSelector payments = roster.selector("payments", EndpointStrategy.roundRobin());
    payments.pick().ifPresent(pick -> send.accept(pick.instance()));
    // docs:end
  }

  static void leastOutstanding(RosterClient roster, Consumer<ServiceInstance> send) {
    // docs:begin least-outstanding
    EndpointSelector payments = roster.selector("payments", EndpointStrategy.leastOutstanding());
    try (Pick pick = payments.pick().orElseThrow()) {
      send.accept(pick.instance()); // counted as in flight until the pick is closed
    }
    // docs:end
  }

  static void ringHash(RosterClient roster, String userId, Consumer<ServiceInstance> send) {
    // docs:begin ring-hash
    EndpointSelector sessions = roster.selector("sessions", EndpointStrategy.ringHash());
    sessions.pick(userId).ifPresent(pick -> send.accept(pick.instance()));
    // docs:end
  }

  static EndpointStrategy layered() {
    // docs:begin layered
    EndpointStrategy strategy =
        EndpointStrategy.panicThreshold(
            0.5, EndpointStrategy.zoneAware("eu-1a", 0.7, EndpointStrategy.roundRobin()));
    // docs:end
    return strategy;
  }
}
