package io.roster.node.domain;

/**
 * One registered instance as the registry holds it: the registered spec plus the registry's own
 * state. Immutable; every change makes a new record with a new revision.
 *
 * @param spec what the instance registered
 * @param status whether it takes work
 * @param lease the registry's view of its heartbeats
 * @param epoch grows by one on every registration of the same key
 * @param revision revision of the service at which this record last changed
 * @param registeredAtMillis when the current epoch was registered
 */
public record InstanceRecord(
    InstanceSpec spec,
    InstanceStatus status,
    LeaseCondition lease,
    long epoch,
    long revision,
    long registeredAtMillis) {

  public InstanceKey key() {
    return spec.key();
  }

  public String instanceId() {
    return spec.key().instanceId();
  }

  public boolean healthy() {
    return lease.healthy();
  }

  /** Healthy and taking work (DRAINING counts: it is listed, marked, until it leaves). */
  public boolean serving() {
    return lease.healthy() && status != InstanceStatus.OUT_OF_SERVICE;
  }

  InstanceRecord withStatus(InstanceStatus newStatus, long newRevision) {
    return new InstanceRecord(spec, newStatus, lease, epoch, newRevision, registeredAtMillis);
  }

  InstanceRecord withLease(LeaseCondition newLease, long newRevision) {
    return new InstanceRecord(spec, status, newLease, epoch, newRevision, registeredAtMillis);
  }
}
