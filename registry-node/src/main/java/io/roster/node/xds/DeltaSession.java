package io.roster.node.xds;

import io.grpc.xds.shaded.io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.grpc.xds.shaded.io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.grpc.xds.shaded.io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.xds.shaded.io.envoyproxy.envoy.service.discovery.v3.ResourceError;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * One incremental ADS stream ({@code DeltaAggregatedResources}), as the xDS protocol has it:
 *
 * <ul>
 *   <li>Requests subscribe and unsubscribe names; {@code *}, or a first request of Listener or
 *       Cluster subscribing nothing, follows every resource of the type. The first request of a
 *       type may say which versions the client holds already ({@code initial_resource_versions},
 *       after a reconnection): only what differs is sent, and what no longer exists is removed.
 *   <li>A response holds the resources that changed or were newly subscribed, each with its
 *       version, and in {@code removed_resources} those the client holds that no longer exist, or
 *       that it subscribed and that do not exist (so it need not wait for a timeout).
 *   <li>ACK and NACK by nonce as in the state-of-the-world variant ({@link SotwSession}); a NACK is
 *       reported once and the stream goes on.
 *   <li>A name that stands for no service the caller may read is removed and reported once in
 *       {@code resource_errors}.
 * </ul>
 *
 * <p>Not thread-safe: one stream's event loop drives it.
 */
public final class DeltaSession extends AdsSession {

  /** Types in the order responses go out: a Cluster before its endpoints, as the protocol asks. */
  private static final List<ResourceType> ORDER =
      List.of(
          ResourceType.CLUSTER, ResourceType.LISTENER, ResourceType.ENDPOINT, ResourceType.ROUTE);

  public DeltaSession(
      XdsCatalog catalog, Predicate<String> mayRead, Following following, Reporter reporter) {
    super(catalog, mayRead, following, reporter);
  }

  /**
   * Takes a request in.
   *
   * @return whether it subscribed names the stream did not follow before
   * @throws io.grpc.StatusRuntimeException INVALID_ARGUMENT for a type the node does not serve,
   *     RESOURCE_EXHAUSTED past {@value #MAX_NAMES_PER_TYPE} names of a type: the stream ends
   */
  public boolean onRequest(DeltaDiscoveryRequest request) {
    ResourceType type = type(request.getTypeUrl());
    client(request.getNode());
    TypeState state = state(type);
    acknowledged(
        state, request.getResponseNonce(), request.hasErrorDetail(), request.getErrorDetail());
    boolean first = !state.started;
    state.started = true;
    if (first && request.getResourceNamesSubscribeCount() == 0 && type.fullState()) {
      state.wildcard = true; // the legacy wildcard
      state.wildcardDue = true;
    }
    Set<String> subscribe = new LinkedHashSet<>(request.getResourceNamesSubscribeList());
    boolean wildcardAsked = type.fullState() && subscribe.remove("*");
    int fresh = 0;
    for (String name : subscribe) {
      if (!state.names.contains(name)) {
        fresh++;
      }
    }
    checkLimit(type, state.names.size() + fresh);
    boolean newlyFollowing = fresh > 0 || (wildcardAsked && !state.wildcard);
    if (wildcardAsked) {
      state.wildcard = true;
      state.wildcardDue = true;
    }
    for (String name : subscribe) {
      if (state.names.contains(name)) {
        // Asked again: the client wants it again, whatever it holds.
        state.held.remove(name);
        state.due.add(name);
      } else {
        add(state, name);
        state.unanswered.add(name);
      }
    }
    for (String name : request.getResourceNamesUnsubscribeList()) {
      if (name.equals("*") && type.fullState()) {
        state.wildcard = false;
      } else {
        remove(state, name);
      }
    }
    if (first) {
      for (Map.Entry<String, String> held : request.getInitialResourceVersionsMap().entrySet()) {
        if (state.wildcard || state.names.contains(held.getKey())) {
          state.held.put(held.getKey(), held.getValue());
          state.due.add(held.getKey());
        }
      }
    }
    return newlyFollowing;
  }

  /** The next response due, built from the registry now, or null when none is. */
  public DeltaDiscoveryResponse nextResponse() {
    for (ResourceType type : ORDER) {
      TypeState state = state(type);
      if (!state.started || !state.hasWork()) {
        continue;
      }
      DeltaDiscoveryResponse response = changes(state);
      if (response != null) {
        return response;
      }
    }
    return null;
  }

  private DeltaDiscoveryResponse changes(TypeState state) {
    Set<String> candidates = new LinkedHashSet<>(state.due);
    state.due.clear();
    if (state.wildcardDue) {
      candidates.addAll(catalog.wildcardNames(state.type, client()));
      candidates.addAll(state.held.keySet()); // so that those gone are removed
      state.wildcardDue = false;
    }
    state.answerDue = false;
    List<Resource> resources = new ArrayList<>();
    List<String> removed = new ArrayList<>();
    List<ResourceError> errors = new ArrayList<>();
    for (String name : candidates) {
      boolean explicit = state.names.contains(name);
      if (!explicit && !state.wildcard) {
        continue; // unsubscribed since it became due
      }
      XdsCatalog.Lookup lookup = catalog.find(state.type, name, client());
      XdsResource resource = lookup.resource();
      if (resource != null) {
        if (!resource.version().equals(state.held.get(name))) {
          resources.add(
              Resource.newBuilder()
                  .setName(name)
                  .setVersion(resource.version())
                  .setResource(resource.body())
                  .build());
          state.held.put(name, resource.version());
        }
      } else {
        if (lookup.error() != null && explicit) {
          ResourceError error = errorOnce(state, name, lookup.error());
          if (error != null) {
            errors.add(error);
          }
        }
        if (state.held.remove(name) != null || state.unanswered.contains(name)) {
          removed.add(name);
        }
      }
      state.unanswered.remove(name);
    }
    if (resources.isEmpty() && removed.isEmpty() && errors.isEmpty()) {
      return null;
    }
    state.nonce = nextNonce();
    return DeltaDiscoveryResponse.newBuilder()
        .setTypeUrl(state.type.typeUrl())
        .setSystemVersionInfo(versionOf(state.held))
        .setNonce(state.nonce)
        .addAllResources(resources)
        .addAllRemovedResources(removed)
        .addAllResourceErrors(errors)
        .build();
  }
}
