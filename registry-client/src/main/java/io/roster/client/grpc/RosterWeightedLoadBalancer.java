package io.roster.client.grpc;

import io.grpc.Attributes;
import io.grpc.ConnectivityState;
import io.grpc.ConnectivityStateInfo;
import io.grpc.EquivalentAddressGroup;
import io.grpc.LoadBalancer;
import io.grpc.Status;
import io.roster.client.ServiceInstance;
import io.roster.client.internal.SmoothWeightedCycle;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Smooth weighted round-robin over one subchannel per endpoint: every endpoint the resolver hands
 * over is kept connected, and calls go to the READY ones in proportion to their {@link
 * RosterAttributes#WEIGHT}. An endpoint the resolver drops is shut down at once (calls already on
 * it finish).
 *
 * <p>Threading: every method, and every subchannel state callback, runs in the channel's
 * synchronization context (grpc-java's contract), so the fields need no lock. Pickers are immutable
 * and lock-free, called by any thread.
 */
final class RosterWeightedLoadBalancer extends LoadBalancer {

  private final Helper helper;

  /** By address without attributes: a weight change keeps the connection. */
  private final Map<EquivalentAddressGroup, Endpoint> endpoints = new LinkedHashMap<>();

  /** The round-robin position, kept across pickers so a new picker does not restart the cycle. */
  private final AtomicInteger position = new AtomicInteger();

  private ConnectivityState state;
  private Status lastError = Status.UNAVAILABLE.withDescription("no endpoint resolved yet");

  RosterWeightedLoadBalancer(Helper helper) {
    this.helper = helper;
  }

  private static final class Endpoint {
    final Subchannel subchannel;
    int weight;
    ConnectivityStateInfo state = ConnectivityStateInfo.forNonError(ConnectivityState.IDLE);
    boolean removed;

    Endpoint(Subchannel subchannel, int weight) {
      this.subchannel = subchannel;
      this.weight = weight;
    }
  }

  @Override
  public Status acceptResolvedAddresses(ResolvedAddresses resolved) {
    Map<EquivalentAddressGroup, EquivalentAddressGroup> wanted = new HashMap<>();
    for (EquivalentAddressGroup group : resolved.getAddresses()) {
      wanted.put(new EquivalentAddressGroup(group.getAddresses()), group);
    }
    endpoints
        .entrySet()
        .removeIf(
            entry -> {
              if (wanted.containsKey(entry.getKey())) {
                return false;
              }
              entry.getValue().removed = true;
              entry.getValue().subchannel.shutdown();
              return true;
            });
    for (Map.Entry<EquivalentAddressGroup, EquivalentAddressGroup> entry : wanted.entrySet()) {
      int weight = weightOf(entry.getValue().getAttributes());
      Endpoint endpoint = endpoints.get(entry.getKey());
      if (endpoint != null) {
        endpoint.weight = weight;
        endpoint.subchannel.updateAddresses(List.of(entry.getValue()));
        continue;
      }
      Subchannel subchannel =
          helper.createSubchannel(
              CreateSubchannelArgs.newBuilder().setAddresses(entry.getValue()).build());
      Endpoint created = new Endpoint(subchannel, weight);
      endpoints.put(entry.getKey(), created);
      subchannel.start(info -> onStateChange(created, info));
      subchannel.requestConnection();
    }
    if (endpoints.isEmpty()) {
      lastError = Status.UNAVAILABLE.withDescription("the registry lists no healthy endpoint");
    }
    updateBalancingState();
    return Status.OK;
  }

  @Override
  public void handleNameResolutionError(Status error) {
    lastError = error;
    if (state != ConnectivityState.READY) {
      // Keep serving the endpoints held if some are ready; otherwise calls fail with the cause.
      updateBalancingState();
    }
  }

  @Override
  public void requestConnection() {
    for (Endpoint endpoint : endpoints.values()) {
      if (endpoint.state.getState() == ConnectivityState.IDLE) {
        endpoint.subchannel.requestConnection();
      }
    }
  }

  @Override
  public void shutdown() {
    for (Endpoint endpoint : endpoints.values()) {
      endpoint.removed = true;
      endpoint.subchannel.shutdown();
    }
    endpoints.clear();
  }

  private void onStateChange(Endpoint endpoint, ConnectivityStateInfo info) {
    if (endpoint.removed) {
      return;
    }
    endpoint.state = info;
    if (info.getState() == ConnectivityState.IDLE) {
      endpoint.subchannel.requestConnection(); // keep every endpoint connected, as round_robin does
    }
    if (info.getState() == ConnectivityState.TRANSIENT_FAILURE) {
      lastError = info.getStatus();
    }
    updateBalancingState();
  }

  private void updateBalancingState() {
    List<Endpoint> ready = new ArrayList<>();
    boolean connecting = false;
    for (Endpoint endpoint : endpoints.values()) {
      ConnectivityState s = endpoint.state.getState();
      if (s == ConnectivityState.READY && endpoint.weight > 0) {
        ready.add(endpoint);
      } else if (s == ConnectivityState.CONNECTING || s == ConnectivityState.IDLE) {
        connecting = true;
      }
    }
    if (!ready.isEmpty()) {
      update(ConnectivityState.READY, new WeightedPicker(ready, position));
    } else if (connecting) {
      update(
          ConnectivityState.CONNECTING,
          new SubchannelPicker() {
            @Override
            public PickResult pickSubchannel(PickSubchannelArgs args) {
              return PickResult.withNoResult(); // wait for a connection
            }
          });
    } else {
      Status error = lastError;
      update(
          ConnectivityState.TRANSIENT_FAILURE,
          new SubchannelPicker() {
            @Override
            public PickResult pickSubchannel(PickSubchannelArgs args) {
              return PickResult.withError(error);
            }
          });
    }
  }

  private void update(ConnectivityState next, SubchannelPicker picker) {
    state = next;
    helper.updateBalancingState(next, picker);
  }

  private static int weightOf(Attributes attributes) {
    Integer weight = attributes.get(RosterAttributes.WEIGHT);
    if (weight == null) {
      return ServiceInstance.DEFAULT_WEIGHT; // an address from elsewhere: plain round-robin
    }
    return Math.max(0, weight);
  }

  /** Walks a precomputed smooth weighted cycle with an atomic counter: lock-free. */
  private static final class WeightedPicker extends SubchannelPicker {
    private final Subchannel[] subchannels;
    private final int[] cycle;
    private final AtomicInteger position;

    WeightedPicker(List<Endpoint> ready, AtomicInteger position) {
      this.subchannels = new Subchannel[ready.size()];
      int[] weights = new int[ready.size()];
      for (int i = 0; i < weights.length; i++) {
        subchannels[i] = ready.get(i).subchannel;
        weights[i] = ready.get(i).weight;
      }
      this.cycle = SmoothWeightedCycle.of(weights);
      this.position = position;
    }

    @Override
    public PickResult pickSubchannel(PickSubchannelArgs args) {
      int slot = (position.getAndIncrement() & Integer.MAX_VALUE) % cycle.length;
      return PickResult.withSubchannel(subchannels[cycle[slot]]);
    }
  }
}
