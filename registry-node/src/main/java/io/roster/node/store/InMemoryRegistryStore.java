package io.roster.node.store;

import io.roster.node.domain.ExpiredLease;
import io.roster.node.domain.InstanceKey;
import io.roster.node.domain.InstanceSpec;
import io.roster.node.domain.InstanceStatus;
import io.roster.node.domain.LeaderFence;
import io.roster.node.domain.Lease;
import io.roster.node.domain.LeaseCondition;
import io.roster.node.domain.LeaseTable;
import io.roster.node.domain.MutationResult;
import io.roster.node.domain.OwnedByAnotherException;
import io.roster.node.domain.Registered;
import io.roster.node.domain.RenewResult;
import io.roster.node.domain.RenewalPace;
import io.roster.node.domain.ServiceDelta;
import io.roster.node.domain.ServiceKey;
import io.roster.node.domain.ServiceState;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A store in one process's memory: for tests of everything above the store, and the reference the
 * Hazelcast store is checked against (both pass {@code RegistryStoreContract}).
 *
 * <p>Threading: one lock guards all state; stages complete and listeners run on a private
 * single-thread executor, as the Hazelcast store's complete on its own threads.
 */
public final class InMemoryRegistryStore implements RegistryStore, AutoCloseable {

  private final Clock clock;
  private final Object lock = new Object();

  /** Guarded by {@link #lock}. */
  private final Map<ServiceKey, ServiceState> services = new HashMap<>();

  /** Guarded by {@link #lock}. */
  private final Map<ServiceKey, LeaseTable> leases = new HashMap<>();

  private final List<Consumer<ServiceKey>> listeners = new CopyOnWriteArrayList<>();
  private final ExecutorService callbacks =
      Executors.newSingleThreadExecutor(
          runnable -> {
            Thread thread = new Thread(runnable, "in-memory-store");
            thread.setDaemon(true);
            return thread;
          });

  public InMemoryRegistryStore(Clock clock) {
    this.clock = clock;
  }

