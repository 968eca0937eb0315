package io.roster.node.store.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.roster.node.domain.Lease;
import io.roster.node.domain.LeaseTable;
import io.roster.node.domain.RenewResult;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each lease-renewal benchmark's setup and method, once: every renewal in a batch must come back
 * RENEWED and move its lease's expiry, on the domain table and through two real Hazelcast members.
 * No timing here: speed is JMH's business.
 */
@Timeout(60)
class RenewalWorkTest {

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
  @ValueSource(ints = {1, 10, 100, 1000})
  void aBatchRenewsEachOfItsLeases(int batch) {
    LeaseRenewalBenchmark benchmark = new LeaseRenewalBenchmark();
    benchmark.batch = batch;
    benchmark.setUp();

    long[] results = benchmark.renewBatch();

    assertRenewed(batch, results);
    int extended = 0;
    for (Lease lease : benchmark.table().leases().values()) {
      if (lease.expiresAtMillis() == benchmark.nowMillis() + LeaseRenewalBenchmark.TTL_MILLIS) {
        extended++;
      }
    }
    assertEquals(batch, extended);
  }

  @ParameterizedTest
  @EnumSource(HazelcastRenewalBenchmark.Owner.class)
  void aBatchThroughHazelcastRenewsOnTheOwner(HazelcastRenewalBenchmark.Owner owner) {
    HazelcastRenewalBenchmark benchmark = new HazelcastRenewalBenchmark();
    benchmark.batch = 10;
    benchmark.owner = owner;
    benchmark.setUp(members);
    boolean local =
        members
            .caller()
            .getPartitionService()
            .getPartition(benchmark.service())
            .getOwner()
            .localMember();
    assertEquals(owner == HazelcastRenewalBenchmark.Owner.LOCAL, local);
    long before = System.currentTimeMillis();

    Map<String, long[]> results = benchmark.submitBatch();

    assertEquals(1, results.size());
    assertRenewed(10, results.get(benchmark.service()));
    LeaseTable stored = members.leases().get(benchmark.service());
    long extended =
        stored.leases().values().stream()
            .filter(lease -> lease.expiresAtMillis() >= before + LeaseRenewalBenchmark.TTL_MILLIS)
            .count();
    assertEquals(10, extended);
  }

  @Test
  void heartbeatsThroughTheBatcherAreAnswered() {
    RenewalBatcherBenchmark benchmark = new RenewalBatcherBenchmark();
    benchmark.setUp(members);
    try {
      for (int i = 0; i < 1000; i++) {
        benchmark.heartbeat();
      }
      assertEquals(Map.of(RenewResult.Outcome.RENEWED, 1000), benchmark.drain());
    } finally {
      benchmark.tearDown();
    }
  }

  private static void assertRenewed(int batch, long[] results) {
    assertEquals(batch * RenewLeases.FIELDS, results.length);
    for (int i = 0; i < batch; i++) {
      int at = i * RenewLeases.FIELDS;
      assertEquals(RenewResult.Outcome.RENEWED.ordinal(), results[at], "renewal " + i);
      assertEquals(LeaseRenewalBenchmark.TTL_MILLIS, results[at + 1]);
      assertEquals(LeaseRenewalBenchmark.EPOCH, results[at + 2]);
    }
  }
}
