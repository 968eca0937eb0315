package io.roster.client;

/**
 * Picks from one snapshot; built by a strategy once per snapshot.
 *
 * <p>Threading: immutable or lock-free; called by any number of threads.
 */
interface EndpointPicker {

  /** A picker that never has an endpoint. */
  EndpointPicker NONE = hashKey -> null;

  /**
   * @param hashKey the request's key, or null; only the ring hash uses it
   * @return the pick, or null when no endpoint may take the request
   */
  Pick pick(String hashKey);
}
