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
   * The client has no endpoints to give: no registry node has answered for longer than the
   * configured maximum staleness, so it stops serving the ones it holds (never, with the default,
   * which never drops them); or it holds none of this service yet and every node failed in a row
   * (the error names what each said), or the registry refused the client's credentials
   * (UNAUTHENTICATED, PERMISSION_DENIED). Called once until the next update: {@link #onUpdate}
   * follows once a node answers again.
   */
  default void onStale(RosterException error) {}
}
