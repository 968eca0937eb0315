package io.roster.node.domain;

/**
 * One visible change of one instance, as watchers are told of it.
 *
 * @param kind what happened
 * @param record the instance after the change; for {@link Kind#REMOVED}, as it was last seen
 * @param revision the service's revision at which the change happened
 */
public record InstanceChange(Kind kind, InstanceRecord record, long revision) {

  /** What happened to the instance. */
  public enum Kind {
    /** Registered for the first time, or again after removal. */
    ADDED,
    /** Registered again, or changed in more than one respect. */
    UPDATED,
    /** Only its status changed. */
    STATUS_CHANGED,
    /** Only its health changed. */
    HEALTH_CHANGED,
    /** Deregistered or evicted. */
    REMOVED
  }
}
