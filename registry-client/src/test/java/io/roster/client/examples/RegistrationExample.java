package io.roster.client.examples;

import io.roster.client.InstanceStatus;
import io.roster.client.Registration;
import io.roster.client.RegistrationState;
import io.roster.client.RosterClient;
import io.roster.client.RosterClientOptions;
import io.roster.client.ServiceInstance;

/** Registering and keeping an instance alive: docs/client.md, "Register". Compiled, not run. */
final class RegistrationExample {

  private RegistrationExample() {}

  static void threeLines(Runnable serve) {
    // docs:begin three-lines
    try (RosterClient roster = RosterClient.create(RosterClientOptions.local().build());
        Registration registration =
            roster.register(ServiceInstance.builder("orders", "10.0.0.7", 8080).build())) {
      System.out.println("registered as " + registration.instanceId());
      serve.run(); // the lease is renewed in the background until the registration is closed
    }
    // docs:end
  }

  static Registration full(RosterClient roster) {
    // docs:begin full
    Registration registration =
        roster.register(
            ServiceInstance.builder("orders", "10.0.0.7", 8080)
                .instanceId("orders-7")
                .port("metrics", 9090)
                .weight(200)
                .zone("eu-1a")
                .version("2.4.1")
                .metadata("team", "payments")
                .build());
    registration.addListener(
        (reg, state, reason) -> System.out.println(reg + " is " + state + ": " + reason));
    // docs:end
    return registration;
  }

  static void status(Registration registration, boolean healthy) {
    // docs:begin status
    // The application's own health check failed: take no more work, but stay registered.
    registration.setStatus(healthy ? InstanceStatus.UP : InstanceStatus.OUT_OF_SERVICE);
    // docs:end
  }

  static void close(Registration registration) {
    // docs:begin close
    registration.close(); // DRAINING for the drain delay, then deregistered with its epoch
    // docs:end
  }

  static void lost(Registration registration, Runnable stopServing) {
    // docs:begin lost
    registration.addListener(
        (reg, state, reason) -> {
          if (state == RegistrationState.LOST) {
            // Another process registered the same instance id since: it owns the registration.
            stopServing.run();
          }
        });
    // docs:end
  }
}
