package io.roster.node.limits;

import io.roster.node.config.NodeConfig;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What one holder (a connection, or a caller over all its connections) may still spend: a bucket
 * per kind of call with a rate, and a count of its open streams.
 *
 * <p>Thread-safe.
 */
final class Budget {

  private final NodeConfig.Rates rates;
  private final String scope;
  private final TokenBucket writes;
  private final TokenBucket renewals;
  private final TokenBucket reads;
  private final AtomicInteger streams = new AtomicInteger();
  private volatile long usedAtNanos;
  private long refusalSecondStartNanos;
  private int refusalsThisSecond;
  private boolean closing;

  /**
   * @param scope whose budget this is, "connection" or "caller", as in the configuration keys
   *     ({@code limits.caller.*}), for messages
   */
  Budget(NodeConfig.Rates rates, double burstSeconds, String scope, long nowNanos) {
    this.rates = rates;
    this.scope = scope;
    this.writes = bucket(rates.writesPerSecond(), burstSeconds, nowNanos);
    this.renewals = bucket(rates.renewalsPerSecond(), burstSeconds, nowNanos);
    this.reads = bucket(rates.readsPerSecond(), burstSeconds, nowNanos);
    this.usedAtNanos = nowNanos;
    this.refusalSecondStartNanos = nowNanos;
  }

  private static TokenBucket bucket(int perSecond, double burstSeconds, long nowNanos) {
    return perSecond == 0
        ? null
        : new TokenBucket(perSecond, Math.max(1, perSecond * burstSeconds), nowNanos);
  }

  /** Spends one call of {@code kind}: 0 when allowed, else nanoseconds until it would be. */
  long take(CallKind kind, long nowNanos) {
    usedAtNanos = nowNanos;
    TokenBucket bucket = bucket(kind);
    return bucket == null ? 0 : bucket.take(nowNanos);
  }

  /** Gives back the call of {@code kind} just taken, which another limit refused. */
  void giveBack(CallKind kind) {
    TokenBucket bucket = bucket(kind);
    if (bucket != null) {
      bucket.giveBack();
    }
  }

  private TokenBucket bucket(CallKind kind) {
    return switch (kind) {
      case WRITE -> writes;
      case RENEWAL -> renewals;
      case READ -> reads;
      case FREE -> null;
    };
  }

  /**
   * Counts a refusal of this holder's calls; true once more than {@code maxPerSecond} were refused
   * within one second (counted in whole seconds since the first), and for every refusal after that
   * in the same second.
   */
  synchronized boolean refusedTooOften(long nowNanos, int maxPerSecond) {
    if (nowNanos - refusalSecondStartNanos >= 1_000_000_000L) {
      refusalSecondStartNanos = nowNanos;
      refusalsThisSecond = 0;
    }
    return ++refusalsThisSecond > maxPerSecond;
  }

  /**
   * The rate of {@code kind} and its key, for a refusal's message: "500 writes a second per caller
   * (limits.caller.writes-per-s)".
   */
  String rate(CallKind kind) {
    int perSecond =
        switch (kind) {
          case WRITE -> rates.writesPerSecond();
          case RENEWAL -> rates.renewalsPerSecond();
          case READ -> rates.readsPerSecond();
          case FREE -> 0;
        };
    return perSecond
        + " "
        + kind.plural()
        + " a second per "
        + scope
        + " (limits."
        + scope
        + "."
        + kind.plural()
        + "-per-s"
        + ")";
  }

  /** Takes a stream slot; false when all are taken (nothing taken). */
  boolean openStream() {
    int max = rates.streams();
    if (max == 0) {
      streams.incrementAndGet();
      return true;
    }
    while (true) {
      int open = streams.get();
      if (open >= max) {
        return false;
      }
      if (streams.compareAndSet(open, open + 1)) {
        return true;
      }
    }
  }

  /** Marks the holder's connection as being closed; true the first time only. */
  synchronized boolean markClosing() {
    if (closing) {
      return false;
    }
    closing = true;
    return true;
  }

  void closeStream() {
    streams.decrementAndGet();
  }

  int openStreams() {
    return streams.get();
  }

  String streamsLimit() {
    return rates.streams() + " per " + scope + " (limits." + scope + ".streams)";
  }

  /** Whether nothing used this budget since {@code nanos} and it holds no stream. */
  boolean idleSince(long nanos) {
    return usedAtNanos - nanos < 0 && streams.get() == 0;
  }
}
