package io.roster.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Members renewed in turn, each once per interval, spread evenly over time: every tick earns the
 * round the renewals the time since the last tick is worth (its member count per interval), and
 * spends them on the next members in order. One round per stream of regular heartbeats: Roster's
 * KeepAlive lanes ({@link KeepAliveLanes}) and etcd's LeaseKeepAlive streams ({@link EtcdPeer}).
 *
 * <p>A round falls at most one round behind: after a stall it sends one round, never an avalanche.
 *
 * <p>Not thread-safe: one scheduler thread owns it.
 *
 * @param <T> a member: what is renewed (a lease, an instance's index)
 */
final class PacedRound<T> {
  private final List<T> members = new ArrayList<>();
  private int cursor;
  private double credit;

  void add(T member) {
    members.add(member);
  }

  int size() {
    return members.size();
  }

  boolean isEmpty() {
    return members.isEmpty();
  }

  /** Owes a full round at once: after a pause (a stream reopened) every member may be due. */
  void oweFullRound() {
    credit = members.size();
  }

  /** Forgets what the round was owed: after a pause it starts from nothing, not a full round. */
  void dropCredit() {
    credit = 0;
  }

  /**
   * Earns what {@code elapsedNanos} is worth at one renewal of each member per {@code
   * intervalNanos}, and renews that many members in turn with {@code renew}; one that returns false
   * (the stream refused it) stops the tick, and the credit waits for the next.
   */
  void pace(long elapsedNanos, long intervalNanos, Predicate<T> renew) {
    if (members.isEmpty() || intervalNanos <= 0) {
      return;
    }
    credit += (double) members.size() * elapsedNanos / intervalNanos;
    credit = Math.min(credit, members.size());
    int steps = (int) credit;
    for (int s = 0; s < steps; s++) {
      if (!renew.test(members.get(cursor))) {
        return;
      }
      cursor = (cursor + 1) % members.size();
      credit -= 1;
    }
  }
}
