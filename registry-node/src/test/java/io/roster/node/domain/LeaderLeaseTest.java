package io.roster.node.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

class LeaderLeaseTest {

  private static final long NOW = 1_000_000L;
  private static final long DURATION = 5_000;

  @Test
  void withoutAnyAcknowledgementTheLeaseIsInvalid() {
    LeaderLease lease = new LeaderLease(3, DURATION);

    assertEquals(0, lease.validUntilMillis(NOW));
    assertFalse(lease.validAt(NOW));
  }

  @Test
  void clusterOfThreeNeedsOneOtherAcknowledgement() {
    LeaderLease lease = new LeaderLease(3, DURATION);

    lease.acknowledged("b", NOW - 1_000);

    assertEquals(NOW - 1_000 + DURATION, lease.validUntilMillis(NOW));
    assertTrue(lease.validAt(NOW));
  }

  @Test
  void leaseRunsFromWhenTheAcknowledgedRoundTripWasSentNotWhenItCameBack() {
    LeaderLease lease = new LeaderLease(3, DURATION);
    lease.acknowledged("b", NOW);

    assertTrue(lease.validAt(NOW + DURATION));
    assertFalse(lease.validAt(NOW + DURATION + 1));
  }

  @Test
  void clusterOfThreeCountsTheMostRecentAcknowledgement() {
    LeaderLease lease = new LeaderLease(3, DURATION);

    lease.acknowledged("b", NOW - 3_000);
    lease.acknowledged("c", NOW - 1_000);

    assertEquals(NOW - 1_000 + DURATION, lease.validUntilMillis(NOW));
  }

  @Test
  void anOlderAcknowledgementArrivingLateDoesNotShortenTheLease() {
    LeaderLease lease = new LeaderLease(3, DURATION);

    lease.acknowledged("b", NOW);
    lease.acknowledged("b", NOW - 2_000);

    assertEquals(NOW + DURATION, lease.validUntilMillis(NOW));
  }

  @Test
  void aNewerAcknowledgementExtendsTheLease() {
    LeaderLease lease = new LeaderLease(3, DURATION);
    lease.acknowledged("b", NOW);

    lease.acknowledged("b", NOW + 4_000);

    assertEquals(NOW + 4_000 + DURATION, lease.validUntilMillis(NOW + 4_500));
    assertTrue(lease.validAt(NOW + 8_000));
  }

  @Test
  void clusterOfOneIsAlwaysValid() {
    LeaderLease lease = new LeaderLease(1, DURATION);

    assertEquals(NOW + DURATION, lease.validUntilMillis(NOW));
    assertTrue(lease.validAt(NOW));
    assertTrue(lease.validAt(NOW + 100 * DURATION));
  }

  @Test
  void clusterOfFiveNeedsTheSecondMostRecentOfTheOthers() {
    LeaderLease lease = new LeaderLease(5, DURATION);
    lease.acknowledged("b", NOW - 100);
    assertEquals(0, lease.validUntilMillis(NOW), "the leader and one other are no majority of 5");

    lease.acknowledged("c", NOW - 300);
    lease.acknowledged("d", NOW - 200);

    assertEquals(NOW - 200 + DURATION, lease.validUntilMillis(NOW));
    assertTrue(lease.validAt(NOW - 200 + DURATION));
    assertFalse(lease.validAt(NOW - 200 + DURATION + 1));
  }

  @Test
  void clusterOfFourNeedsTwoOthersToo() {
    LeaderLease lease = new LeaderLease(4, DURATION);
    lease.acknowledged("b", NOW - 100);
    assertEquals(0, lease.validUntilMillis(NOW), "two of four are no majority");

    lease.acknowledged("c", NOW - 400);

    assertEquals(NOW - 400 + DURATION, lease.validUntilMillis(NOW));
  }

  @Test
  void retainOnlyDropsTheAcknowledgementsOfMembersThatLeft() {
    LeaderLease lease = new LeaderLease(3, DURATION);
    lease.acknowledged("b", NOW - 3_000);
    lease.acknowledged("c", NOW - 1_000);

    lease.retainOnly(Set.of("b", "d"));
    assertEquals(NOW - 3_000 + DURATION, lease.validUntilMillis(NOW), "c's no longer counts");

    lease.retainOnly(Set.of("d"));
    assertEquals(0, lease.validUntilMillis(NOW));
    assertFalse(lease.validAt(NOW));
  }

  @Test
  void aMemberThatRejoinsCountsAgainFromItsNextAcknowledgement() {
    LeaderLease lease = new LeaderLease(3, DURATION);
    lease.acknowledged("b", NOW - 1_000);
    lease.retainOnly(Set.of());

    lease.acknowledged("b", NOW - 4_000);

    assertEquals(NOW - 4_000 + DURATION, lease.validUntilMillis(NOW));
  }

  @Test
  void durationIsReported() {
    assertEquals(DURATION, new LeaderLease(3, DURATION).durationMillis());
  }

  // ---- fence ----

  @Test
  void fenceIsValidUpToAndIncludingTheEndOfTheLeaderLease() {
    LeaderFence fence = new LeaderFence(4, NOW);

    assertTrue(fence.validAt(NOW - 1));
    assertTrue(fence.validAt(NOW));
    assertFalse(fence.validAt(NOW + 1));
  }

  @Test
  void fenceOfAnInvalidLeaderLeaseIsNeverValid() {
    LeaderLease lease = new LeaderLease(3, DURATION);
    LeaderFence fence = new LeaderFence(4, lease.validUntilMillis(NOW));

    assertFalse(fence.validAt(NOW));
  }
}
