package io.roster.client;

import java.util.Optional;
import java.util.function.Supplier;

/**
 * Picks endpoints of one service with one {@link EndpointStrategy}, over the current snapshot of
 * its endpoints. The strategy's picker is built once per snapshot (totals precomputed) and reused
 * until the snapshot changes.
 *
 * <p>Threading: lock-free; any number of threads may pick at once.
 */
public interface EndpointSelector {

  /**
   * Picks an endpoint for a request.
   *
   * @return empty when no endpoint may take new work (none healthy, or all DRAINING or weight 0)
   * @throws RosterException UNAVAILABLE when the client has no endpoints for the service (no
   *     registry node answered yet) or they are older than the maximum staleness
   */
  Optional<Pick> pick();

  /**
   * Picks an endpoint for a request with a hash key, e.g. the caller's address or a user id: the
   * ring-hash strategy sends the same key to the same endpoint while it is there; the other
   * strategies ignore the key.
   */
  Optional<Pick> pick(String hashKey);

  /** The snapshot the selector picks from now. */
  ServiceEndpoints endpoints();

  /**
   * A selector over whatever {@code endpoints} supplies at each pick (for example {@code () ->
   * client.discover("orders")}, which is what {@link RosterClient#selector} does). The supplier
   * must be cheap: it runs at every pick; a new picker is built only when it supplies a new
   * snapshot.
   */
  static EndpointSelector over(Supplier<ServiceEndpoints> endpoints, EndpointStrategy strategy) {
    return new CachingEndpointSelector(endpoints, strategy);
  }
}
