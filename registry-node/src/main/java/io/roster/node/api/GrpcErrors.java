package io.roster.node.api;

import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.core.MemberLeftException;
import com.hazelcast.core.OperationTimeoutException;
import com.hazelcast.spi.exception.RetryableException;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.roster.node.domain.InvalidArgumentException;
import io.roster.node.domain.OwnedByAnotherException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Turns failures into the status a caller sees. Bad input becomes INVALID_ARGUMENT with the
 * validator's message; a cluster that cannot take the call now becomes UNAVAILABLE ("retry on
 * another node"); anything else is INTERNAL, logged with its stack trace, with no detail leaked.
 * Every line goes through {@link RequestLog}: rate limited per kind, caller values escaped.
 *
 * <p>Stateless; safe on any thread.
 */
public final class GrpcErrors {

  private GrpcErrors() {}

  /** The status {@code failure} of {@code method} answers with; logged here, and only here. */
  public static StatusRuntimeException toStatus(String method, Throwable failure) {
    return toStatus(method, failure, RequestLog.About.NOTHING);
  }

  /**
   * As {@link #toStatus(String, Throwable)}, the line saying what the call was about as key-values.
   */
  public static StatusRuntimeException toStatus(
      String method, Throwable failure, RequestLog.About about) {
    Throwable cause = unwrap(failure);
    if (cause instanceof StatusRuntimeException status) {
      Status.Code code = status.getStatus().getCode();
      if (code == Status.Code.PERMISSION_DENIED || code == Status.Code.RESOURCE_EXHAUSTED) {
        // A caller trying what its roles or its limits do not allow: worth a line, as any
        // refusal is.
        RequestLog.refused(method, status.getStatus().getDescription(), about);
      }
      return status;
    }
    if (cause instanceof OwnedByAnotherException owned) {
      RequestLog.refused(method, owned.getMessage(), about);
      return Status.PERMISSION_DENIED.withDescription(owned.getMessage()).asRuntimeException();
    }
    if (cause instanceof LeaseIds.UnknownLeaseException unknown) {
      // Not the message the caller gets: that one quotes the lease id whole, and a log keeps no
      // tag (it may be a real lease id of another cluster, or of this one under an older secret).
      RequestLog.refused(method, unknown.withoutTag(), about);
      return Status.NOT_FOUND.withDescription(unknown.getMessage()).asRuntimeException();
    }
    if (cause instanceof InvalidArgumentException invalid) {
      RequestLog.refused(method, invalid.getMessage(), about);
      return Status.INVALID_ARGUMENT.withDescription(invalid.getMessage()).asRuntimeException();
    }
    if (cause instanceof SplitBrainProtectionException) {
      RequestLog.unavailable(method, "cut off from the majority", about);
      return Status.UNAVAILABLE
          .withDescription(
              "this node is cut off from the majority of the cluster and takes no writes:"
                  + " retry on another node")
          .asRuntimeException();
    }
    if (cause instanceof HazelcastInstanceNotActiveException
        || cause instanceof MemberLeftException
        || cause instanceof OperationTimeoutException
        || cause instanceof RetryableException) {
      RequestLog.unavailable(method, cause.toString(), about);
      return Status.UNAVAILABLE
          .withDescription(
              "this node cannot reach the cluster's storage right now ("
                  + cause.getClass().getSimpleName()
                  + "): retry, preferably on another node")
          .asRuntimeException();
    }
    RequestLog.unexpected(method, cause, about);
    return internal(method);
  }

  /** INTERNAL, saying where to look and nothing more. */
  static StatusRuntimeException internal(String method) {
    return Status.INTERNAL
        .withDescription("internal error in " + method + "; the node logged the details")
        .asRuntimeException();
  }

  private static Throwable unwrap(Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }
}
