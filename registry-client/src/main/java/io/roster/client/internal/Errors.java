package io.roster.client.internal;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.roster.client.RosterException;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Turns gRPC statuses and future outcomes into {@link RosterException}s, so none leaks out. */
public final class Errors {

  private Errors() {}

  /** The exception for {@code status}, with what was being done and on which node. */
  public static RosterException toRoster(Status status, String doing) {
    return new RosterException(code(status.getCode()), doing + ": " + describe(status));
  }

  /** The exception for a status {@code code}, with a message already written. */
  public static RosterException toRoster(Status.Code code, String message) {
    return new RosterException(code(code), message);
  }

  /** {@code failure} as a RosterException: itself, its cause, or a status it carries. */
  public static RosterException toRoster(Throwable failure, String doing) {
    Throwable cause = unwrap(failure);
    if (cause instanceof RosterException roster) {
      return roster;
    }
    Status status = Status.fromThrowable(cause);
    if (status.getCode() == Status.Code.UNKNOWN && status.getDescription() == null) {
      return new RosterException(
          RosterException.Code.INTERNAL,
          doing + ": " + cause,
          cause instanceof Error ? null : cause);
    }
    if (status.getCode() == Status.Code.RESOURCE_EXHAUSTED) {
      return new RosterException(
          RosterException.Code.RESOURCE_EXHAUSTED,
          doing + ": " + describe(status),
          retryAfter(cause));
    }
    return toRoster(status, doing);
  }

  /**
   * The delay a node asked for before a retry ({@code google.rpc.RetryInfo} in the status details
   * of {@code failure}), or null when it gave none.
   */
  public static Duration retryAfter(Throwable failure) {
    com.google.rpc.Status details = StatusProto.fromThrowable(unwrap(failure));
    if (details == null) {
      return null;
    }
    for (Any detail : details.getDetailsList()) {
      if (detail.is(RetryInfo.class)) {
        try {
          com.google.protobuf.Duration delay = detail.unpack(RetryInfo.class).getRetryDelay();
          return Duration.ofSeconds(delay.getSeconds(), delay.getNanos());
        } catch (InvalidProtocolBufferException malformed) {
          return null;
        }
      }
    }
    return null;
  }

  /** The description of a status, or of its cause ("Connection refused") when it has none. */
  public static String describe(Status status) {
    String text = status.getCode().toString();
    if (status.getDescription() != null) {
      text += " " + status.getDescription();
    }
    if (status.getCause() != null && status.getCause().getMessage() != null) {
      text += " (" + status.getCause().getMessage() + ")";
    }
    return text;
  }

  /** Whether another node may answer where this one failed with {@code code}. */
  public static boolean tryAnotherNode(Status.Code code) {
    return code == Status.Code.UNAVAILABLE
        || code == Status.Code.DEADLINE_EXCEEDED
        || code == Status.Code.RESOURCE_EXHAUSTED
        || code == Status.Code.INTERNAL
        || code == Status.Code.UNKNOWN;
  }

  /**
   * Waits for {@code future} at most {@code max}, turning every outcome but a value into a
   * RosterException.
   */
  public static <T> T await(CompletableFuture<T> future, Duration max, String doing) {
    try {
      return future.get(max.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RosterException(RosterException.Code.CANCELLED, doing + ": interrupted", e);
    } catch (TimeoutException e) {
      throw new RosterException(
          RosterException.Code.DEADLINE_EXCEEDED,
          doing + ": no answer within " + max.toMillis() + " ms");
    } catch (ExecutionException | CancellationException e) {
      throw toRoster(e, doing);
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

  private static RosterException.Code code(Status.Code code) {
    return switch (code) {
      case INVALID_ARGUMENT, OUT_OF_RANGE -> RosterException.Code.INVALID_ARGUMENT;
      case NOT_FOUND -> RosterException.Code.NOT_FOUND;
      case FAILED_PRECONDITION, ALREADY_EXISTS, ABORTED -> RosterException.Code.FAILED_PRECONDITION;
      case UNAVAILABLE -> RosterException.Code.UNAVAILABLE;
      case DEADLINE_EXCEEDED -> RosterException.Code.DEADLINE_EXCEEDED;
      case RESOURCE_EXHAUSTED -> RosterException.Code.RESOURCE_EXHAUSTED;
      case UNAUTHENTICATED -> RosterException.Code.UNAUTHENTICATED;
      case PERMISSION_DENIED -> RosterException.Code.PERMISSION_DENIED;
      case CANCELLED -> RosterException.Code.CANCELLED;
      default -> RosterException.Code.INTERNAL;
    };
  }
}
