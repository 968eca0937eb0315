package io.roster.client.grpc;

import io.grpc.Attributes;
import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.StatusOr;
import io.grpc.SynchronizationContext;
import io.roster.client.RosterClient;
import io.roster.client.RosterException;
import io.roster.client.ServiceEndpoints;
import io.roster.client.ServiceInstance;
import io.roster.client.ServiceListener;
import io.roster.client.Subscription;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Follows one service on a {@link RosterClient}'s watch and hands the channel its routable
 * endpoints at each change: pushed, so {@link #refresh()} has nothing to do.
 *
 * <p>Threading: {@link #start}, {@link #refresh} and {@link #shutdown} are called in the channel's
 * synchronization context; watch updates arrive on the client's event thread (where host names are
 * resolved, off the channel's context) and are handed to that context.
 */
final class RosterNameResolver extends NameResolver {

  private final String service;
  private final RosterClient client;
  private final Runnable release;
  private final SynchronizationContext context;
  private final ConfigOrError serviceConfig;
  private Listener2 listener;
  private Subscription subscription;
  private boolean shutdown;

  RosterNameResolver(String service, RosterClient client, Runnable release, Args args) {
    this.service = service;
    this.client = client;
    this.release = release;
    this.context = args.getSynchronizationContext();
    this.serviceConfig =
        args.getServiceConfigParser()
            .parseServiceConfig(
                Map.of(
                    "loadBalancingConfig",
                    List.of(Map.of(RosterWeightedLoadBalancerProvider.POLICY_NAME, Map.of()))));
  }

  @Override
  public String getServiceAuthority() {
    return service;
  }

  @Override
  public void start(Listener2 listener) {
    this.listener = listener;
    try {
      subscription =
          client.watch(
              service,
              new ServiceListener() {
                @Override
                public void onUpdate(ServiceEndpoints endpoints) {
                  List<EquivalentAddressGroup> groups = addressesOf(endpoints);
                  context.execute(() -> publish(groups));
                }

                @Override
                public void onStale(RosterException error) {
                  // Too stale, or nothing held and no node answers: calls (but wait-for-ready
                  // ones) fail with this reason rather than waiting for their deadline.
                  Status status = Status.UNAVAILABLE.withDescription(withoutCode(error));
                  context.execute(() -> fail(status));
                }
              });
    } catch (RosterException e) {
      fail(Status.INVALID_ARGUMENT.withDescription(e.getMessage()));
    }
  }

  @Override
  public void refresh() {
    // Nothing to do: every change is pushed by the watch.
  }

  @Override
  public void shutdown() {
    if (shutdown) {
      return;
    }
    shutdown = true;
    if (subscription != null) {
      subscription.close();
    }
    release.run();
  }

  private void publish(List<EquivalentAddressGroup> groups) {
    if (shutdown) {
      return;
    }
    // An empty list is an answer, not an error: the policy then fails calls at once, where an
    // error would make it keep the endpoints it had, which are the ones that just left.
    listener.onResult2(
        ResolutionResult.newBuilder()
            .setAddressesOrError(StatusOr.fromValue(groups))
            .setServiceConfig(serviceConfig)
            .build());
  }

  private void fail(Status status) {
    if (!shutdown) {
      listener.onError(status);
    }
  }

  /** The message of {@code error} without the code it starts with: the status carries it. */
  private static String withoutCode(RosterException error) {
    String prefix = error.code() + ": ";
    String message = error.getMessage();
    return message.startsWith(prefix) ? message.substring(prefix.length()) : message;
  }

  /** The endpoints that may take new calls, with their weight and zone. */
  static List<EquivalentAddressGroup> addressesOf(ServiceEndpoints endpoints) {
    List<EquivalentAddressGroup> groups = new ArrayList<>();
    for (ServiceInstance instance : endpoints.instances()) {
      if (!instance.isHealthy() || !instance.isRoutable()) {
        continue;
      }
      Attributes attributes =
          Attributes.newBuilder()
              .set(RosterAttributes.WEIGHT, instance.weight())
              .set(RosterAttributes.ZONE, instance.zone())
              .set(RosterAttributes.INSTANCE_ID, instance.instanceId())
              .build();
      groups.add(
          new EquivalentAddressGroup(
              new InetSocketAddress(instance.host(), instance.port()), attributes));
    }
    return groups;
  }
}
