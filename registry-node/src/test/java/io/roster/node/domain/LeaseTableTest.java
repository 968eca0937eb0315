package io.roster.node.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roster.node.domain.RenewResult.Outcome;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LeaseTableTest {

  private static final long TTL = 10_000;
  private static final long NOW = 1_000_000L;

  private static final ServiceKey SERVICE = Specs.SERVICE;

  /** Leader epoch 5, its leader lease good for an hour past {@link #NOW}. */
  private static final LeaderFence FENCE = new LeaderFence(5, NOW + 3_600_000);

  private final LeaseTable table = new LeaseTable();

  /** Leader epoch 5, its leader lease good until {@code validUntilMillis}. */
  private static LeaderFence fenceUntil(long validUntilMillis) {
    return new LeaderFence(5, validUntilMillis);
  }

  /** A lease as granted or renewed: not declared expired, health sequence 0. */
  private static Lease live(long epoch, long ttlMillis, long expiresAtMillis) {
    return new Lease(epoch, ttlMillis, expiresAtMillis, false, 0);
  }

  @Test
  void newTableIsEmpty() {
    assertTrue(table.isEmpty());
    assertNull(table.get("a"));
    assertTrue(table.entries().isEmpty());
    assertEquals(0, table.highestLeaderEpoch());
  }

  @Test
  void grantCreatesALeaseExpiringOneTtlFromNow() {
    table.grant("a", 3, TTL, NOW);

    assertEquals(live(3, TTL, NOW + TTL), table.get("a"));
    assertFalse(table.isEmpty());
    assertEquals(Map.of("a", live(3, TTL, NOW + TTL)), table.leases());
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

    assertEquals(new RenewResult(Outcome.RENEWED, TTL, 3, false, 0), result);
    assertEquals(live(3, TTL, NOW + 7_000 + TTL), table.get("a"));
    assertFalse(table.get("a").expiredAt(NOW + TTL + 1), "the old deadline no longer applies");
  }

  @Test
  void renewWithEpochZeroSkipsTheEpochCheck() {
    table.grant("a", 3, TTL, NOW);

    RenewResult result = table.renew("a", 0, NOW + 1_000);

    assertEquals(new RenewResult(Outcome.RENEWED, TTL, 3, false, 0), result);
    assertEquals(NOW + 1_000 + TTL, table.get("a").expiresAtMillis());
  }

  @Test
  void renewWithStaleEpochIsRefusedAndLeavesTheLeaseAlone() {
    table.grant("a", 3, TTL, NOW);
    table.grant("a", 5, TTL, NOW + 100);

    RenewResult result = table.renew("a", 3, NOW + 5_000);

    assertEquals(new RenewResult(Outcome.STALE_EPOCH, 0, 5, false, 0), result);
    assertEquals(RenewResult.stale(5), result);
    assertEquals(live(5, TTL, NOW + 100 + TTL), table.get("a"));
  }

  @Test
  void renewOfAnUnknownLeaseIsNotFound() {
    table.grant("a", 3, TTL, NOW);

    RenewResult result = table.renew("b", 0, NOW);

    assertEquals(new RenewResult(Outcome.NOT_FOUND, 0, 0, false, 0), result);
    assertEquals(RenewResult.notFound(), result);
    assertNull(table.get("b"));
  }

  @Test
  void grantOfANewerEpochReplacesTheLease() {
    table.grant("a", 3, TTL, NOW);

    table.grant("a", 5, 2 * TTL, NOW + 100);

    assertEquals(live(5, 2 * TTL, NOW + 100 + 2 * TTL), table.get("a"));
  }

  @Test
  void grantOfTheSameEpochReplacesTheLease() {
    table.grant("a", 3, TTL, NOW);

    table.grant("a", 3, 2 * TTL, NOW + 100);

    assertEquals(live(3, 2 * TTL, NOW + 100 + 2 * TTL), table.get("a"));
  }

  @Test
  void grantOfAnOlderEpochIsIgnored() {
    table.grant("a", 5, TTL, NOW);

    table.grant("a", 3, 2 * TTL, NOW + 100);

    assertEquals(live(5, TTL, NOW + TTL), table.get("a"));
  }

  @Test
  void revokeWithTheCurrentEpochRemovesTheLease() {
    table.grant("a", 3, TTL, NOW);
    table.grant("b", 4, TTL, NOW);

    table.revoke("a", 3);

    assertNull(table.get("a"));
    assertEquals(live(4, TTL, NOW + TTL), table.get("b"));
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

    assertEquals(live(5, TTL, NOW + TTL), table.get("a"));
  }

  @Test
  void revokeOfAnUnknownLeaseDoesNothing() {
    table.grant("a", 3, TTL, NOW);

    table.revoke("b", 0);

    assertEquals(1, table.leases().size());
  }

  @Test
  void tableBuiltFromAMapCopiesItAndKeepsItsHighestLeaderEpoch() {
    Map<String, Lease> source = new HashMap<>();
    source.put("a", live(3, TTL, NOW + TTL));
    LeaseTable rebuilt = new LeaseTable(source, 4);

    source.clear();
    rebuilt.grant("b", 4, TTL, NOW);

    assertTrue(source.isEmpty());
    assertEquals(live(3, TTL, NOW + TTL), rebuilt.get("a"));
    assertEquals(2, rebuilt.entries().size());
    assertEquals(4, rebuilt.highestLeaderEpoch());
  }

  @Test
  void leasesCannotBeChangedThroughTheMapView() {
    table.grant("a", 3, TTL, NOW);

    assertThrows(
        UnsupportedOperationException.class, () -> table.leases().put("b", live(4, TTL, NOW)));
    assertThrows(UnsupportedOperationException.class, () -> table.leases().remove("a"));
    assertEquals(live(3, TTL, NOW + TTL), table.get("a"));
  }

  @Test
  void renewWithAnEpochNewerThanTheLeaseIsNotFoundSoTheCallerRegistersAgain() {
    table.grant("a", 3, TTL, NOW);

    RenewResult result = table.renew("a", 4, NOW + 1_000);

    assertEquals(RenewResult.notFound(), result);
    assertEquals(live(3, TTL, NOW + TTL), table.get("a"), "the lease held is left alone");
  }

  // ---- late and reordered renewals: an expiry never moves backwards ----

  @Test
  void aRenewalStampedBeforeTheHeldOneNeverMovesTheExpiryBack() {
    table.grant("a", 3, TTL, 0);
    table.renew("a", 3, 5_000);

    RenewResult late = table.renew("a", 3, 2_000);

    assertEquals(new RenewResult(Outcome.RENEWED, TTL, 3, false, 0), late);
    assertEquals(live(3, TTL, 15_000), table.get("a"), "not 12,000");
  }

  @Test
  void aRenewalStampedBeforeTheFullTtlGraceLeavesTheGraceAlone() {
    table.grant("a", 3, TTL, 0);
    table.extendAll(20_000);

    table.renew("a", 3, 1_000);

    assertEquals(live(3, TTL, 30_000), table.get("a"));
    assertEquals(-1, table.declareExpired("a", 3, 11_000, fenceUntil(30_000)));
  }

  @Test
  void aRetriedGrantOfTheSameEpochNeverShortensTheLease() {
    table.grant("a", 3, TTL, 0);
    table.renew("a", 3, 8_000);

    table.grant("a", 3, TTL, 0);

    assertEquals(live(3, TTL, 18_000), table.get("a"));
  }

  @Test
  void aLateRenewalThatCannotKeepADeclaredLeaseAliveDoesNotReviveIt() {
    table.grant("a", 3, TTL, 0);
    long seq = table.declareExpired("a", 3, 10_500, fenceUntil(20_000));

    RenewResult late = table.renew("a", 3, 400);

    assertFalse(late.revived());
    assertEquals(new Lease(3, TTL, 10_500, true, seq), table.get("a"));
  }

  @Test
  void aLateRenewalThatWasDueBeforeTheDeclarationRevivesTheLease() {
    table.grant("a", 3, TTL, 0);
    long seq = table.declareExpired("a", 3, 10_500, fenceUntil(20_000));

    RenewResult late = table.renew("a", 3, 1_000);

    assertTrue(late.revived());
    assertEquals(new Lease(3, TTL, 11_000, false, seq + 1), table.get("a"));
  }

  /**
   * Batches of renewals applied in any order, any number of times, interleaved with full-TTL
   * grants: the expiry only grows, and always ends at the latest stamp plus TTL (no renewal is
   * lost).
   */
  @Test
  void renewalsDelayedAndReorderedAtRandomNeverMoveAnExpiryBackOrLoseOne() {
    Random random = new Random(11);
    for (int round = 0; round < 2_000; round++) {
      LeaseTable leases = new LeaseTable();
      leases.grant("a", 1, TTL, 0);
      List<Long> stamps = new ArrayList<>();
      for (int i = 0; i < 1 + random.nextInt(12); i++) {
        stamps.add((long) random.nextInt(40_000));
      }
      List<Long> applied = new ArrayList<>(stamps);
      for (int i = 0; i < random.nextInt(4); i++) {
        applied.add(applied.get(random.nextInt(applied.size()))); // a retried batch
      }
      Collections.shuffle(applied, random);
      long latestGrace = 0;
      long before = leases.get("a").expiresAtMillis();
      for (long stamp : applied) {
        if (random.nextInt(5) == 0) {
          latestGrace = Math.max(latestGrace, stamp + TTL);
          leases.extendAll(stamp);
        }
        leases.renew("a", 1, stamp);
        long after = leases.get("a").expiresAtMillis();
        assertTrue(
            after >= before, "round " + round + ": expiry went from " + before + " to " + after);
        before = after;
      }
      long latestRenewal = Collections.max(stamps) + TTL;
      assertEquals(Math.max(Math.max(TTL, latestRenewal), latestGrace), before, "round " + round);
    }
  }

  // ---- declare, revive, revoke ----

  @Test
  void declareExpiredMarksAnExpiredLeaseAndAnswersTheNextHealthSequence() {
    table.grant("a", 3, TTL, NOW);

    long seq = table.declareExpired("a", 3, NOW + TTL + 1_000, FENCE);

    assertEquals(1, seq);
    assertEquals(
        new Lease(3, TTL, NOW + TTL + 1_000, true, 1),
        table.get("a"),
        "the expiry becomes the declaration time: the grace counts from it");
  }

  @Test
  void declareExpiredAppliesFromTheDeadlineOnAndNeverBefore() {
    table.grant("a", 3, TTL, NOW);

    assertEquals(-1, table.declareExpired("a", 3, NOW + TTL - 1, FENCE));
    assertEquals(live(3, TTL, NOW + TTL), table.get("a"));

    assertEquals(1, table.declareExpired("a", 3, NOW + TTL, FENCE));
    assertTrue(table.get("a").expired());
  }

  @Test
  void declareExpiredIsRefusedWhenARenewalArrivedSinceTheSweepFoundTheLease() {
    table.grant("a", 3, TTL, NOW);
    assertEquals(1, table.findExpired(SERVICE, NOW + TTL, 0).size());

    table.renew("a", 3, NOW + TTL + 10);

    assertEquals(-1, table.declareExpired("a", 3, NOW + TTL + 20, FENCE));
    assertEquals(live(3, TTL, NOW + TTL + 10 + TTL), table.get("a"));
  }

  @Test
  void declareExpiredTwiceAnswersTheSameSequenceAndChangesNothing() {
    table.grant("a", 3, TTL, NOW);
    long first = table.declareExpired("a", 3, NOW + TTL, FENCE);
    Lease declared = table.get("a");

    long again = table.declareExpired("a", 3, NOW + TTL + 5_000, FENCE);

    assertEquals(1, first);
    assertEquals(first, again);
    assertEquals(declared, table.get("a"));
  }

  @Test
  void declareExpiredRefusesAnotherEpochOrAnUnknownLease() {
    table.grant("a", 3, TTL, NOW);
    long later = NOW + 2 * TTL;

    assertEquals(-1, table.declareExpired("a", 2, later, FENCE), "an older registration");
    assertEquals(-1, table.declareExpired("a", 4, later, FENCE), "a newer registration");
    assertEquals(-1, table.declareExpired("a", 0, later, FENCE), "epoch 0 matches nothing");
    assertEquals(-1, table.declareExpired("b", 3, later, FENCE), "no such lease");
    assertEquals(live(3, TTL, NOW + TTL), table.get("a"));
  }

  @Test
  void declareExpiredRaisesTheHighestLeaderEpochSeen() {
    table.grant("a", 3, TTL, NOW);

    table.declareExpired("a", 3, NOW + TTL, new LeaderFence(7, NOW + TTL));

    assertEquals(7, table.highestLeaderEpoch());
  }

  @Test
  void declareExpiredFromADeposedLeaderIsRefused() {
    table.grant("a", 3, TTL, NOW);
    table.grant("b", 4, TTL, NOW);
    assertEquals(1, table.declareExpired("a", 3, NOW + TTL, new LeaderFence(6, NOW + 2 * TTL)));

    long refused = table.declareExpired("b", 4, NOW + TTL, new LeaderFence(5, NOW + 2 * TTL));

    assertEquals(-1, refused);
    assertEquals(live(4, TTL, NOW + TTL), table.get("b"));
    assertEquals(6, table.highestLeaderEpoch(), "a lower leader epoch does not lower it");
    assertEquals(
        1,
        table.declareExpired("b", 4, NOW + TTL, new LeaderFence(6, NOW + 2 * TTL)),
        "the current leader still may");
  }

  @Test
  void declareExpiredWithALowerLeaderEpochThanARebuiltTableRemembersIsRefused() {
    LeaseTable rebuilt = new LeaseTable(Map.of("a", live(3, TTL, NOW)), 9);

    assertEquals(-1, rebuilt.declareExpired("a", 3, NOW + 1, new LeaderFence(8, NOW + TTL)));
    assertEquals(1, rebuilt.declareExpired("a", 3, NOW + 1, new LeaderFence(9, NOW + TTL)));
  }

  @Test
  void declareExpiredAfterTheLeaderLeaseEndedIsRefused() {
    table.grant("a", 3, TTL, NOW);
    long now = NOW + TTL + 1_000;

    long refused = table.declareExpired("a", 3, now, new LeaderFence(7, now - 1));

    assertEquals(-1, refused);
    assertEquals(live(3, TTL, NOW + TTL), table.get("a"));
    assertEquals(0, table.highestLeaderEpoch(), "a refused fence is not remembered");
    assertEquals(
        1,
        table.declareExpired("a", 3, now, new LeaderFence(7, now)),
        "the leader lease holds up to and including its last millisecond");
  }

  @Test
  void renewOfADeclaredExpiredLeaseRevivesIt() {
    table.grant("a", 3, TTL, NOW);
    table.declareExpired("a", 3, NOW + TTL, FENCE);

    RenewResult result = table.renew("a", 3, NOW + TTL + 500);

    assertEquals(new RenewResult(Outcome.RENEWED, TTL, 3, true, 2), result);
    assertEquals(new Lease(3, TTL, NOW + TTL + 500 + TTL, false, 2), table.get("a"));
  }

  @Test
  void renewWithEpochZeroAlsoRevivesADeclaredExpiredLease() {
    table.grant("a", 3, TTL, NOW);
    table.declareExpired("a", 3, NOW + TTL, FENCE);

    RenewResult result = table.renew("a", 0, NOW + TTL + 500);

    assertTrue(result.revived());
    assertEquals(2, result.seq());
    assertFalse(table.get("a").expired());
  }

  @Test
  void renewAfterARevivalIsNoRevivalAndKeepsTheSequence() {
    table.grant("a", 3, TTL, NOW);
    table.declareExpired("a", 3, NOW + TTL, FENCE);
    table.renew("a", 3, NOW + TTL + 500);

    RenewResult result = table.renew("a", 3, NOW + TTL + 1_000);

    assertEquals(new RenewResult(Outcome.RENEWED, TTL, 3, false, 2), result);
    assertEquals(new Lease(3, TTL, NOW + TTL + 1_000 + TTL, false, 2), table.get("a"));
  }

  @Test
  void renewOfAnExpiredLeaseNotYetDeclaredIsNoRevival() {
    table.grant("a", 3, TTL, NOW);

    RenewResult result = table.renew("a", 3, NOW + 5 * TTL);

    assertEquals(new RenewResult(Outcome.RENEWED, TTL, 3, false, 0), result);
  }

  @Test
  void aSecondExpiryAfterARevivalTakesTheNextSequence() {
    table.grant("a", 3, TTL, NOW);
    assertEquals(1, table.declareExpired("a", 3, NOW + TTL, FENCE));
    table.renew("a", 3, NOW + TTL); // revived, seq 2, expires at NOW + 2 TTL

    assertEquals(3, table.declareExpired("a", 3, NOW + 2 * TTL, FENCE));
    assertEquals(new Lease(3, TTL, NOW + 2 * TTL, true, 3), table.get("a"));
  }

  @Test
  void staleRenewalOfADeclaredExpiredLeaseDoesNotReviveIt() {
    table.grant("a", 3, TTL, NOW);
    table.declareExpired("a", 3, NOW + TTL, FENCE);
    Lease declared = table.get("a");

    assertEquals(RenewResult.stale(3), table.renew("a", 2, NOW + TTL + 1));
    assertEquals(RenewResult.notFound(), table.renew("a", 4, NOW + TTL + 1));
    assertEquals(declared, table.get("a"));
  }

  @Test
  void revokeExpiredRemovesADeclaredLeaseOnceItsGraceIsOver() {
    long grace = 30_000;
    table.grant("a", 3, TTL, NOW);
    table.declareExpired("a", 3, NOW + TTL, FENCE);

    assertFalse(table.revokeExpired("a", 3, NOW + TTL + grace - 1, grace, FENCE));
    assertTrue(table.get("a").expired(), "still listed during the grace");

    assertTrue(table.revokeExpired("a", 3, NOW + TTL + grace, grace, FENCE));
    assertNull(table.get("a"));
    assertEquals(RenewResult.notFound(), table.renew("a", 3, NOW + TTL + grace + 1));
  }

  @Test
  void revokeExpiredRefusesALeaseNeverDeclaredExpiredHoweverLate() {
    table.grant("a", 3, TTL, NOW);

    assertFalse(table.revokeExpired("a", 3, NOW + 100 * TTL, 0, FENCE));
    assertEquals(live(3, TTL, NOW + TTL), table.get("a"));
  }

  @Test
  void revokeExpiredRefusesALeaseRevivedSinceItWasDeclared() {
    table.grant("a", 3, TTL, NOW);
    table.declareExpired("a", 3, NOW + TTL, FENCE);
    table.renew("a", 3, NOW + TTL + 1);

    assertFalse(table.revokeExpired("a", 3, NOW + 100 * TTL, 0, FENCE));
    assertEquals(2, table.get("a").seq());
  }

  @Test
  void revokeExpiredRefusesAnotherEpochOrAnUnknownLease() {
    table.grant("a", 3, TTL, NOW);
    table.declareExpired("a", 3, NOW + TTL, FENCE);
    long late = NOW + 100 * TTL;

    assertFalse(table.revokeExpired("a", 2, late, 0, FENCE));
    assertFalse(table.revokeExpired("a", 4, late, 0, FENCE));
    assertFalse(table.revokeExpired("b", 3, late, 0, FENCE));
    assertTrue(table.get("a").expired());
  }

  @Test
  void revokeExpiredFromADeposedLeaderOrAfterTheLeaderLeaseIsRefused() {
    table.grant("a", 3, TTL, NOW);
    table.declareExpired("a", 3, NOW + TTL, new LeaderFence(6, NOW + 100 * TTL));
    long late = NOW + 10 * TTL;

    assertFalse(table.revokeExpired("a", 3, late, 0, new LeaderFence(5, late)));
    assertFalse(table.revokeExpired("a", 3, late, 0, new LeaderFence(6, late - 1)));
    assertTrue(table.get("a").expired());

    assertTrue(table.revokeExpired("a", 3, late, 0, new LeaderFence(7, late)));
    assertEquals(7, table.highestLeaderEpoch());
  }

  // ---- find, extend, merge ----

  @Test
  void findExpiredListsLeasesPastTheirExpiryByTheSlack() {
    long slack = 2_000;
    table.grant("a", 3, TTL, NOW);
    table.grant("b", 4, 3 * TTL, NOW);

    assertTrue(table.findExpired(SERVICE, NOW + TTL + slack - 1, slack).isEmpty());

    List<ExpiredLease> found = table.findExpired(SERVICE, NOW + TTL + slack, slack);

    assertEquals(
        List.of(
            new ExpiredLease(
                new InstanceKey(SERVICE.namespace(), SERVICE.service(), "a"),
                3,
                NOW + TTL,
                false,
                0)),
        found);
  }

  @Test
  void findExpiredListsDeclaredLeasesWhateverTheSlack() {
    table.grant("a", 3, TTL, NOW);
    table.grant("b", 4, TTL, NOW + 5_000);
    table.declareExpired("a", 3, NOW + TTL, FENCE);

    List<ExpiredLease> found = table.findExpired(SERVICE, NOW + TTL, 60_000);

    assertEquals(
        List.of(new ExpiredLease(new InstanceKey("default", "orders", "a"), 3, NOW + TTL, true, 1)),
        found);
  }

  @Test
  void findExpiredOfLiveLeasesIsEmpty() {
    table.grant("a", 3, TTL, NOW);
    table.grant("b", 4, TTL, NOW);

    assertTrue(table.findExpired(SERVICE, NOW + TTL - 1, 0).isEmpty());
    assertTrue(new LeaseTable().findExpired(SERVICE, NOW, 0).isEmpty());
  }

  @Test
  void extendAllGivesEveryLiveLeaseAtLeastAFullTtlFromNow() {
    long now = NOW + 3 * TTL;
    table.grant("soon", 3, TTL, now - 2_000); // expires before now + TTL
    table.grant("late", 4, TTL, now + 5_000); // stamped by a clock running 5 s ahead
    table.grant("lapsed", 5, TTL, NOW); // already past expiry, not declared

    table.extendAll(now);

    assertEquals(live(3, TTL, now + TTL), table.get("soon"));
    assertEquals(live(4, TTL, now + 5_000 + TTL), table.get("late"), "never shortened");
    assertEquals(live(5, TTL, now + TTL), table.get("lapsed"));
    assertTrue(table.findExpired(SERVICE, now + TTL - 1, 0).isEmpty());
  }

  @Test
  void extendAllLeavesDeclaredExpiredLeasesAlone() {
    table.grant("a", 3, TTL, NOW);
    table.grant("b", 4, TTL, NOW);
    table.declareExpired("a", 3, NOW + TTL, FENCE);
    Lease declared = table.get("a");

    table.extendAll(NOW + 2 * TTL);

    assertEquals(declared, table.get("a"));
    assertEquals(live(4, TTL, NOW + 3 * TTL), table.get("b"));
  }

  @Test
  void extendAllKeepsTheHealthSequenceOfARevivedLease() {
    table.grant("a", 3, TTL, NOW);
    table.declareExpired("a", 3, NOW + TTL, FENCE);
    table.renew("a", 3, NOW + TTL);

    table.extendAll(NOW + 5 * TTL);

    assertEquals(new Lease(3, TTL, NOW + 6 * TTL, false, 2), table.get("a"));
  }

  @Test
  void mergeFromKeepsTheLeasesOfBothSides() {
    table.grant("ours", 3, TTL, NOW);
    LeaseTable other = new LeaseTable();
    other.grant("theirs", 4, TTL, NOW + 1);

    table.mergeFrom(other);

    assertEquals(live(3, TTL, NOW + TTL), table.get("ours"));
    assertEquals(live(4, TTL, NOW + 1 + TTL), table.get("theirs"));
    assertEquals(2, table.leases().size());
  }

  @Test
  void mergeFromTakesTheNewerEpochEvenWithAnEarlierExpiry() {
    table.grant("a", 3, 10 * TTL, NOW);
    table.grant("b", 8, TTL, NOW);
    LeaseTable other = new LeaseTable();
    other.grant("a", 5, TTL, NOW);
    other.grant("b", 6, 10 * TTL, NOW);

    table.mergeFrom(other);

    assertEquals(live(5, TTL, NOW + TTL), table.get("a"), "their newer registration wins");
    assertEquals(live(8, TTL, NOW + TTL), table.get("b"), "our newer registration stays");
  }

  @Test
  void mergeFromOfTheSameEpochTakesTheLaterExpiry() {
    table.grant("a", 3, TTL, NOW);
    table.grant("b", 4, TTL, NOW + 9_000);
    LeaseTable other = new LeaseTable();
    other.grant("a", 3, TTL, NOW + 7_000);
    other.grant("b", 4, TTL, NOW);

    table.mergeFrom(other);

    assertEquals(live(3, TTL, NOW + 7_000 + TTL), table.get("a"), "renewed on their side");
    assertEquals(live(4, TTL, NOW + 9_000 + TTL), table.get("b"), "renewed on ours");
  }

  @Test
  void mergeFromKeepsTheHighestLeaderEpochOfEitherSide() {
    LeaseTable low = new LeaseTable(Map.of("x", live(1, TTL, NOW)), 3);
    LeaseTable high = new LeaseTable(Map.of(), 8);

    low.mergeFrom(high);
    high.mergeFrom(new LeaseTable(Map.of(), 2));

    assertEquals(8, low.highestLeaderEpoch());
    assertEquals(8, high.highestLeaderEpoch());
    assertEquals(
        -1,
        low.declareExpired("x", 1, NOW, new LeaderFence(7, NOW)),
        "the merged table fences the leader the other side deposed");
    assertEquals(1, low.declareExpired("x", 1, NOW, new LeaderFence(8, NOW)));
  }

  @Test
  void mergeFromLeavesTheOtherTableAlone() {
    table.grant("a", 3, TTL, NOW + 5_000);
    LeaseTable other = new LeaseTable(Map.of("a", live(3, TTL, NOW)), 2);

    table.mergeFrom(other);

    assertEquals(Map.of("a", live(3, TTL, NOW)), other.leases());
    assertEquals(2, other.highestLeaderEpoch());
  }
}
