package io.roster.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.Status;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class CallFailuresTest {

  @Test
  void countsGrpcFailuresByStatusCodeAndOthersByTheirInnermostException() {
    CallFailures failures = new CallFailures();

    failures.record(Status.DEADLINE_EXCEEDED.withDescription("late").asRuntimeException());
    failures.record(new IllegalStateException(new IOException("connection lost")));
    failures.record(new IllegalStateException(Status.UNAVAILABLE.asRuntimeException()));

    assertEquals(3, failures.count());
    assertEquals(
        "{DEADLINE_EXCEEDED=1, IOException=1, UNAVAILABLE=1}, first: DEADLINE_EXCEEDED: late",
        failures.summary());
  }
}
