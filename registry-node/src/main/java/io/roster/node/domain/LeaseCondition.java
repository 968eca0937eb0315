package io.roster.node.domain;

/**
 * The registry's view of an instance's heartbeats: the "lease" health condition.
 *
 * @param healthy whether heartbeats arrive in time
 * @param reason machine-readable cause, e.g. {@code HeartbeatsOk}
 * @param message human-readable detail
 * @param sinceMillis when {@code healthy} last changed, in clock milliseconds
 * @param seq the lease's health sequence this condition reflects (see {@link Lease#seq})
 */
public record LeaseCondition(
    boolean healthy, String reason, String message, long sinceMillis, long seq) {

  public static final String REASON_OK = "HeartbeatsOk";
  public static final String REASON_STOPPED = "HeartbeatsStopped";

  public static LeaseCondition ok(long nowMillis) {
    return new LeaseCondition(true, REASON_OK, "lease renewed in time", nowMillis, 0);
  }

  public static LeaseCondition revived(long nowMillis, long seq) {
    return new LeaseCondition(true, REASON_OK, "heartbeats resumed", nowMillis, seq);
  }

  public static LeaseCondition expired(long nowMillis, long seq) {
    return new LeaseCondition(
        false, REASON_STOPPED, "no heartbeat within the lease TTL", nowMillis, seq);
  }
}
