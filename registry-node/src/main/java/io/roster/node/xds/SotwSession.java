package io.roster.node.xds;

import io.grpc.xds.shaded.io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.xds.shaded.io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.xds.shaded.io.envoyproxy.envoy.service.discovery.v3.ResourceError;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * One state-of-the-world ADS stream ({@code StreamAggregatedResources}), as the xDS protocol has
 * it:
 *
 * <ul>
 *   <li>Each request names every resource of its type the client follows; the first of Listener or
 *       Cluster with no name, or any with {@code *}, follows all of them (Cluster: every service
 *       the caller may read; Listener: none, see {@link XdsCatalog#wildcardNames}).
 *   <li>A request that carries the nonce of the last response of its type ACKs it, or NACKs it with
 *       {@code error_detail}: the NACK is reported once, nothing is resent, and the stream goes on
 *       from the last version the client accepted. One with an older nonce still says what the
 *       client follows (requests arrive in order, so the last one is the truth).
 *   <li>Newly followed names are answered at once. A Listener or Cluster response holds every one
 *       followed that exists (one missing does not exist); a RouteConfiguration or
 *       ClusterLoadAssignment response holds those that changed or were newly followed.
 *   <li>{@code version_info} describes what the client holds of the type after the response: the
 *       version of its one resource, or a digest of all, so every node sends the same versions for
 *       the same registry state.
 *   <li>A name that stands for no service the caller may read does not exist for it, and is
 *       reported once in {@code resource_errors}; the stream goes on, since one stream carries
 *       every channel of a client process.
 * </ul>
 *
 * <p>Not thread-safe: one stream's event loop drives it.
 */
public final class SotwSession extends AdsSession {

  /** Types in the order responses go out: a Cluster before its endpoints, as the protocol asks. */
  private static final List<ResourceType> ORDER =
      List.of(
          ResourceType.CLUSTER, ResourceType.LISTENER, ResourceType.ENDPOINT, ResourceType.ROUTE);

  public SotwSession(
      XdsCatalog catalog, Predicate<String> mayRead, Following following, Reporter reporter) {
    super(catalog, mayRead, following, reporter);
  }

  /**
   * Takes a request in.
   *
   * @return whether it made the stream follow names it did not follow before
   * @throws io.grpc.StatusRuntimeException INVALID_ARGUMENT for a type the node does not serve,
   *     RESOURCE_EXHAUSTED past {@value #MAX_NAMES_PER_TYPE} names of a type: the stream ends
   */
  public boolean onRequest(DiscoveryRequest request) {
    ResourceType type = type(request.getTypeUrl());
    client(request.getNode());
    TypeState state = state(type);
    acknowledged(
        state, request.getResponseNonce(), request.hasErrorDetail(), request.getErrorDetail());
    boolean first = !state.started;
    state.started = true;
    List<String> requested = request.getResourceNamesList();
    Set<String> names = new LinkedHashSet<>(requested);
    boolean wildcard;
    if (requested.isEmpty()) {
      // The legacy wildcard: an empty first request, and every empty one after it.
      wildcard = type.fullState() && (first || state.wildcard);
    } else {
      wildcard = type.fullState() && names.remove("*");
    }
    boolean wildcardStarted = wildcard && !state.wildcard;
    state.wildcard = wildcard;
    checkLimit(type, names.size());
    int added = 0;
    for (String name : names) {
      if (!state.names.contains(name)) {
        added++;
      }
    }
    for (String name : List.copyOf(state.names)) {
      if (!names.contains(name)) {
        remove(state, name);
      }
    }
    for (String name : names) {
      add(state, name);
    }
    if (added > 0 || wildcardStarted || (first && type.fullState())) {
      state.answerDue = true;
      state.wildcardDue |= wildcard;
    }
    return added > 0 || wildcardStarted;
  }

  /** The next response due, built from the registry now, or null when none is. */
  public DiscoveryResponse nextResponse() {
    for (ResourceType type : ORDER) {
      TypeState state = state(type);
      if (!state.started || !state.hasWork()) {
        continue;
      }
      DiscoveryResponse response = type.fullState() ? fullState(state) : changed(state);
      if (response != null) {
        return response;
      }
    }
    return null;
  }

  /** Every Listener or Cluster followed that exists, if that differs from what the client holds. */
  private DiscoveryResponse fullState(TypeState state) {
    boolean mustAnswer = state.answerDue;
    state.answerDue = false;
    state.wildcardDue = false;
    state.due.clear();
    Set<String> names = new LinkedHashSet<>(state.names);
    if (state.wildcard) {
      names.addAll(catalog.wildcardNames(state.type, client()));
    }
    Map<String, XdsResource> found = new TreeMap<>();
    List<ResourceError> errors = new ArrayList<>();
    for (String name : names) {
      XdsCatalog.Lookup lookup = catalog.find(state.type, name, client());
      if (lookup.resource() != null) {
        found.put(name, lookup.resource());
      } else if (lookup.error() != null) {
        ResourceError error = errorOnce(state, name, lookup.error());
        if (error != null) {
          errors.add(error);
        }
      }
    }
    Map<String, String> held = new LinkedHashMap<>();
    found.forEach((name, resource) -> held.put(name, resource.version()));
    if (!mustAnswer && errors.isEmpty() && held.equals(state.held)) {
      return null;
    }
    state.held = held;
    DiscoveryResponse.Builder response = response(state).addAllResourceErrors(errors);
    found.values().forEach(resource -> response.addResources(resource.body()));
    return response.build();
  }

  /** The RouteConfigurations or ClusterLoadAssignments that changed or were newly followed. */
  private DiscoveryResponse changed(TypeState state) {
    List<String> due = List.copyOf(state.due);
    state.due.clear();
    state.answerDue = false;
    state.wildcardDue = false;
    List<XdsResource> resources = new ArrayList<>();
    List<ResourceError> errors = new ArrayList<>();
    for (String name : due) {
      if (!state.names.contains(name)) {
        continue;
      }
      XdsCatalog.Lookup lookup = catalog.find(state.type, name, client());
      if (lookup.resource() != null) {
        if (!lookup.resource().version().equals(state.held.get(name))) {
          resources.add(lookup.resource());
          state.held.put(name, lookup.resource().version());
        }
      } else if (lookup.error() != null) {
        ResourceError error = errorOnce(state, name, lookup.error());
        if (error != null) {
          errors.add(error);
        }
      }
    }
    if (resources.isEmpty() && errors.isEmpty()) {
      return null;
    }
    DiscoveryResponse.Builder response = response(state).addAllResourceErrors(errors);
    resources.forEach(resource -> response.addResources(resource.body()));
    return response.build();
  }

  private DiscoveryResponse.Builder response(TypeState state) {
    state.nonce = nextNonce();
    return DiscoveryResponse.newBuilder()
        .setTypeUrl(state.type.typeUrl())
        .setVersionInfo(versionOf(state.held))
        .setNonce(state.nonce);
  }
}
