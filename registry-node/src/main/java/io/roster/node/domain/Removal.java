package io.roster.node.domain;

/**
 * A removed instance, kept for a while so a delta can tell a follower that it is gone.
 *
 * <p>Only its id: a follower drops what it holds under that id when it holds an older revision, and
 * tells its own Watch streams from the record it held. Keeping the whole record would cost each
 * service up to {@link ServiceState#MAX_REMOVALS_RETAINED} records on the owner and on the backup
 * long after the instances left (about 0.7 KB each).
 *
 * @param revision revision of the service at which the instance was removed
 * @param instanceId id of the removed instance
 */
public record Removal(long revision, String instanceId) {}
