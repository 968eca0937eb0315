package io.roster.client.internal;

import io.roster.client.InstanceStatus;
import io.roster.client.ServiceInstance;
import io.roster.v1.DeregisterRequest;
import io.roster.v1.DeregisterResponse;
import io.roster.v1.InstanceKey;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import io.roster.v1.SetStatusRequest;
import io.roster.v1.SetStatusResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The unary RegistryService calls a registration makes, each with the call timeout and moving on to
 * the next node when one does not answer ({@link RegistryNodes#call}). Status and deregistration
 * carry the registration's epoch, so they never act on a successor registered by another process.
 *
 * <p>Threading: stateless; results complete on gRPC threads.
 */
final class RegistryCalls {

  private final RegistryNodes nodes;
  private final String namespace;

  RegistryCalls(RegistryNodes nodes, String namespace) {
    this.nodes = nodes;
    this.namespace = namespace;
  }

  CompletableFuture<RegisterResponse> register(RegisterRequest request) {
    return nodes.call(
        "Register " + request.getInstance().getService(),
        (channel, deadlineMillis, observer) ->
            RegistryServiceGrpc.newStub(channel)
                .withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS)
                .register(request, observer));
  }

  /**
   * Sets the status of the registration {@code leaseId} names, proving with it that this client
   * made the registration (a node that checks access requires it of callers that are not admins).
   */
  CompletableFuture<SetStatusResponse> setStatus(
      ServiceInstance instance, String leaseId, InstanceStatus status) {
    SetStatusRequest request =
        SetStatusRequest.newBuilder()
            .setKey(key(instance))
            .setStatus(Protos.toProto(status))
            .setEpoch(instance.epoch())
            .setLeaseId(leaseId)
            .build();
    return nodes.call(
        "SetStatus " + status + " of " + name(instance),
        (channel, deadlineMillis, observer) ->
            RegistryServiceGrpc.newStub(channel)
                .withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS)
                .setStatus(request, observer));
  }

  /** Deregisters the registration {@code leaseId} names, as {@link #setStatus} proves it. */
  CompletableFuture<DeregisterResponse> deregister(ServiceInstance instance, String leaseId) {
    DeregisterRequest request =
        DeregisterRequest.newBuilder()
            .setKey(key(instance))
            .setEpoch(instance.epoch())
            .setLeaseId(leaseId)
            .build();
    return nodes.call(
        "Deregister " + name(instance),
        (channel, deadlineMillis, observer) ->
            RegistryServiceGrpc.newStub(channel)
                .withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS)
                .deregister(request, observer));
  }

  private InstanceKey key(ServiceInstance instance) {
    return InstanceKey.newBuilder()
        .setNamespace(namespace)
        .setService(instance.service())
        .setInstanceId(instance.instanceId())
        .build();
  }

  private static String name(ServiceInstance instance) {
    return instance.service() + "/" + instance.instanceId() + "@" + instance.epoch();
  }
}
