package io.roster.client;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What went wrong in a call to the registry, as a code the caller can act on and a message that
 * says what to do. Unchecked: every public method of the client may throw it, and none throws
 * anything checked.
 *
 * <p>The codes follow the registry's own status codes where one applies (see the {@code roster.v1}
 * protos), so a message from a registry node reaches the caller unchanged.
 */
public final class RosterException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** Why a call failed, and so what the caller can do about it. */
  public enum Code {
    /** A value broke the registry's rules (the message names the field): fix the call. */
    INVALID_ARGUMENT,
    /** The instance or lease is unknown to the registry. */
    NOT_FOUND,
    /** The instance was registered again since (a newer epoch): this handle no longer owns it. */
    FAILED_PRECONDITION,
    /**
     * No registry node answered, or the endpoints held are older than the configured maximum
     * staleness: retry later.
     */
    UNAVAILABLE,
    /** A node took longer than the call timeout. */
    DEADLINE_EXCEEDED,
    /** A limit of the client or registry was reached (the message says which). */
    RESOURCE_EXHAUSTED,
    /** The registry refused the caller's credentials. */
    UNAUTHENTICATED,
    /** The caller may not do this. */
    PERMISSION_DENIED,
    /** The waiting thread was interrupted, or the call was cancelled. */
    CANCELLED,
    /** The client was closed: create a new one. */
    CLOSED,
    /** Anything else: a bug in the client or the registry; the message and cause say more. */
    INTERNAL
  }

  private final Code code;
  private final transient Duration retryAfter;

  public RosterException(Code code, String message) {
    this(code, message, (Throwable) null);
  }

  public RosterException(Code code, String message, Throwable cause) {
    this(code, message, cause, null);
  }

  /** A refusal that says when to try again ({@code retryAfter} may be null: it does not). */
  public RosterException(Code code, String message, Duration retryAfter) {
    this(code, message, null, retryAfter);
  }

  private RosterException(Code code, String message, Throwable cause, Duration retryAfter) {
    super(code + ": " + Objects.requireNonNull(message, "message"), cause);
    this.code = Objects.requireNonNull(code, "code");
    this.retryAfter = retryAfter;
  }

  public Code code() {
    return code;
  }

  /**
   * How long the registry asked the caller to wait before trying again: set for RESOURCE_EXHAUSTED
   * when a node refused the call for a rate limit (its {@code google.rpc.RetryInfo}).
   */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }
}
