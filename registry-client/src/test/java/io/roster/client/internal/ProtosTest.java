package io.roster.client.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ProtosTest {

  @Test
  void aDurationGoesToTheWireAndBackUnchanged() {
    com.google.protobuf.Duration wire = Protos.toProto(Duration.ofMillis(3_333));

    assertEquals(3, wire.getSeconds());
    assertEquals(333_000_000, wire.getNanos());
    assertEquals(3_333_000_000L, Protos.toNanos(wire));
  }

  @Test
  void aDurationTooLongForNanosSaturatesInsteadOfFailing() {
    com.google.protobuf.Duration thousandYears =
        com.google.protobuf.Duration.newBuilder().setSeconds(315_360_000_000L).build();

    assertEquals(Long.MAX_VALUE, Protos.toNanos(thousandYears));
    assertEquals(
        Long.MIN_VALUE,
        Protos.toNanos(thousandYears.toBuilder().setSeconds(-315_360_000_000L).build()));
  }
}
