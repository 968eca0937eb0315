package io.roster.node.xds;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.roster.node.domain.ServiceKey;
import io.roster.node.store.InMemoryRegistryStore;
import io.roster.node.view.LocalView;
import io.roster.testing.ManualClock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The news a stream gets, and the views it reads after it. */
@Timeout(60)
class XdsHubTest {

  private static final ServiceKey ORDERS = new ServiceKey("default", "orders");

  @Test
  void aStreamToldOfAChangeReadsTheViewWithTheChangeEvenBeforeTheLocalViewHoldsIt() {
    InMemoryRegistryStore store = new InMemoryRegistryStore(new ManualClock());
    LocalView view = new LocalView(store);
    XdsHub hub = new XdsHub(view);
    Registry.done(view.start());
    List<String> seen = new ArrayList<>();
    XdsHub.Watcher reader =
        new XdsHub.Watcher() {
          @Override
          public void changed(ServiceKey service) {
            // As early as a stream's event loop could read it: inside the view's update.
            seen.add(
                hub.views().get(service).revision()
                    + " (the view itself: "
                    + view.get(service).revision()
                    + ")");
          }

          @Override
          public void appeared(ServiceKey service) {}

          @Override
          public void everythingChanged() {}
        };
    hub.add(reader);
    hub.follow(ORDERS, reader);
    try {
      long revision =
          Registry.done(
                  store.register(
                      EndpointAssignmentsTest.instance("a", "10.0.0.1", 1, "z1").spec(), 60_000))
              .record()
              .revision();
      await().until(() -> !seen.isEmpty());

      assertEquals(revision + " (the view itself: 0)", seen.get(0));
    } finally {
      store.close();
    }
  }
}
