package io.roster.node.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roster.node.domain.RenewResult.Outcome;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LeaseTableTest {

  private static final long TTL = 10_000;
  private static final long NOW = 1_000_000L;

  private final LeaseTable table = new LeaseTable();

  @Test
  void newTableIsEmpty() {
    assertTrue(table.isEmpty());
    assertNull(table.get("a"));
    assertTrue(table.entries().isEmpty());
  }

  @Test
  void grantCreatesALeaseExpiringOneTtlFromNow() {
    table.grant("a", 3, TTL, NOW);

    assertEquals(new Lease(3, TTL, NOW + TTL), table.get("a"));
    assertFalse(table.isEmpty());
    assertEquals(Map.of("a", new Lease(3, TTL, NOW + TTL)), table.leases());
  }

  @Test
  void leaseExpiresExactlyAtItsDeadline() {
    table.grant("a", 3, TTL, NOW);
    Lease lease = table.get("a");

    assertFalse(lease.expiredAt(NOW + TTL - 1));
    assertTrue(lease.expiredAt(NOW + TTL));
    assertTrue(lease.expiredAt(NOW + TTL + 1));
  }

  @Test
  void renewExtendsTheLeaseByItsTtlFromNow() {
    table.grant("a", 3, TTL, NOW);

    RenewResult result = table.renew("a", 3, NOW + 7_000);

    assertEquals(new RenewResult(Outcome.RENEWED, TTL, 3), result);
    assertEquals(new Lease(3, TTL, NOW + 7_000 + TTL), table.get("a"));
    assertFalse(table.get("a").expiredAt(NOW + TTL + 1), "the old deadline no longer applies");
  }

  @Test
  void renewWithEpochZeroSkipsTheEpochCheck() {
    table.grant("a", 3, TTL, NOW);

    RenewResult result = table.renew("a", 0, NOW + 1_000);

    assertEquals(new RenewResult(Outcome.RENEWED, TTL, 3), result);
    assertEquals(NOW + 1_000 + TTL, table.get("a").expiresAtMillis());
  }

  @Test
  void renewWithStaleEpochIsRefusedAndLeavesTheLeaseAlone() {
    table.grant("a", 3, TTL, NOW);
    table.grant("a", 5, TTL, NOW + 100);

    RenewResult result = table.renew("a", 3, NOW + 5_000);

    assertEquals(new RenewResult(Outcome.STALE_EPOCH, 0, 5), result);
    assertEquals(new Lease(5, TTL, NOW + 100 + TTL), table.get("a"));
  }

  @Test
  void renewOfAnUnknownLeaseIsNotFound() {
    table.grant("a", 3, TTL, NOW);

    RenewResult result = table.renew("b", 0, NOW);

    assertEquals(new RenewResult(Outcome.NOT_FOUND, 0, 0), result);
    assertEquals(RenewResult.notFound(), result);
    assertNull(table.get("b"));
  }

  @Test
  void grantOfANewerEpochReplacesTheLease() {
    table.grant("a", 3, TTL, NOW);

    table.grant("a", 5, 2 * TTL, NOW + 100);

    assertEquals(new Lease(5, 2 * TTL, NOW + 100 + 2 * TTL), table.get("a"));
  }

  @Test
  void grantOfTheSameEpochReplacesTheLease() {
    table.grant("a", 3, TTL, NOW);

    table.grant("a", 3, 2 * TTL, NOW + 100);

    assertEquals(new Lease(3, 2 * TTL, NOW + 100 + 2 * TTL), table.get("a"));
  }

  @Test
  void grantOfAnOlderEpochIsIgnored() {
    table.grant("a", 5, TTL, NOW);

    table.grant("a", 3, 2 * TTL, NOW + 100);

    assertEquals(new Lease(5, TTL, NOW + TTL), table.get("a"));
  }

  @Test
  void revokeWithTheCurrentEpochRemovesTheLease() {
    table.grant("a", 3, TTL, NOW);
    table.grant("b", 4, TTL, NOW);

    table.revoke("a", 3);

    assertNull(table.get("a"));
    assertEquals(new Lease(4, TTL, NOW + TTL), table.get("b"));
    assertEquals(RenewResult.notFound(), table.renew("a", 3, NOW + 1));
  }

  @Test
  void revokeWithEpochZeroRemovesWhateverEpochIsHeld() {
    table.grant("a", 3, TTL, NOW);

    table.revoke("a", 0);

    assertNull(table.get("a"));
    assertTrue(table.isEmpty());
  }

  @Test
  void revokeWithANewerEpochRemovesTheLease() {
    table.grant("a", 3, TTL, NOW);

    table.revoke("a", 4);

    assertNull(table.get("a"));
  }

  @Test
  void revokeOfAnOlderEpochIsIgnored() {
    table.grant("a", 5, TTL, NOW);

    table.revoke("a", 3);

    assertEquals(new Lease(5, TTL, NOW + TTL), table.get("a"));
  }

  @Test
  void revokeOfAnUnknownLeaseDoesNothing() {
    table.grant("a", 3, TTL, NOW);

    table.revoke("b", 0);

    assertEquals(1, table.leases().size());
  }

  @Test
  void tableBuiltFromAMapCopiesIt() {
    Map<String, Lease> source = new HashMap<>();
    source.put("a", new Lease(3, TTL, NOW + TTL));
    LeaseTable rebuilt = new LeaseTable(source);

    source.clear();
    rebuilt.grant("b", 4, TTL, NOW);

    assertTrue(source.isEmpty());
    assertEquals(new Lease(3, TTL, NOW + TTL), rebuilt.get("a"));
    assertEquals(2, rebuilt.entries().size());
  }
}
