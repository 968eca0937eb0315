package io.roster.client;

import java.util.Objects;

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

  public RosterException(Code code, String message) {
    this(code, message, null);
  }

  public RosterException(Code code, String message, Throwable cause) {
    super(code + ": " + Objects.requireNonNull(message, "message"), cause);
    this.code = Objects.requireNonNull(code, "code");
  }

  public Code code() {
    return code;
  }
}
