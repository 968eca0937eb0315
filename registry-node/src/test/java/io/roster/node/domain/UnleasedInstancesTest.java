package io.roster.node.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class UnleasedInstancesTest {

  private static final ServiceKey ORDERS = Specs.SERVICE;

  private static InstanceRecord instance(String id, long epoch) {
    return new InstanceRecord(
        Specs.spec(id), InstanceStatus.UP, LeaseCondition.ok(0), epoch, epoch, 0);
  }

  private static ServiceView orders(InstanceRecord... instances) {
    return new ServiceView(ORDERS, 10, List.of(instances));
  }

  private final UnleasedInstances unleased = new UnleasedInstances();

  @Test
  void aServiceWhoseLeasesMatchItsInstancesIsNotLookedAt() {
    ServiceView view = orders(instance("a", 1), instance("b", 2));
    long leased = LeaseDigest.of("a", 1) + LeaseDigest.of("b", 2);

    assertTrue(UnleasedInstances.differing(List.of(view), Map.of(ORDERS, leased)).isEmpty());
    assertEquals(
        Set.of(ORDERS), UnleasedInstances.differing(List.of(view), Map.of()), "no leases at all");
    assertEquals(
        Set.of(ORDERS),
        UnleasedInstances.differing(List.of(view), Map.of(ORDERS, LeaseDigest.of("a", 1))));
  }

  @Test
  void anInstanceIsUnleasedOnlyWhenTwoChecksInARowFindItSo() {
    ServiceView view = orders(instance("a", 1), instance("b", 2));
    Map<ServiceKey, Map<String, Long>> leased = Map.of(ORDERS, Map.of("a", 1L));

    assertTrue(unleased.confirm(List.of(view), leased).isEmpty(), "maybe a registration in flight");
    assertEquals(List.of(instance("b", 2)), unleased.confirm(List.of(view), leased));
  }

  @Test
  void aLeaseThatLandedBetweenTheChecksClearsTheSuspicion() {
    ServiceView view = orders(instance("b", 2));
    unleased.confirm(List.of(view), Map.of());

    assertTrue(unleased.confirm(List.of(view), Map.of(ORDERS, Map.of("b", 2L))).isEmpty());
    assertTrue(unleased.confirm(List.of(view), Map.of()).isEmpty(), "counting starts again");
  }

  @Test
  void aLeaseOfAnOlderEpochDoesNotCountAndARegistrationAgainStartsOver() {
    unleased.confirm(List.of(orders(instance("b", 2))), Map.of(ORDERS, Map.of("b", 1L)));

    assertTrue(
        unleased
            .confirm(List.of(orders(instance("b", 3))), Map.of(ORDERS, Map.of("b", 1L)))
            .isEmpty(),
        "another epoch than the one suspected");
    assertEquals(
        List.of(instance("b", 3)),
        unleased.confirm(List.of(orders(instance("b", 3))), Map.of(ORDERS, Map.of("b", 1L))));
  }

  @Test
  void clearForgetsTheLastCheck() {
    ServiceView view = orders(instance("b", 2));
    unleased.confirm(List.of(view), Map.of());

    unleased.clear();

    assertTrue(unleased.confirm(List.of(view), Map.of()).isEmpty());
  }

  @Test
  void theDigestOfASetIsTheSameInAnyOrderAndTellsEpochsApart() {
    assertEquals(
        LeaseDigest.ofInstances(List.of(instance("a", 1), instance("b", 2))),
        LeaseDigest.ofInstances(List.of(instance("b", 2), instance("a", 1))));
    assertTrue(LeaseDigest.of("a", 1) != LeaseDigest.of("a", 2));
    assertTrue(LeaseDigest.of("a", 1) != LeaseDigest.of("b", 1));
  }
}
