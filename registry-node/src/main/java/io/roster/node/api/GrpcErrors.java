package io.roster.node.api;

import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.core.MemberLeftException;
import com.hazelcast.core.OperationTimeoutException;
import com.hazelcast.spi.exception.RetryableException;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.roster.node.domain.InvalidArgumentException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns failures into the status a caller sees. Bad input becomes INVALID_ARGUMENT with the
 * validator's message; a cluster that cannot take the call now becomes UNAVAILABLE ("retry on
 * another node"); anything else is INTERNAL, logged with its stack trace, with no detail leaked.
 */
final class GrpcErrors {

  private static final Logger log = LoggerFactory.getLogger(GrpcErrors.class);

  /** Bad-input log lines per second at most, so a hostile client cannot flood the log. */
  private static final long INVALID_LOGS_PER_SECOND = 20;

  private static final AtomicLong invalidLogSecond = new AtomicLong();
  private static final AtomicLong invalidLogsThisSecond = new AtomicLong();
  private static final AtomicLong unavailableLogSecond = new AtomicLong();

  private GrpcErrors() {}

  static StatusRuntimeException toStatus(String method, Throwable failure) {
    Throwable cause = unwrap(failure);
    if (cause instanceof StatusRuntimeException status) {
      return status;
    }
    if (cause instanceof InvalidArgumentException invalid) {
      logInvalid(method, invalid);
      return Status.INVALID_ARGUMENT.withDescription(invalid.getMessage()).asRuntimeException();
    }
    if (cause instanceof SplitBrainProtectionException) {
      logUnavailable(method, "cut off from the majority");
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
      logUnavailable(method, cause.toString());
      return Status.UNAVAILABLE
          .withDescription(
              "this node cannot reach the cluster's storage right now ("
                  + cause.getClass().getSimpleName()
                  + "): retry, preferably on another node")
          .asRuntimeException();
    }
    log.error("{} failed unexpectedly", method, cause);
    return Status.INTERNAL
        .withDescription("internal error in " + method + "; the node logged the details")
        .asRuntimeException();
  }

  /**
   * One line per second at most: while a node is cut off or leaving, every call fails the same way,
   * and the first line says it all.
   */
  private static void logUnavailable(String method, String why) {
    long second = System.currentTimeMillis() / 1000;
    if (unavailableLogSecond.getAndSet(second) != second) {
      log.warn("{} answered UNAVAILABLE: {}", method, why);
    }
  }

  private static Throwable unwrap(Throwable failure) {
    Throwable cause = failure;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }

  private static void logInvalid(String method, InvalidArgumentException invalid) {
    long second = System.currentTimeMillis() / 1000;
    if (invalidLogSecond.getAndSet(second) != second) {
      invalidLogsThisSecond.set(0);
    }
    if (invalidLogsThisSecond.incrementAndGet() <= INVALID_LOGS_PER_SECOND) {
      log.info("{} refused: {}", method, invalid.getMessage());
    }
  }
}
