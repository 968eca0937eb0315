package io.roster.node.domain;

/**
 * A lease found past its expiry by a sweep.
 *
 * @param key the instance
 * @param epoch the registration the lease belongs to
 * @param expiresAtMillis when it expired
 * @param declared whether the leader already declared it expired (the instance is unhealthy and
 *     waits out the grace before removal)
 * @param seq the lease's health sequence
 */
public record ExpiredLease(
    InstanceKey key, long epoch, long expiresAtMillis, boolean declared, long seq) {}
