package io.roster.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.rpc.Code;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class RetryHintTest {

  @Test
  void aRefusalForARateGivesItsRetryDelay() {
    RuntimeException refusal =
        StatusProto.toStatusRuntimeException(
            com.google.rpc.Status.newBuilder()
                .setCode(Code.RESOURCE_EXHAUSTED_VALUE)
                .setMessage("caller at 127.0.0.2 is over this node's limit")
                .addDetails(
                    Any.pack(
                        RetryInfo.newBuilder()
                            .setRetryDelay(Duration.newBuilder().setSeconds(1).setNanos(5_000_000))
                            .build()))
                .build());

    assertEquals(OptionalLong.of(1_005), RetryHint.millis(refusal));
  }

  @Test
  void aRefusalWithoutRetryInfoOrAnotherErrorGivesNone() {
    assertEquals(
        OptionalLong.empty(),
        RetryHint.millis(Status.RESOURCE_EXHAUSTED.withDescription("quota").asRuntimeException()));
    assertEquals(OptionalLong.empty(), RetryHint.millis(Status.UNAVAILABLE.asRuntimeException()));
  }
}
