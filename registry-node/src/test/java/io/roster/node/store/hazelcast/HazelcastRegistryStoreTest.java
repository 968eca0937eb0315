package io.roster.node.store.hazelcast;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.roster.node.cluster.HazelcastConfigFactory;
import io.roster.node.config.ConfigLoader;
import io.roster.node.config.NodeConfig;
import io.roster.node.domain.ServiceDelta;
import io.roster.node.store.RegistryStore;
import io.roster.node.store.RegistryStoreContract;
import io.roster.testing.FreePorts;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The store contract on a real two-member Hazelcast cluster in this JVM: calls go through one
 * member while the data lives partly on the other, so every entry processor and codec crosses a
 * real member boundary. Each test uses its own service, so the members are shared by the class.
 */
@Timeout(120)
class HazelcastRegistryStoreTest extends RegistryStoreContract {

  private static final List<HazelcastInstance> members = new ArrayList<>();
  private HazelcastRegistryStore store;

  @BeforeAll
  static void startMembers() {
    String cluster = "store-test-" + UUID.randomUUID().toString().substring(0, 8);
    int first = FreePorts.next();
    int second = FreePorts.next();
    for (int port : List.of(first, second)) {
      NodeConfig config =
          ConfigLoader.load(
              new String[] {
                "--profile=local",
                "--cluster.name=" + cluster,
                "--cluster.port=" + port,
                "--cluster.members=127.0.0.1:" + first + ",127.0.0.1:" + second,
                "--cluster.join-wait-s=0",
                "--node.name=member-" + port
              },
              Map.of());
      members.add(Hazelcast.newHazelcastInstance(HazelcastConfigFactory.create(config)));
    }
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> members.get(0).getCluster().getMembers().size() == 2);
  }

  @AfterAll
  static void stopMembers() {
    members.forEach(HazelcastInstance::shutdown);
  }

  @Override
  protected RegistryStore store() {
    if (store == null) {
      store = new HazelcastRegistryStore(members.get(0), clock, 5);
    }
    return store;
  }

  @Test
  void stateSurvivesTheDeathOfTheMemberThatOwnedIt() {
    // A third member joins and then dies without a word: its partitions' backups take over.
    NodeConfig config =
        ConfigLoader.load(
            new String[] {
              "--profile=local",
              "--cluster.name=" + members.get(0).getConfig().getClusterName(),
              "--cluster.port=" + FreePorts.next(),
              "--cluster.members="
                  + members.get(0).getCluster().getLocalMember().getAddress().getHost()
                  + ":"
                  + members.get(0).getCluster().getLocalMember().getAddress().getPort(),
              "--cluster.join-wait-s=0",
              "--node.name=doomed"
            },
            Map.of());
    HazelcastInstance doomed =
        Hazelcast.newHazelcastInstance(HazelcastConfigFactory.create(config));
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> doomed.getCluster().getMembers().size() == 3);
    for (int i = 0; i < 50; i++) {
      get(store().register(spec("i" + i), 5_000));
    }

    doomed.getLifecycleService().terminate();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> members.get(0).getCluster().getMembers().size() == 2);

    ServiceDelta snapshot = get(store().changesSince(key("x").serviceKey(), 0));
    assertEquals(50, snapshot.upserts().size());
    assertEquals(50, snapshot.revision());
  }
}
