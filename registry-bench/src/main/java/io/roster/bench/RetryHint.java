package io.roster.bench;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import java.util.OptionalLong;

/**
 * When a node said to try again: the {@code google.rpc.RetryInfo} a node puts in the details of a
 * RESOURCE_EXHAUSTED refusal (its caller or connection is over a rate limit). A well-behaved client
 * waits that long before it sends the same call again; the flood phase's flooder does not.
 *
 * <p>Stateless.
 */
final class RetryHint {
  private RetryHint() {}

  /**
   * The delay {@code error} asks for, in milliseconds (at least 1), when it is a RESOURCE_EXHAUSTED
   * status carrying a RetryInfo; empty for any other error.
   */
  static OptionalLong millis(Throwable error) {
    if (Status.fromThrowable(error).getCode() != Status.Code.RESOURCE_EXHAUSTED) {
      return OptionalLong.empty();
    }
    com.google.rpc.Status details = StatusProto.fromThrowable(error);
    if (details == null) {
      return OptionalLong.empty();
    }
    for (Any detail : details.getDetailsList()) {
      if (detail.is(RetryInfo.class)) {
        try {
          com.google.protobuf.Duration delay = detail.unpack(RetryInfo.class).getRetryDelay();
          return OptionalLong.of(Math.max(1, BenchContext.millis(delay)));
        } catch (InvalidProtocolBufferException e) {
          return OptionalLong.empty(); // a detail that says RetryInfo but is not one: no hint
        }
      }
    }
    return OptionalLong.empty();
  }
}
