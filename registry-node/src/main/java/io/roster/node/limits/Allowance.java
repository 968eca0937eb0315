package io.roster.node.limits;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The budgets one call draws on: its caller's and its connection's ({@link Admission}). Carried in
 * the call's Context ({@link #KEY}) from the entry point.
 *
 * <p>Thread-safe.
 */
public final class Allowance {

  /** The allowance of the call running on this thread. */
  public static final Context.Key<Allowance> KEY = Context.key("roster.allowance");

  /** For calls with no limit: limits off, or made inside the node (tests, benchmarks). */
  static final Allowance UNLIMITED = new Allowance(null, "", null, null, null, "");

  /** HTTP/2's GOAWAY code for a peer that generates excessive load (RFC 9113 section 7). */
  static final long ENHANCE_YOUR_CALM = 0xb;

  private final Admission admission;
  private final String caller;
  private final Budget callerBudget;
  private final Budget connectionBudget;
  private final HttpConnection connection;
  private final String remote;

  Allowance(
      Admission admission,
      String caller,
      Budget callerBudget,
      Budget connectionBudget,
      HttpConnection connection,
      String remote) {
    this.admission = admission;
    this.caller = caller;
    this.callerBudget = callerBudget;
    this.connectionBudget = connectionBudget;
    this.connection = connection;
    this.remote = remote;
  }

  /** The allowance of the call running on this thread; unlimited outside an entry point. */
  public static Allowance current() {
    Allowance allowance = KEY.get();
    return allowance == null ? UNLIMITED : allowance;
  }

  /**
   * Spends one call of {@code kind}.
   *
   * @throws LimitExceededException the connection or the caller is over its rate for that kind
   */
  public void spend(CallKind kind) {
    Over over = take(kind);
    if (over != null) {
      throw refused(kind, over);
    }
  }

  /**
   * Spends one heartbeat of a KeepAlive stream.
   *
   * @return null when allowed, else which limit it is over and how long to wait
   */
  public LimitExceededException spendRenewal() {
    Over over = take(CallKind.RENEWAL);
    return over == null ? null : refused(CallKind.RENEWAL, over);
  }

  /**
   * Counts a refusal, and closes the connection of a client that ignores them: past {@code
   * limits.connection.refusals-per-s} within a second, the connection gets a GOAWAY
   * (ENHANCE_YOUR_CALM, saying why) and closes once its calls in flight are answered, this one's
   * refusal included. Called on the connection's event loop.
   */
  private LimitExceededException refused(CallKind kind, Over over) {
    admission.refused(kind);
    LimitExceededException refusal =
        new LimitExceededException(over.limit(), millis(over.waitNanos()));
    int maxRefusals = admission.refusalsPerSecondBeforeClose();
    if (connectionBudget != null
        && connection != null
        && maxRefusals > 0
        && connectionBudget.refusedTooOften(System.nanoTime(), maxRefusals)
        && connectionBudget.markClosing()) {
      String why =
          "more than "
              + maxRefusals
              + " calls refused within a second (limits.connection.refusals-per-s): the client"
              + " does not wait as told; last: "
              + refusal.getMessage();
      admission.closedConnection(remote + ": " + why);
      try {
        connection.goAway(ENHANCE_YOUR_CALM, -1, Buffer.buffer(why));
      } catch (IllegalStateException | UnsupportedOperationException http1) {
        // HTTP/1.x has no GOAWAY: the close below is all it gets.
      }
      connection.shutdown(SHUTDOWN_SECONDS, TimeUnit.SECONDS);
    }
    return refusal;
  }

  /** How long a connection closed for ignoring refusals has to finish the calls it has open. */
  static final long SHUTDOWN_SECONDS = 5;

  /** A rate a call found spent: which limit, and how long until it allows one more. */
  private record Over(String limit, long waitNanos) {}

  private Over take(CallKind kind) {
    if (this == UNLIMITED || kind == CallKind.FREE) {
      return null;
    }
    long now = System.nanoTime();
    if (connectionBudget != null) {
      long wait = connectionBudget.take(kind, now);
      if (wait > 0) {
        return new Over(
            "the connection from "
                + remote
                + " is over this node's limit of "
                + connectionBudget.rate(kind),
            wait);
      }
    }
    long wait = callerBudget.take(kind, now);
    if (wait > 0) {
      if (connectionBudget != null) {
        // Not spent after all: a caller over its limit must not drain its connections too.
        connectionBudget.giveBack(kind);
      }
      return new Over(caller + " is over this node's limit of " + callerBudget.rate(kind), wait);
    }
    return null;
  }

  private static long millis(long nanos) {
    return Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos + 999_999));
  }

  /**
   * Takes a stream slot of the connection and of the caller for a stream about to open.
   *
   * @return what ends the stream's hold on them; runs its work once however often it is called
   * @throws StatusRuntimeException RESOURCE_EXHAUSTED when every slot of either is taken
   */
  public Runnable openStream() {
    if (this == UNLIMITED) {
      return () -> {};
    }
    if (connectionBudget != null && !connectionBudget.openStream()) {
      throw streamRefusal(
          "the connection from " + remote + " has", connectionBudget.streamsLimit());
    }
    if (!callerBudget.openStream()) {
      if (connectionBudget != null) {
        connectionBudget.closeStream();
      }
      throw streamRefusal(caller + " has", callerBudget.streamsLimit());
    }
    AtomicBoolean released = new AtomicBoolean();
    return () -> {
      if (released.compareAndSet(false, true)) {
        callerBudget.closeStream();
        if (connectionBudget != null) {
          connectionBudget.closeStream();
        }
      }
    };
  }

  private StatusRuntimeException streamRefusal(String who, String limit) {
    admission.refusedStream();
    return Status.RESOURCE_EXHAUSTED
        .withDescription(
            who
                + " as many streams open on this node as its limit of "
                + limit
                + ": retry once one of them has closed (one Watch follows up to 256 services; one"
                + " KeepAlive stream renews any number of leases)")
        .asRuntimeException();
  }
}
