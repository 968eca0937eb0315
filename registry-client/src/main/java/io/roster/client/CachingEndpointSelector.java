package io.roster.client;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * An {@link EndpointSelector} that rebuilds its picker only when the snapshot changes: it compares
 * the snapshot's instance list by identity (snapshots are replaced whole, and a copy that only
 * differs in age shares the list).
 *
 * <p>Threading: lock-free. Two threads that see a new snapshot at once may both build a picker; one
 * wins the field, both are correct, and state that must survive (round-robin position, requests in
 * flight) lives in the strategy.
 */
final class CachingEndpointSelector implements EndpointSelector {

  private final Supplier<ServiceEndpoints> source;
  private final EndpointStrategy strategy;
  private volatile Built built;

  CachingEndpointSelector(Supplier<ServiceEndpoints> source, EndpointStrategy strategy) {
    this.source = Objects.requireNonNull(source, "source");
    this.strategy = Objects.requireNonNull(strategy, "strategy");
  }

  @Override
  public Optional<Pick> pick() {
    return pick(null);
  }

  @Override
  public Optional<Pick> pick(String hashKey) {
    return Optional.ofNullable(picker(source.get()).pick(hashKey));
  }

  @Override
  public ServiceEndpoints endpoints() {
    return source.get();
  }

  private EndpointPicker picker(ServiceEndpoints endpoints) {
    Built current = built;
    if (current == null || current.instances != endpoints.instances()) {
      current = new Built(endpoints.instances(), strategy.newPicker(endpoints.instances()));
      built = current;
    }
    return current.picker;
  }

  private record Built(List<ServiceInstance> instances, EndpointPicker picker) {}
}
