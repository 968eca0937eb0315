package io.roster.node.store;

import io.roster.node.domain.ExpiredLease;
import io.roster.node.domain.InstanceKey;
import io.roster.node.domain.InstanceSpec;
import io.roster.node.domain.InstanceStatus;
import io.roster.node.domain.LeaderFence;
import io.roster.node.domain.Lease;
import io.roster.node.domain.LeaseCondition;
import io.roster.node.domain.MutationResult;
import io.roster.node.domain.OwnedByAnotherException;
import io.roster.node.domain.Registered;
import io.roster.node.domain.RenewResult;
import io.roster.node.domain.RenewalPace;
import io.roster.node.domain.ServiceDelta;
import io.roster.node.domain.ServiceKey;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * Where the registry's instances and leases live. Every change to one service is applied in one
 * place, in order, and moves that service's revision; followers learn of changes through {@link
 * #onServiceChanged} and fetch what they missed with {@link #changesSince}.
 *
 * <p>Threading: every method may be called from any thread and never blocks; the stages complete on
 * the store's own threads (never a caller's event loop), so callers hop back to theirs. Listeners
 * are called on the store's threads, must not block, and may be called more than once for one
 * change (the revision in {@link #changesSince} makes that harmless).
 */
public interface RegistryStore {

  /**
   * Registers an instance, or registers it again with a higher epoch, and grants its lease; fails
   * with {@link OwnedByAnotherException} when its id is registered by another owner and {@code
   * mayTakeOver} is false.
   */
  CompletionStage<Registered> register(InstanceSpec spec, long ttlMillis, boolean mayTakeOver);

  /** Registers as {@link #register(InstanceSpec, long, boolean)} does, taking over any owner's. */
  default CompletionStage<Registered> register(InstanceSpec spec, long ttlMillis) {
    return register(spec, ttlMillis, true);
  }

  /** Removes an instance and ends its lease; {@code epoch} 0 matches any epoch. */
  CompletionStage<MutationResult> deregister(InstanceKey key, long epoch);

  /** Sets whether an instance takes work; {@code epoch} 0 matches any epoch. */
  CompletionStage<MutationResult> setStatus(InstanceKey key, InstanceStatus status, long epoch);

  /**
   * Extends a lease by its TTL from now; {@code epoch} 0 skips the epoch check. {@code pace} says
   * whether a caller waits on the answer or the write may wait for others to share it.
   */
  CompletionStage<RenewResult> renew(InstanceKey key, long epoch, RenewalPace pace);

  /**
   * Leases past their expiry by more than {@code slackMillis}, declared expired or not. Each member
   * looks only at the leases it owns; only the expired ones travel.
   */
  CompletionStage<List<ExpiredLease>> expiredLeases(long slackMillis);

  /**
   * Declares a lease expired if it still is now (a renewal may have just arrived); answers the
   * lease's new health sequence, or -1 when nothing was declared. Refused (-1) under a stale fence.
   */
  CompletionStage<Long> declareExpired(ExpiredLease lease, LeaderFence fence);

  /**
   * Records the lease condition on the instance (unhealthy after a declaration, healthy after a
   * revival); applied only when newer, by lease sequence, than the one the instance holds.
   */
  CompletionStage<MutationResult> setLeaseCondition(
      InstanceKey key, long epoch, LeaseCondition condition);

  /**
   * Removes a lease declared expired at least {@code graceMillis} ago, then its instance (that
   * epoch only, so a registration made meanwhile survives); answers whether it removed anything.
   */
  CompletionStage<Boolean> evict(ExpiredLease lease, long graceMillis, LeaderFence fence);

  /** Gives every live lease at least a full TTL from now (a new leader's first act). */
  CompletionStage<Void> extendAllLeases();

  /**
   * The {@link io.roster.node.domain.LeaseDigest} of the leases of every service that holds any:
   * compared with the digest of the instances the service lists, it tells where an instance may
   * have lost its lease.
   */
  CompletionStage<Map<ServiceKey, Long>> leaseDigests();

  /** Per service asked for, the epoch of the lease each instance holds. */
  CompletionStage<Map<ServiceKey, Map<String, Long>>> leasedEpochs(Set<ServiceKey> services);

  /**
   * Gives an instance listed without a lease one that has already run out (see {@link
   * io.roster.node.domain.LeaseTable#adopt}); answers whether it did.
   */
  CompletionStage<Boolean> adoptUnleased(InstanceKey key, long epoch, long ttlMillis, long seq);

  /**
   * The leases of a service's instances, by instance id (empty for a service without any): for
   * operators, who see each lease's expiry. A read of one entry, answered by its owner.
   */
  CompletionStage<Map<String, Lease>> leases(ServiceKey service);

  /** What changed in a service after a revision (a snapshot for 0 or when history is gone). */
  CompletionStage<ServiceDelta> changesSince(ServiceKey key, long revision);

  /** The current revision of every service the store holds. */
  CompletionStage<Map<ServiceKey, Long>> revisions();

  /**
   * Calls the listener with the service's key whenever a service changes, wherever the change was
   * made. Delivery is best effort; followers also compare {@link #revisions()} now and then.
   */
  void onServiceChanged(Consumer<ServiceKey> listener);
}
