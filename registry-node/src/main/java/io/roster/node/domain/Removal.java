package io.roster.node.domain;

/**
 * A removed instance, kept for a while so a delta can tell a follower that it is gone.
 *
 * @param revision revision of the service at which the instance was removed
 * @param last the instance as it was just before removal
 */
public record Removal(long revision, InstanceRecord last) {}
