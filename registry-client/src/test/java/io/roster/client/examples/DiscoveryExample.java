package io.roster.client.examples;

import io.roster.client.RosterClient;
import io.roster.client.RosterException;
import io.roster.client.ServiceEndpoints;
import io.roster.client.ServiceInstance;
import io.roster.client.Subscription;
import java.util.List;

/** Finding and following endpoints: docs/client.md, "Discover". Compiled, not run. */
final class DiscoveryExample {

  private DiscoveryExample() {}

  static void discover(RosterClient roster) {
    // docs:begin discover
    ServiceEndpoints payments = roster.discover("payments");
    for (ServiceInstance instance : payments.healthy()) {
      System.out.println(instance.address() + " weight " + instance.weight());
    }
    if (!payments.isLive()) {
      System.out.println("no registry node answers: endpoints " + payments.age() + " old");
    }
    // docs:end
  }

  static Subscription watch(RosterClient roster) {
    // docs:begin watch
    Subscription subscription =
        roster.watch(
            "payments",
            endpoints ->
                System.out.println(
                    "payments @" + endpoints.revision() + ": " + endpoints.healthy()));
    // ...
    subscription.close();
    // docs:end
    return subscription;
  }

  static List<ServiceInstance> unavailable(RosterClient roster) {
    // docs:begin unavailable
    try {
      return roster.discover("payments").healthy();
    } catch (RosterException e) {
      if (e.code() == RosterException.Code.UNAVAILABLE) {
        return List.of(); // never heard from the registry, or older than the max staleness
      }
      throw e;
    }
    // docs:end
  }
}
