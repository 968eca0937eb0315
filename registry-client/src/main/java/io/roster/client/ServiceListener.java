package io.roster.client;

/**
 * Follows the endpoints of one service, see {@link RosterClient#watch}.
 *
 * <p>Threading: called on the client's event thread, one call at a time, in revision order. Must
 * not block for long: every listener and watch of the client waits meanwhile.
 */
@FunctionalInterface
public interface ServiceListener {
  /** The endpoints changed (or, on subscribing, what the client holds now). */
  void onUpdate(ServiceEndpoints endpoints);

  /**
   * No registry node has answered for longer than the configured maximum staleness, so the client
   * stops serving these endpoints (never called with the default, which never drops them). {@link
   * #onUpdate} follows once a node answers again.
   */
  default void onStale(RosterException error) {}
}
