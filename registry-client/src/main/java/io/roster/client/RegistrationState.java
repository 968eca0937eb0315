package io.roster.client;

/** Where a {@link Registration} stands. */
public enum RegistrationState {
  /** The registry holds the lease and the last heartbeat was answered. */
  ACTIVE,
  /**
   * The client is moving to another node, or registering again after the registry answered that it
   * no longer knows the lease; the lease itself may still be valid. Back to ACTIVE on its own.
   */
  RECONNECTING,
  /**
   * For good: another process registered the same instance since (STALE_EPOCH), or the registry
   * refused the lease. Nothing is renewed any more; register again to come back.
   */
  LOST,
  /** {@link Registration#close()} drained and deregistered the instance. */
  CLOSED
}
