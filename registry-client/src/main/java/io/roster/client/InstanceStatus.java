package io.roster.client;

/** Whether an instance takes work, as the instance itself or an operator sets it. */
public enum InstanceStatus {
  /** Takes traffic. */
  UP,
  /** Still listed, but callers send it no new work while it finishes what it has. */
  DRAINING,
  /** Listed only among unhealthy instances; gets no traffic. */
  OUT_OF_SERVICE
}
