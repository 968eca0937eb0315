package io.roster.node.domain;

/**
 * Outcome of a change to one instance.
 *
 * @param outcome what happened
 * @param revision the service's revision after the call
 * @param currentEpoch the instance's epoch (for a removal, the removed one's; 0 when not found)
 */
public record MutationResult(Outcome outcome, long revision, long currentEpoch) {

  /** What a mutation did. */
  public enum Outcome {
    /** The change was made; the revision moved. */
    APPLIED,
    /** The instance already was in the asked state; nothing changed. */
    UNCHANGED,
    /** No such instance. */
    NOT_FOUND,
    /** The caller's epoch is not the instance's current one. */
    STALE_EPOCH
  }
}
