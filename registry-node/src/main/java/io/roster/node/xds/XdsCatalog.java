package io.roster.node.xds;

import io.grpc.Status;
import io.roster.node.domain.Incarnation;
import io.roster.node.domain.InvalidArgumentException;
import io.roster.node.domain.ServiceKey;
import io.roster.node.domain.ServiceView;
import io.roster.node.view.LocalView;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Every resource the node serves, as of its {@link LocalView} (as {@link XdsHub} hands it on): what
 * a name of a type stands for now, for one client.
 *
 * <p>Which resources exist: a Listener or Cluster exists for every service this node's view knows
 * in this incarnation (registered at some time, even if it has no instance now), so a mistyped
 * target gets the client's "does not exist" at once. A RouteConfiguration or ClusterLoadAssignment
 * exists for any well-formed name: clients reach them through a Listener or Cluster, and the
 * state-of-the-world protocol cannot take either back; a service with no instances has an empty
 * assignment. A name that is malformed, or of a namespace the caller may not read, does not exist
 * for that caller, with an error saying why.
 *
 * <p>Threading: any thread; reads the view without locks.
 */
public final class XdsCatalog {

  private final Views view;
  private final Incarnation incarnation;
  private final EndpointAssignments assignments;

  /**
   * @param view the services as the streams' news has them ({@link XdsHub#views})
   */
  public XdsCatalog(Views view, Incarnation incarnation) {
    this.view = view;
    this.incarnation = incarnation;
    this.assignments = new EndpointAssignments(EndpointAssignments.DEFAULT_MAX_BYTES);
  }

  /** Where the catalog reads services. */
  public interface Views {
    /** The view of a service; an empty view at revision 0 for a service never seen. */
    ServiceView get(ServiceKey service);

    /** Every service's view. */
    Iterable<ServiceView> all();
  }

  /** Who asks: the namespaces it may read, and its own zone (empty: none). */
  public record Client(Predicate<String> mayRead, String zone) {}

  /**
   * What {@code name} of {@code type} is for {@code client} now: the resource, or why there is none
   * ({@code error} null: the service is unknown; else INVALID_ARGUMENT or PERMISSION_DENIED).
   */
  public record Lookup(XdsResource resource, Status error) {
    static Lookup found(XdsResource resource) {
      return new Lookup(resource, null);
    }

    static final Lookup UNKNOWN = new Lookup(null, null);
  }

  /** The resource {@code name} of {@code type} for {@code client}, or why there is none. */
  public Lookup find(ResourceType type, String name, Client client) {
    ServiceKey key;
    try {
      key = XdsNames.parse(name);
    } catch (InvalidArgumentException e) {
      return new Lookup(null, Status.INVALID_ARGUMENT.withDescription(e.getMessage()));
    }
    if (!client.mayRead().test(key.namespace())) {
      return new Lookup(
          null,
          Status.PERMISSION_DENIED.withDescription(
              "this caller may not read namespace \""
                  + key.namespace()
                  + "\" (resource "
                  + name
                  + "): that needs the role read (or admin) there"));
    }
    ServiceView current = view.get(key);
    return switch (type) {
      case LISTENER ->
          current.revision() == 0 ? Lookup.UNKNOWN : Lookup.found(XdsResources.listener(name, key));
      case CLUSTER ->
          current.revision() == 0 ? Lookup.UNKNOWN : Lookup.found(XdsResources.cluster(name, key));
      case ROUTE -> Lookup.found(XdsResources.route(name, key));
      case ENDPOINT ->
          Lookup.found(assignments.assignment(name, current, client.zone(), incarnation.current()));
    };
  }

  /** Whether this node's view knows {@code service} in this incarnation. */
  boolean known(ServiceKey service) {
    return view.get(service).revision() > 0;
  }

  /**
   * The names a client following every resource of {@code type} gets: the canonical name of every
   * service it may read, for Cluster; none for Listener (the node serves no listeners for servers
   * or proxies, only those clients name), nor for the types that cannot be followed so.
   */
  public List<String> wildcardNames(ResourceType type, Client client) {
    List<String> names = new ArrayList<>();
    if (type != ResourceType.CLUSTER) {
      return names;
    }
    for (ServiceView service : view.all()) {
      if (service.revision() > 0 && client.mayRead().test(service.key().namespace())) {
        names.add(XdsNames.canonical(service.key()));
      }
    }
    names.sort(null);
    return names;
  }

  /** The service a name stands for, or null when it stands for none (malformed). */
  static ServiceKey serviceOrNull(String name) {
    try {
      return XdsNames.parse(name);
    } catch (InvalidArgumentException e) {
      return null;
    }
  }
}
