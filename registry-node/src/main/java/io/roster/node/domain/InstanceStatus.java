package io.roster.node.domain;

/** Whether an instance takes work, as set by itself or by an operator. */
public enum InstanceStatus {
  /** Takes traffic. */
  UP,
  /** Listed among healthy instances but marked: callers send it no new work. */
  DRAINING,
  /** Listed only when unhealthy instances are asked for. */
  OUT_OF_SERVICE
}
