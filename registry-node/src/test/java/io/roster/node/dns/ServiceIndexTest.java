package io.roster.node.dns;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roster.node.domain.InstanceKey;
import io.roster.node.domain.InstanceSpec;
import io.roster.node.domain.InstanceStatus;
import io.roster.node.domain.ServiceKey;
import io.roster.node.store.InMemoryRegistryStore;
import io.roster.node.view.LocalView;
import io.roster.testing.ManualClock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** DNS names find services whatever their case, from the services the view held or gained. */
@Timeout(60)
class ServiceIndexTest {

  private final InMemoryRegistryStore store = new InMemoryRegistryStore(new ManualClock());
  private final LocalView view = new LocalView(store);

  @AfterEach
  void closeStore() {
    store.close();
  }

  @Test
  void aServiceIsFoundWhateverTheCaseOfTheQueryAndAnExactSpellingWins() throws Exception {
    register("default", "Orders", "a");
    view.start().toCompletableFuture().get(10, TimeUnit.SECONDS);
    ServiceIndex index = new ServiceIndex(view);
    register("default", "Payments", "b");
    awaitService(new ServiceKey("default", "Payments"));

    assertEquals("Orders", index.find("default", "orders").key().service(), "held at start");
    assertEquals("Orders", index.find("default", "ORDERS").key().service());
    assertEquals("Payments", index.find("default", "payments").key().service(), "gained later");
    assertTrue(index.find("default", "shipping").isEmpty());

    register("default", "orders", "c");
    awaitService(new ServiceKey("default", "orders"));
    assertEquals("orders", index.find("default", "orders").key().service());
    assertEquals("Orders", index.find("default", "Orders").key().service());
  }

  private void register(String namespace, String service, String id) throws Exception {
    store
        .register(
            new InstanceSpec(
                new InstanceKey(namespace, service, id),
                "10.0.0.1",
                8080,
                Map.of(),
                100,
                "",
                "",
                Map.of(),
                InstanceStatus.UP),
            60_000)
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
  }

  private void awaitService(ServiceKey key) {
    await().atMost(Duration.ofSeconds(10)).until(() -> !view.get(key).isEmpty());
  }
}
