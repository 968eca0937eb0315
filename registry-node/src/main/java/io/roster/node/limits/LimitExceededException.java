package io.roster.node.limits;

import com.google.protobuf.Any;
import com.google.rpc.Code;
import com.google.rpc.RetryInfo;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;

/**
 * A call refused because its caller or its connection is over a rate: RESOURCE_EXHAUSTED (HTTP 429)
 * with when to retry, in the message for people and as {@code google.rpc.RetryInfo} in the status
 * details (HTTP: a {@code Retry-After} header) for programs.
 */
public final class LimitExceededException extends RuntimeException {

  private final long retryAfterMillis;

  LimitExceededException(String message, long retryAfterMillis) {
    super(message + ": retry after " + retryAfterMillis + " ms", null, false, false);
    this.retryAfterMillis = retryAfterMillis;
  }

  /** How long the caller should wait before it tries again, at least 1 ms. */
  public long retryAfterMillis() {
    return retryAfterMillis;
  }

  /** The refusal as a gRPC status, its retry delay in the details. */
  public StatusRuntimeException toStatus() {
    RetryInfo retry =
        RetryInfo.newBuilder()
            .setRetryDelay(
                com.google.protobuf.Duration.newBuilder()
                    .setSeconds(retryAfterMillis / 1000)
                    .setNanos((int) (retryAfterMillis % 1000) * 1_000_000))
            .build();
    return StatusProto.toStatusRuntimeException(
        com.google.rpc.Status.newBuilder()
            .setCode(Code.RESOURCE_EXHAUSTED_VALUE)
            .setMessage(getMessage())
            .addDetails(Any.pack(retry))
            .build());
  }
}
