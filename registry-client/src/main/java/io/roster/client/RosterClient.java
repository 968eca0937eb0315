package io.roster.client;

import io.roster.client.internal.DefaultRosterClient;

/**
 * The entry point: registers this process's instances and finds other services' endpoints, from a
 * cluster of registry nodes, riding out the loss of any of them.
 *
 * <pre>{@code
 * try (RosterClient roster = RosterClient.create(RosterClientOptions.local().build());
 *     Registration registration =
 *         roster.register(ServiceInstance.builder("orders", "10.0.0.7", 8080).build())) {
 *   ServiceEndpoints payments = roster.discover("payments");
 * }
 * }</pre>
 *
 * <p>One client holds one KeepAlive stream (for all its registrations) and one Watch stream (for
 * all the services it follows), each on one registry node at a time. Create one per process and
 * share it.
 *
 * <p>Threading: every method may be called from any thread. Listeners are called on one event
 * thread of the client, in order.
 */
public interface RosterClient extends AutoCloseable {

  /**
   * A client for the registry nodes the options name. Connects lazily: nothing is called until the
   * first registration or discovery (a snapshot file is read at once).
   *
   * @throws IllegalArgumentException when the options cannot work (see {@link
   *     RosterClientOptions.Builder#build()})
   */
  static RosterClient create(RosterClientOptions options) {
    return DefaultRosterClient.create(options);
  }

  /**
   * Registers {@code instance} and keeps it alive until the registration is closed, see {@link
   * Registration}. Blocks until a registry node accepted it.
   *
   * @throws RosterException INVALID_ARGUMENT when the registry refused a field (the message names
   *     it); UNAUTHENTICATED or PERMISSION_DENIED when it refused the client's credentials (the
   *     message says which option or grant to change; never retried); UNAVAILABLE when no node
   *     answered, each within the call timeout; CLOSED after {@link #close()}
   */
  Registration register(ServiceInstance instance);

  /**
   * The endpoints of {@code service} from the client's cache. The first call for a service starts
   * following it on the client's Watch stream and waits (at most twice the call timeout) for its
   * first snapshot, unless the snapshot file already held it; later calls answer from memory
   * without blocking. While no registry node answers, the last known endpoints are served with
   * their {@link ServiceEndpoints#age() age}.
   *
   * @throws RosterException UNAVAILABLE when no snapshot arrived in time, or the one held is older
   *     than the maximum staleness; UNAUTHENTICATED or PERMISSION_DENIED at once when the registry
   *     refused the client's credentials and nothing of the service is held (each such discover
   *     asks again); RESOURCE_EXHAUSTED past 256 services; CLOSED after {@link #close()}
   */
  ServiceEndpoints discover(String service);

  /**
   * Follows {@code service}: {@code listener} gets what the client holds now (if anything), then
   * every change, in revision order, until the subscription is closed. Does not block: with no
   * registry node reachable, the listener is called once one answers, and told why it waits ({@link
   * ServiceListener#onStale}) once every node has failed while the client holds nothing of the
   * service.
   *
   * @throws RosterException RESOURCE_EXHAUSTED past 256 services; CLOSED after {@link #close()}
   */
  Subscription watch(String service, ServiceListener listener);

  /**
   * Picks endpoints of {@code service} with {@code strategy}, over the client's cache (see {@link
   * #discover}). Create one selector per service and strategy, and keep it: some strategies (round
   * robin, least outstanding) keep state across picks.
   */
  default EndpointSelector selector(String service, EndpointStrategy strategy) {
    discover(service); // fails now, not at the first pick, when the service cannot be followed
    return EndpointSelector.over(() -> discover(service), strategy);
  }

  /** The options this client was created with. */
  RosterClientOptions options();

  /**
   * Closes every registration still open (draining and deregistering them together, so one drain
   * delay in all), saves the snapshot file, and releases the connections. Idempotent.
   */
  @Override
  void close();
}
