package io.roster.node.store.hazelcast;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.MapEvent;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryMergedListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import com.hazelcast.map.listener.MapClearedListener;
import io.roster.node.domain.ExpiredLease;
import io.roster.node.domain.InstanceKey;
import io.roster.node.domain.InstanceRecord;
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
import io.roster.node.store.RegistryStore;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * The registry in Hazelcast: one entry per service in {@value #SERVICES_MAP} (its instances,
 * revision and recent removals) and one per service in {@value #LEASES_MAP} (its leases). Both maps
 * key by {@code namespace/service}, so a service and its leases share a partition, and every change
 * runs as an entry processor on the partition's owner: ordered per service without locks, and
 * copied to the backup replica before the caller is answered. Writes are committed in groups:
 * heartbeats per member ({@link RenewalBatcher}), the changes of a service per service ({@link
 * ServiceWriteBatcher}).
 *
 * <p>Threading: calls never block; stages complete on Hazelcast threads. Change notifications are
 * key-only entry events, so a change costs each follower one small event, and the follower then
 * reads just the difference ({@link ReadChanges}).
 */
public final class HazelcastRegistryStore implements RegistryStore, AutoCloseable {

  public static final String SERVICES_MAP = "roster-services";
  public static final String LEASES_MAP = "roster-leases";

  private static final MutationResult.Outcome[] MUTATION_OUTCOMES = MutationResult.Outcome.values();

  private final IMap<String, ServiceState> services;
  private final IMap<String, LeaseTable> leases;
  private final Clock clock;
  private final RenewalBatcher renewals;
  private final ServiceWriteBatcher writes;

  /** Runs the calls over all entries (blocking in Hazelcast's API) off callers' threads. */
  private final ExecutorService sweeps =
      Executors.newSingleThreadExecutor(
          runnable -> {
            Thread thread = new Thread(runnable, "roster-revision-sweep");
            thread.setDaemon(true);
            return thread;
          });

  /**
   * @param clock the cluster's clock (see {@code ClusterClock}): lease expiry written by one member
   *     is compared with time on another
   * @param renewalWindowMillis how long heartbeats from KeepAlive streams may wait to share a write
   *     with others bound for the same member
   */
  public HazelcastRegistryStore(
      HazelcastInstance hazelcast, Clock clock, long renewalWindowMillis) {
    this.services = hazelcast.getMap(SERVICES_MAP);
    this.leases = hazelcast.getMap(LEASES_MAP);
    this.clock = clock;
    this.renewals =
        new RenewalBatcher(leases, hazelcast.getPartitionService(), clock, renewalWindowMillis);
    this.writes = new ServiceWriteBatcher(services);
  }

  @Override
  public CompletionStage<Registered> register(
      InstanceSpec spec, long ttlMillis, boolean mayTakeOver) {
    long now = clock.millis();
    // One write: the owner writes the instance and grants its lease together (ApplyServiceWrites).
    return writes
        .write(
            spec.key().serviceKey().asString(),
            new ServiceWrite.Register(spec, ttlMillis, now, mayTakeOver))
        .thenApply(
            raw -> {
              if (raw[0] == ServiceWrite.OWNED_BY_ANOTHER) {
                throw new OwnedByAnotherException(spec.key());
              }
              long revision = raw[1];
              var record =
                  new InstanceRecord(
                      spec, spec.initialStatus(), LeaseCondition.ok(now), revision, revision, now);
              return new Registered(record, ttlMillis);
            });
  }

  @Override
  public CompletionStage<MutationResult> deregister(InstanceKey key, long epoch) {
    // One write: the owner removes the instance and ends its lease together.
    return writes
        .write(key.serviceKey().asString(), new ServiceWrite.Deregister(key.instanceId(), epoch))
        .thenApply(HazelcastRegistryStore::mutation);
  }

  @Override
  public CompletionStage<MutationResult> setStatus(
      InstanceKey key, InstanceStatus status, long epoch) {
    return writes
        .write(
            key.serviceKey().asString(),
            new ServiceWrite.SetStatus(key.instanceId(), status, epoch))
        .thenApply(HazelcastRegistryStore::mutation);
  }

  @Override
  public CompletionStage<RenewResult> renew(InstanceKey key, long epoch, RenewalPace pace) {
    return renewals.renew(key, epoch, pace);
  }

  @Override
  public CompletionStage<List<ExpiredLease>> expiredLeases(long slackMillis) {
    long now = clock.millis();
    return CompletableFuture.supplyAsync(
        () -> {
          List<ExpiredLease> expired = new ArrayList<>();
          for (byte[] found :
              leases.executeOnEntries(new FindExpiredLeases(now, slackMillis)).values()) {
            if (found == null) {
              continue;
            }
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(found))) {
              expired.addAll(RecordCodec.readExpired(in));
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          }
          return expired;
        },
        sweeps);
  }

  @Override
  public CompletionStage<Long> declareExpired(ExpiredLease lease, LeaderFence fence) {
    return leases.submitToKey(
        lease.key().serviceKey().asString(),
        new DeclareExpired(lease.key().instanceId(), lease.epoch(), clock.millis(), fence));
  }

  @Override
  public CompletionStage<MutationResult> setLeaseCondition(
      InstanceKey key, long epoch, LeaseCondition condition) {
    return writes
        .write(
            key.serviceKey().asString(),
            new ServiceWrite.SetLease(key.instanceId(), epoch, condition))
        .thenApply(HazelcastRegistryStore::mutation);
  }

  @Override
  public CompletionStage<Boolean> evict(ExpiredLease lease, long graceMillis, LeaderFence fence) {
    String serviceKey = lease.key().serviceKey().asString();
    String instanceId = lease.key().instanceId();
    return leases
        .submitToKey(
            serviceKey,
            new RevokeExpiredLease(instanceId, lease.epoch(), clock.millis(), graceMillis, fence))
        .thenCompose(
            revoked ->
                !revoked
                    ? CompletableFuture.completedFuture(false)
                    : writes
                        .write(serviceKey, new ServiceWrite.Deregister(instanceId, lease.epoch()))
                        .thenApply(removed -> true));
  }

  @Override
  public CompletionStage<Void> extendAllLeases() {
    long now = clock.millis();
    return CompletableFuture.runAsync(() -> leases.executeOnEntries(new ExtendLeases(now)), sweeps);
  }

  @Override
  public CompletionStage<Map<ServiceKey, Long>> leaseDigests() {
    return CompletableFuture.supplyAsync(
        () -> {
          Map<ServiceKey, Long> digests = new HashMap<>();
          leases
              .executeOnEntries(new DigestLeases())
              .forEach(
                  (key, digest) -> {
                    if (digest != null) {
                      digests.put(ServiceKey.parse(key), digest);
                    }
                  });
          return digests;
        },
        sweeps);
  }

  @Override
  public CompletionStage<Map<ServiceKey, Map<String, Long>>> leasedEpochs(
      Set<ServiceKey> services) {
    Set<String> keys = new HashSet<>();
    services.forEach(service -> keys.add(service.asString()));
    return leases
        .submitToKeys(keys, new ReadLeaseEpochs())
        .thenApply(
            found -> {
              Map<ServiceKey, Map<String, Long>> epochs = new HashMap<>();
              found.forEach(
                  (key, encoded) ->
                      epochs.put(ServiceKey.parse(key), ReadLeaseEpochs.decode(encoded)));
              return epochs;
            });
  }

  @Override
  public CompletionStage<Boolean> adoptUnleased(
      InstanceKey key, long epoch, long ttlMillis, long seq) {
    return leases.submitToKey(
        key.serviceKey().asString(),
        new AdoptLease(key.instanceId(), epoch, ttlMillis, clock.millis(), seq));
  }

  @Override
  public CompletionStage<Map<String, Lease>> leases(ServiceKey service) {
    // The whole table travels: one service's leases, read by an operator now and then.
    return leases
        .getAsync(service.asString())
        .thenApply(table -> table == null ? Map.of() : Map.copyOf(table.leases()));
  }

  @Override
  public CompletionStage<ServiceDelta> changesSince(ServiceKey key, long revision) {
    return services.submitToKey(key.asString(), new ReadChanges(revision));
  }

  @Override
  public CompletionStage<Map<ServiceKey, Long>> revisions() {
    return CompletableFuture.supplyAsync(
        () -> {
          Map<ServiceKey, Long> revisions = new HashMap<>();
          for (String projected : services.project(new RevisionProjection())) {
            revisions.put(
                ServiceKey.parse(RevisionProjection.key(projected)),
                RevisionProjection.revision(projected));
          }
          return revisions;
        },
        sweeps);
  }

  @Override
  public void onServiceChanged(Consumer<ServiceKey> listener) {
    services.addEntryListener(new ChangeListener(listener), false);
  }

  @Override
  public void close() {
    renewals.close();
    sweeps.shutdownNow();
  }

  private static MutationResult mutation(long[] raw) {
    return new MutationResult(MUTATION_OUTCOMES[(int) raw[0]], raw[1], raw[2]);
  }

  /** Turns every kind of entry event into "this service changed". */
  private static final class ChangeListener
      implements EntryAddedListener<String, ServiceState>,
          EntryUpdatedListener<String, ServiceState>,
          EntryRemovedListener<String, ServiceState>,
          EntryMergedListener<String, ServiceState>,
          MapClearedListener {

    private final Consumer<ServiceKey> listener;

    ChangeListener(Consumer<ServiceKey> listener) {
      this.listener = listener;
    }

    @Override
    public void entryAdded(EntryEvent<String, ServiceState> event) {
      listener.accept(ServiceKey.parse(event.getKey()));
    }

    @Override
    public void entryUpdated(EntryEvent<String, ServiceState> event) {
      listener.accept(ServiceKey.parse(event.getKey()));
    }

    @Override
    public void entryRemoved(EntryEvent<String, ServiceState> event) {
      listener.accept(ServiceKey.parse(event.getKey()));
    }

    @Override
    public void entryMerged(EntryEvent<String, ServiceState> event) {
      listener.accept(ServiceKey.parse(event.getKey()));
    }

    @Override
    public void mapCleared(MapEvent event) {
      // Never done by the registry; followers catch up at their next revision check.
    }
  }
}
