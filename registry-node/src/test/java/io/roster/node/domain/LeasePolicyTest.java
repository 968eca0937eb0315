package io.roster.node.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class LeasePolicyTest {

  private final LeasePolicy policy = new LeasePolicy(10_000, 1_000, 60_000);

  @Test
  void defaultsAreTenSecondsWithinOneSecondToOneHour() {
    assertEquals(new LeasePolicy(10_000, 1_000, 3_600_000), LeasePolicy.defaults());
  }

  @Test
  void zeroMeansNotAskedAndGetsTheDefault() {
    assertEquals(10_000, policy.grant(0));
    assertEquals(10_000, LeasePolicy.defaults().grant(0));
  }

  @ParameterizedTest(name = "asked {0} ms, granted {1} ms")
  @CsvSource({
    "1, 1000",
    "999, 1000",
    "1000, 1000",
    "1001, 1001",
    "30000, 30000",
    "59999, 59999",
    "60000, 60000",
    "60001, 60000",
    "9223372036854775807, 60000"
  })
  void askedTtlIsClampedToTheBounds(long asked, long granted) {
    assertEquals(granted, policy.grant(asked));
  }

  @ParameterizedTest
  @ValueSource(longs = {-1, -10_000, Long.MIN_VALUE})
  void negativeTtlIsAnInvalidArgumentNamingTheField(long asked) {
    InvalidArgumentException e =
        assertThrows(InvalidArgumentException.class, () -> policy.grant(asked));

    assertEquals("lease_ttl", e.field());
    assertEquals("lease_ttl: must not be negative, got " + asked + " ms", e.getMessage());
  }

  @ParameterizedTest(name = "default {0}, min {1}, max {2}")
  @CsvSource({
    "10, 0, 100", // min not positive
    "10, -5, 100", // min negative
    "10, 200, 100", // min above max
    "5, 10, 100", // default below min
    "101, 10, 100", // default above max
    "0, 10, 100" // default zero
  })
  void invalidBoundsAreRejected(long defaultTtl, long min, long max) {
    assertThrows(IllegalArgumentException.class, () -> new LeasePolicy(defaultTtl, min, max));
  }

  @Test
  void equalBoundsAreAllowedAndGrantThatOneValue() {
    LeasePolicy fixed = new LeasePolicy(5_000, 5_000, 5_000);

    assertEquals(5_000, fixed.grant(0));
    assertEquals(5_000, fixed.grant(1));
    assertEquals(5_000, fixed.grant(100_000));
  }
}
