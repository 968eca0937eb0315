package io.roster.node.store.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.roster.node.domain.MutationResult;
import io.roster.node.domain.ServiceState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link ServiceWriteBenchmark}'s setup and both methods on two real members: each registration is
 * applied, and the services keep their size. No timing here.
 */
@Timeout(120)
class ServiceWriteWorkTest {

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
  @ValueSource(ints = {1, 100})
  void everyRegistrationIsAppliedAndTheServicesKeepTheirSize(int services) {
    ServiceWriteBenchmark benchmark = new ServiceWriteBenchmark();
    benchmark.services = services;
    benchmark.setUp(members);

    int writes = 2 * services * ServiceWriteBenchmark.INSTANCES_PER_SERVICE;
    for (int i = 0; i < writes; i++) {
      long[] answer = i % 2 == 0 ? benchmark.oneCallPerWrite() : benchmark.groupCommit();
      assertEquals(MutationResult.Outcome.APPLIED.ordinal(), answer[0]);
    }
    ServiceState service =
        members
            .caller()
            .<String, ServiceState>getMap(HazelcastRegistryStore.SERVICES_MAP)
            .get("bench/writes-000");
    assertEquals(ServiceWriteBenchmark.INSTANCES_PER_SERVICE, service.instances().size());
  }
}
