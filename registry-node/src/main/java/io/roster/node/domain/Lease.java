package io.roster.node.domain;

/**
 * The liveness contract of one registration.
 *
 * @param epoch the registration the lease belongs to
 * @param ttlMillis time-to-live granted; each renewal extends the lease by this much from then
 * @param expiresAtMillis when the lease ends without a further renewal, in clock milliseconds
 */
public record Lease(long epoch, long ttlMillis, long expiresAtMillis) {

  public boolean expiredAt(long nowMillis) {
    return nowMillis >= expiresAtMillis;
  }
}
