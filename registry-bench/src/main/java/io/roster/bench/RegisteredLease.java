package io.roster.bench;

import io.roster.v1.RegisterResponse;

/**
 * An instance the bench registered and the lease it holds.
 *
 * @param service service name
 * @param instanceId instance id within the service
 * @param leaseId lease to renew
 * @param epoch registration epoch, sent with every heartbeat and the final deregistration
 * @param ttlMillis TTL the node granted
 * @param heartbeatIntervalMillis how often the node asks for a heartbeat (a third of the TTL)
 */
record RegisteredLease(
    String service,
    String instanceId,
    String leaseId,
    long epoch,
    long ttlMillis,
    long heartbeatIntervalMillis) {

  /** The lease {@code response} granted to an instance of {@code service}. */
  static RegisteredLease granted(String service, RegisterResponse response) {
    return new RegisteredLease(
        service,
        response.getInstanceId(),
        response.getLeaseId(),
        response.getEpoch(),
        BenchContext.millis(response.getGrantedTtl()),
        BenchContext.millis(response.getHeartbeatInterval()));
  }
}
