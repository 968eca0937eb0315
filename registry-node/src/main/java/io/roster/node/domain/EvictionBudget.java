package io.roster.node.domain;

import java.util.ArrayDeque;

/**
 * How many leases the leader may still declare expired when the silence looks like the registry's
 * own fault: at most a share of the registry in any sliding minute (and never fewer than a floor,
 * so a small registry can still lose a dead instance). The minute slides: the budget counts the
 * declarations of the last 60 s, so "15 % per minute" holds over every 60 s, with no full bucket at
 * the start and no refill within the same minute.
 *
 * <p>Every declaration is counted, including those of a failure the policy judged confined to a few
 * services and let through at once, so a wider failure that follows finds the budget spent by it.
 *
 * <p>Not thread-safe: used by the leader's sweep only. Time comes in as arguments.
 */
public final class EvictionBudget {

  static final long WINDOW_MILLIS = 60_000;

  private final double sharePerMinute;
  private final int minimumPerMinute;

  /** When each declaration of the last window was made, oldest first. */
  private final ArrayDeque<Long> declaredAt = new ArrayDeque<>();

  /**
   * @param sharePerMinute fraction of the registry that may be declared expired in any 60 s (0.15
   *     for 15 %)
   * @param minimumPerMinute declarations allowed in any 60 s however small the registry
   */
  public EvictionBudget(double sharePerMinute, int minimumPerMinute) {
    if (!(sharePerMinute > 0 && sharePerMinute <= 1)) {
      throw new IllegalArgumentException(
          "share per minute must be in (0, 1], got " + sharePerMinute);
    }
    if (minimumPerMinute < 1) {
      throw new IllegalArgumentException("minimum per minute must be at least 1");
    }
    this.sharePerMinute = sharePerMinute;
    this.minimumPerMinute = minimumPerMinute;
  }

  /** Declarations allowed in any 60 s for a registry of {@code registrySize} instances. */
  public int capacity(int registrySize) {
    return (int) Math.max(minimumPerMinute, Math.floor(sharePerMinute * registrySize));
  }

  /** Declarations still allowed at {@code nowMillis}: the capacity less the last 60 s's. */
  public int available(int registrySize, long nowMillis) {
    forgetBefore(nowMillis - WINDOW_MILLIS);
    return Math.max(0, capacity(registrySize) - declaredAt.size());
  }

  /** Counts {@code count} declarations made at {@code nowMillis}. */
  public void spend(int count, long nowMillis) {
    for (int i = 0; i < count; i++) {
      declaredAt.addLast(nowMillis);
    }
  }

  /** Declarations made in the 60 s up to {@code nowMillis}. */
  public int spentInLastMinute(long nowMillis) {
    forgetBefore(nowMillis - WINDOW_MILLIS);
    return declaredAt.size();
  }

  public double sharePerMinute() {
    return sharePerMinute;
  }

  public int minimumPerMinute() {
    return minimumPerMinute;
  }

  private void forgetBefore(long cutoffMillis) {
    while (!declaredAt.isEmpty() && declaredAt.peekFirst() <= cutoffMillis) {
      declaredAt.removeFirst();
    }
  }
}
