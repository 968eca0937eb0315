package io.roster.node.domain;

/**
 * The liveness contract of one registration.
 *
 * @param epoch the registration the lease belongs to
 * @param ttlMillis time-to-live granted; each renewal extends the lease by this much from then
 * @param expiresAtMillis when the lease ends without a further renewal, in clock milliseconds
 * @param expired whether the leader has declared the lease expired (the instance is then marked
 *     unhealthy); a renewal revives it
 * @param seq grows with every expiry and revival of this epoch's lease, so health changes sent to
 *     the instance record apply in the order they happened here, whatever order they arrive in
 */
public record Lease(long epoch, long ttlMillis, long expiresAtMillis, boolean expired, long seq) {

  public boolean expiredAt(long nowMillis) {
    return nowMillis >= expiresAtMillis;
  }
}
