package io.roster.node.domain;

/**
 * Outcome of a registration.
 *
 * @param record the instance as stored, with its new epoch and revision
 * @param grantedTtlMillis lease time-to-live granted
 */
public record Registered(InstanceRecord record, long grantedTtlMillis) {}
