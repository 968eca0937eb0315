package io.roster.node.domain;

/** How soon a heartbeat must be written: whether someone is waiting on its answer. */
public enum RenewalPace {
  /**
   * A caller waits for the answer (a unary {@code Heartbeat}): written as soon as nothing else is
   * being written to the same member, with whatever waits for that member.
   */
  AT_ONCE,
  /**
   * Sent on a KeepAlive stream, whose sender goes on without waiting for answers: may wait up to
   * the renewal window for other heartbeats bound for the same member, so that a fleet at rest
   * costs a few writes per window instead of one per heartbeat.
   */
  WINDOWED
}
