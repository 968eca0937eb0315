package io.roster.node.domain;

/**
 * Outcome of a heartbeat.
 *
 * @param outcome what happened
 * @param ttlMillis time-to-live granted when {@link Outcome#RENEWED}
 * @param currentEpoch the lease's epoch (0 when {@link Outcome#NOT_FOUND})
 * @param revived whether the renewal revived a lease the leader had declared expired: the instance
 *     record must then be marked healthy again, with {@code seq}
 * @param seq the lease's health sequence after the renewal
 */
public record RenewResult(
    Outcome outcome, long ttlMillis, long currentEpoch, boolean revived, long seq) {

  /** What a heartbeat did. */
  public enum Outcome {
    /** The lease was extended by its TTL from now. */
    RENEWED,
    /** No such lease (never registered, deregistered or evicted): register again. */
    NOT_FOUND,
    /** The instance registered again since: this caller's epoch is stale. */
    STALE_EPOCH
  }

  public static RenewResult notFound() {
    return new RenewResult(Outcome.NOT_FOUND, 0, 0, false, 0);
  }

  public static RenewResult stale(long currentEpoch) {
    return new RenewResult(Outcome.STALE_EPOCH, 0, currentEpoch, false, 0);
  }
}