  @Override
  public CompletionStage<Registered> register(
      InstanceSpec spec, long ttlMillis, boolean mayTakeOver) {
    ServiceKey key = spec.key().serviceKey();
    try {
      return withEvent(
          key,
          () -> {
            long now = clock.millis();
            ServiceState state = services.computeIfAbsent(key, ServiceState::new);
            if (!mayTakeOver && state.ownedByAnother(spec)) {
              throw new OwnedByAnotherException(spec.key());
            }
            var record = state.register(spec, now);
            leases
                .computeIfAbsent(key, k -> new LeaseTable())
                .grant(spec.key().instanceId(), record.epoch(), ttlMillis, now);
            return new Registered(record, ttlMillis);
          });
    } catch (OwnedByAnotherException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public CompletionStage<MutationResult> deregister(InstanceKey key, long epoch) {
    return withEvent(
        key.serviceKey(),
        () -> {
          ServiceState state = services.get(key.serviceKey());
          if (state == null) {
            return new MutationResult(MutationResult.Outcome.NOT_FOUND, 0, 0);
          }
          MutationResult result = state.deregister(key.instanceId(), epoch);
          LeaseTable table = leases.get(key.serviceKey());
          if (result.outcome() == MutationResult.Outcome.APPLIED && table != null) {
            table.revoke(key.instanceId(), 0);
          }
          return result;
        });
  }

  @Override
  public CompletionStage<MutationResult> setStatus(
      InstanceKey key, InstanceStatus status, long epoch) {
    return withEvent(
        key.serviceKey(),
        () -> {
          ServiceState state = services.get(key.serviceKey());
          return state == null
              ? new MutationResult(MutationResult.Outcome.NOT_FOUND, 0, 0)
              : state.setStatus(key.instanceId(), status, epoch);
        });
  }

  @Override
  public CompletionStage<RenewResult> renew(InstanceKey key, long epoch, RenewalPace pace) {
    return withoutEvent(
        () -> {
          LeaseTable table = leases.get(key.serviceKey());
          return table == null
              ? RenewResult.notFound()
              : table.renew(key.instanceId(), epoch, clock.millis());
        });
  }

  @Override
  public CompletionStage<List<ExpiredLease>> expiredLeases(long slackMillis) {
    return withoutEvent(
        () -> {
          List<ExpiredLease> expired = new ArrayList<>();
          long now = clock.millis();
          leases.forEach((key, table) -> expired.addAll(table.findExpired(key, now, slackMillis)));
          return expired;
        });
  }

  @Override
  public CompletionStage<Long> declareExpired(ExpiredLease lease, LeaderFence fence) {
    return withoutEvent(
        () -> {
          LeaseTable table = leases.get(lease.key().serviceKey());
          return table == null
              ? -1L
              : table.declareExpired(
                  lease.key().instanceId(), lease.epoch(), clock.millis(), fence);
        });
  }

  @Override
  public CompletionStage<MutationResult> setLeaseCondition(
      InstanceKey key, long epoch, LeaseCondition condition) {
    return withEvent(
        key.serviceKey(),
        () -> {
          ServiceState state = services.get(key.serviceKey());
          return state == null
              ? new MutationResult(MutationResult.Outcome.NOT_FOUND, 0, 0)
              : state.setLease(key.instanceId(), epoch, condition);
        });
  }

  @Override
  public CompletionStage<Boolean> evict(ExpiredLease lease, long graceMillis, LeaderFence fence) {
    InstanceKey key = lease.key();
    return withEvent(
        key.serviceKey(),
        () -> {
          LeaseTable table = leases.get(key.serviceKey());
          if (table == null
              || !table.revokeExpired(
                  key.instanceId(), lease.epoch(), clock.millis(), graceMillis, fence)) {
            return false;
          }
          ServiceState state = services.get(key.serviceKey());
          if (state != null) {
            state.deregister(key.instanceId(), lease.epoch());
          }
          return true;
        });
  }

  @Override
  public CompletionStage<Void> extendAllLeases() {
    return withoutEvent(
        () -> {
          long now = clock.millis();
          leases.values().forEach(table -> table.extendAll(now));
          return null;
        });
  }

  @Override
  public CompletionStage<Map<ServiceKey, Long>> leaseDigests() {
    return withoutEvent(
        () -> {
          Map<ServiceKey, Long> digests = new HashMap<>();
          leases.forEach(
              (key, table) -> {
                if (!table.isEmpty()) {
                  digests.put(key, table.digest());
                }
              });
          return digests;
        });
  }

  @Override
  public CompletionStage<Map<ServiceKey, Map<String, Long>>> leasedEpochs(
      Set<ServiceKey> services) {
    return withoutEvent(
        () -> {
          Map<ServiceKey, Map<String, Long>> epochs = new HashMap<>();
          for (ServiceKey key : services) {
            LeaseTable table = leases.get(key);
            if (table != null) {
              epochs.put(key, table.epochs());
            }
          }
          return epochs;
        });
  }

  @Override
  public CompletionStage<Boolean> adoptUnleased(
      InstanceKey key, long epoch, long ttlMillis, long seq) {
    return withoutEvent(
        () ->
            leases
                .computeIfAbsent(key.serviceKey(), k -> new LeaseTable())
                .adopt(key.instanceId(), epoch, ttlMillis, clock.millis(), seq));
  }

  @Override
  public CompletionStage<Map<String, Lease>> leases(ServiceKey service) {
    return withoutEvent(
        () -> {
          LeaseTable table = leases.get(service);
          return table == null ? Map.of() : Map.copyOf(table.leases());
        });
  }

  @Override
  public CompletionStage<ServiceDelta> changesSince(ServiceKey key, long revision) {
    return withoutEvent(
        () -> {
          ServiceState state = services.get(key);
          return state == null ? new ServiceState(key).snapshot() : state.changesSince(revision);
        });
  }

  @Override
  public CompletionStage<Map<ServiceKey, Long>> revisions() {
    return withoutEvent(
        () -> {
          Map<ServiceKey, Long> revisions = new HashMap<>();
          services.forEach((key, state) -> revisions.put(key, state.revision()));
          return revisions;
        });
  }

  @Override
  public void onServiceChanged(Consumer<ServiceKey> listener) {
    listeners.add(listener);
  }

  @Override
  public void close() {
    callbacks.shutdownNow();
  }

  private <T> CompletionStage<T> withoutEvent(Supplier<T> action) {
    T result;
    synchronized (lock) {
      result = action.get();
    }
    return CompletableFuture.supplyAsync(() -> result, callbacks);
  }

  private <T> CompletionStage<T> withEvent(ServiceKey key, Supplier<T> action) {
    T result;
    long before;
    long after;
    synchronized (lock) {
      ServiceState state = services.get(key);
      before = state == null ? 0 : state.revision();
      result = action.get();
      state = services.get(key);
      after = state == null ? 0 : state.revision();
      if (after != before) {
        state.committed(clock.millis());
      }
    }
    Executor executor = callbacks;
    if (after != before) {
      executor.execute(() -> listeners.forEach(listener -> listener.accept(key)));
    }
    return CompletableFuture.supplyAsync(() -> result, executor);
  }
}
