package io.roster.node.store.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.roster.node.domain.ServiceDelta;
import io.roster.node.domain.ServiceState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link HazelcastChangeBenchmark}'s setup and method on two real members: each registration is
 * read back as a difference of that one instance, and the service keeps its size. No timing here.
 */
@Timeout(120)
class HazelcastChangeWorkTest {

  private static final RegistryMembers members = new RegistryMembers();

  @BeforeAll
  static void startMembers() {
    members.start();
  }

  @AfterAll
  static void stopMembers() {
    members.stop();
  }

  @ParameterizedTest
  @ValueSource(ints = {10, 10000})
  void eachRegistrationIsReadAsOneDifference(int instances) {
    HazelcastChangeBenchmark benchmark = new HazelcastChangeBenchmark();
    benchmark.instances = instances;
    benchmark.setUp(members);

    for (int i = 0; i < 3; i++) {
      ServiceDelta delta = benchmark.registerAndRead();
      assertFalse(delta.snapshot());
      assertEquals(1, delta.upserts().size());
      assertEquals(String.format("i-%06d", i), delta.upserts().get(0).instanceId());
      assertEquals(0, delta.removals().size());
    }
    assertEquals(
        instances,
        members
            .caller()
            .<String, ServiceState>getMap(HazelcastRegistryStore.SERVICES_MAP)
            .get(benchmark.service())
            .instances()
            .size());
  }
}
