package io.roster.node.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.ExecutionCallback;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.IExecutorService;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.roster.node.config.NodeConfig;
import io.roster.node.domain.EvictionBudget;
import io.roster.node.domain.EvictionPolicy;
import io.roster.node.domain.ExpiredLease;
import io.roster.node.domain.InstanceKey;
import io.roster.node.domain.InstanceRecord;
import io.roster.node.domain.LeaderFence;
import io.roster.node.domain.LeaderLease;
import io.roster.node.domain.LeaseCondition;
import io.roster.node.domain.ServiceKey;
import io.roster.node.domain.ServiceView;
import io.roster.node.domain.UnleasedInstances;
import io.roster.node.store.RegistryStore;
import io.roster.node.store.hazelcast.MembersDigest;
import io.roster.node.view.LocalView;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * The leader's eviction loop. On every node it ticks every {@code sweep-interval-ms}; only on the
 * leader does a tick do anything:
 *
 * <ol>
 *   <li>On becoming leader: claim the next leader epoch, then give every live lease at least a full
 *       TTL from now, so heartbeats lost while leadership moved evict nobody (as Consul and etcd do
 *       on a leader change). A departed member is handled the same way, before anything else is
 *       decided: renewals that were waiting on it were lost or come late, and the backups promoted
 *       in its place hold expiries from before it went quiet. Every eviction carries the membership
 *       the leases were extended for ({@link LeaderFence#membersDigest}), and the partition owner
 *       refuses it under another, so a sweep that was waiting on a hung member when it left
 *       declares nothing.
 *   <li>Without a majority of the configured cluster, or with a lapsed leader lease, do nothing: a
 *       minority never evicts.
 *   <li>Ask every member for the expired leases it owns; let {@link EvictionPolicy} pick, within
 *       the budget, which to declare expired and which declared ones to remove; apply them with the
 *       leader fence.
 * </ol>
 *
 * A tick that fires late (a GC pause stopped this node) gives leases that much slack, once:
 * heartbeats that arrived at this node during the pause could not be applied either.
 *
 * <p>Threading: everything runs on one scheduler thread ("roster-eviction"), including the handling
 * of ping answers, so the leader lease and policy need no locks. Status fields read by
 * ClusterStatus are volatile.
 */
public final class EvictionSweeper implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EvictionSweeper.class);

  private final HazelcastInstance hazelcast;
  private final Leadership leadership;
  private final ClusterMembership membership;
  private final RegistryStore store;
  private final LocalView view;
  private final Clock clock;
  private final NodeConfig.Eviction settings;
  private final EvictionPolicy policy;
  private final Random random = new Random();
  private final IExecutorService pings;
  private final ScheduledExecutorService thread =
      Executors.newSingleThreadScheduledExecutor(
          runnable -> {
            Thread t = new Thread(runnable, "roster-eviction");
            t.setDaemon(true);
            return t;
          });

  private final Counter declared;
  private final Counter removed;
  private final Counter failures;
  private final Counter unleasedFound;
  private final long unleasedTtlMillis;

  // Confined to the scheduler thread.
  private long leaderEpoch;
  private LeaderLease leaderLease;
  private long lastSweepMillis;
  private int lastPublishedHeldBack = -1;
  private long lastPublishedMillis;
  private Set<UUID> extendedFor = Set.of();
  private final UnleasedInstances unleased = new UnleasedInstances();
  private long lastUnleasedCheckMillis;
  private boolean sweptLastTick;
  private final Map<String, String> lastFailure = new HashMap<>();

  private volatile Status status = new Status(0, false, "not leader");

  public EvictionSweeper(
      HazelcastInstance hazelcast,
      Leadership leadership,
      ClusterMembership membership,
      RegistryStore store,
      LocalView view,
      Clock clock,
      NodeConfig.Eviction settings,
      long unleasedTtlMillis,
      MeterRegistry meters) {
    this.hazelcast = hazelcast;
    this.leadership = leadership;
    this.membership = membership;
    this.store = store;
    this.view = view;
    this.clock = clock;
    this.settings = settings;
    this.unleasedTtlMillis = unleasedTtlMillis;
    this.policy =
        new EvictionPolicy(
            new EvictionBudget(
                settings.budgetPercentPerMinute() / 100.0, settings.budgetFloorPerMinute()),
            settings.confinedServicesPercent() / 100.0,
            settings.graceMillis(),
            settings.maxPerSweep());
    this.pings = hazelcast.getExecutorService(HazelcastConfigFactory.PING_EXECUTOR);
    this.declared =
        Counter.builder("roster.evictions")
            .tag("step", "declared-expired")
            .description("Leases the leader declared expired (instance marked unhealthy)")
            .register(meters);
    this.removed =
        Counter.builder("roster.evictions")
            .tag("step", "removed")
            .description("Instances the leader removed after the grace")
            .register(meters);
    this.failures =
        Counter.builder("roster.eviction.failures")
            .description("Sweeps (or pings) that failed and were retried")
            .register(meters);
    this.unleasedFound =
        Counter.builder("roster.eviction.unleased")
            .description(
                "Instances found listed without a lease and given one that has run out (their"
                    + " registration's lease was lost)")
            .register(meters);
    Gauge.builder("roster.eviction.held.back", this, EvictionSweeper::clusterHeldBack)
        .description(
            "Expired leases the leader's eviction budget held back at its last sweep (every node"
                + " reports the cluster's figure)")
        .register(meters);
  }

  public void start() {
    thread.scheduleWithFixedDelay(
        () -> {
          guarded("sweep", this::tick);
          guarded("unleased-instance check", this::checkUnleased);
        },
        settings.sweepIntervalMillis(),
        settings.sweepIntervalMillis(),
        TimeUnit.MILLISECONDS);
    long pingEvery = Math.max(50, settings.leaderLeaseMillis() / 4);
    thread.scheduleWithFixedDelay(
        () -> guarded("ping", this::ping), pingEvery, pingEvery, TimeUnit.MILLISECONDS);
  }

  /** This node's eviction state, for ClusterStatus. */
  public Status status() {
    return status;
  }

  /**
   * What the current leader's budget held back at its last sweep, as this node knows it: its own
   * figure when it leads, else the one the leader published (0 until it has).
   */
  public int clusterHeldBack() {
    if (leadership.isLocalLeader()) {
      return status.heldBack();
    }
    LeaderRecord record = leadership.record();
    return record != null && record.leader().equals(leadership.leaderId())
        ? (int) record.heldBack()
        : 0;
  }

  private void tick() {
    sweptLastTick = false;
    if (!leadership.isLocalLeader()) {
      if (leaderEpoch != 0) {
        log.atWarn()
            .addKeyValue("epoch", leaderEpoch)
            .log("this node is no longer the leader (was at epoch {})", leaderEpoch);
      }
      leaderEpoch = 0;
      leaderLease = null;
      status = new Status(0, false, "not leader");
      return;
    }
    long now = clock.millis();
    List<ClusterMembership.NodeInfo> nodes = membership.members();
    int reachable = nodes.size();
    if (!membership.hasQuorum(reachable)) {
      hold("no quorum: " + reachable + " of " + membership.expectedSize() + " nodes reachable");
      return;
    }
    Set<Member> members = hazelcast.getCluster().getMembers();
    if (leaderEpoch == 0) {
      takeOver(now, members);
      return;
    }
    Set<UUID> ids = ids(members);
    if (!ids.containsAll(extendedFor)) {
      store.extendAllLeases().toCompletableFuture().orTimeout(30, TimeUnit.SECONDS).join();
      log.info("a member left: gave every live lease at least a full TTL from now");
    }
    extendedFor = ids;
    Set<String> others = new HashSet<>();
    nodes.forEach(member -> others.add(member.id()));
    leaderLease.retainOnly(others);
    long validUntil = leaderLease.validUntilMillis(now);
    if (now > validUntil) {
      hold("leader lease lapsed: no recent round trip with a majority");
      return;
    }
    long slack =
        lastSweepMillis == 0
            ? 0
            : Math.max(0, now - lastSweepMillis - 2 * settings.sweepIntervalMillis());
    lastSweepMillis = now;
    sweep(now, slack, new LeaderFence(leaderEpoch, validUntil, MembersDigest.of(members)));
    sweptLastTick = true;
  }

  /**
   * Every {@code unleased-check-interval-ms}, after a sweep of the leader went through: gives
   * instances listed without a lease at two checks in a row a lease that has already run out (see
   * {@link UnleasedInstances}), which the next sweeps then declare expired and remove like any
   * other.
   */
  private void checkUnleased() {
    long now = clock.millis();
    if (!sweptLastTick || now - lastUnleasedCheckMillis < settings.unleasedCheckIntervalMillis()) {
      return;
    }
    lastUnleasedCheckMillis = now;
    Map<ServiceKey, Long> digests =
        store.leaseDigests().toCompletableFuture().orTimeout(30, TimeUnit.SECONDS).join();
    Set<ServiceKey> differing = UnleasedInstances.differing(view.all(), digests);
    if (differing.isEmpty()) {
      unleased.clear();
      return;
    }
    Map<ServiceKey, Map<String, Long>> leased =
        store.leasedEpochs(differing).toCompletableFuture().orTimeout(30, TimeUnit.SECONDS).join();
    List<ServiceView> services = new ArrayList<>();
    differing.forEach(key -> services.add(view.get(key)));
    for (InstanceRecord instance : unleased.confirm(services, leased)) {
      boolean adopted =
          store
              .adoptUnleased(
                  instance.key(), instance.epoch(), unleasedTtlMillis, instance.lease().seq())
              .toCompletableFuture()
              .orTimeout(30, TimeUnit.SECONDS)
              .join();
      if (adopted) {
        unleasedFound.increment();
        about(log.atWarn(), instance.key())
            .log(
                "{} (epoch {}) was listed without a lease at two checks in a row: it now has one"
                    + " that has run out, and is evicted like any instance whose heartbeats"
                    + " stopped",
                instance.key(),
                instance.epoch());
      }
    }
  }

  private void takeOver(long now, Set<Member> members) {
    long epoch = leadership.claim().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
    store.extendAllLeases().toCompletableFuture().orTimeout(30, TimeUnit.SECONDS).join();
    leaderEpoch = epoch;
    leaderLease = new LeaderLease(membership.expectedSize(), settings.leaderLeaseMillis());
    lastSweepMillis = 0;
    extendedFor = ids(members);
    log.atInfo()
        .addKeyValue("epoch", epoch)
        .log(
            "took over as leader at epoch {} in {} ms: every live lease has at least a full TTL",
            epoch,
            clock.millis() - now);
    status = new Status(0, false, "leader since epoch " + epoch);
  }

  private void sweep(long now, long slackMillis, LeaderFence fence) {
    List<ExpiredLease> expired =
        store
            .expiredLeases(slackMillis)
            .toCompletableFuture()
            .orTimeout(30, TimeUnit.SECONDS)
            .join();
    int services = 0;
    int instances = 0;
    for (ServiceView service : view.all()) {
      if (!service.isEmpty()) {
        services++;
        instances += service.size();
      }
    }
    EvictionPolicy.Plan plan = policy.plan(expired, services, instances, now, random);

    List<CompletableFuture<?>> work = new ArrayList<>();
    for (ExpiredLease lease : plan.toDeclare()) {
      work.add(
          store
              .declareExpired(lease, fence)
              .thenCompose(
                  seq -> {
                    if (seq < 0) {
                      return CompletableFuture.completedFuture(null);
                    }
                    declared.increment();
                    about(log.atInfo(), lease.key())
                        .log(
                            "declared {} (epoch {}) expired: its lease ran out at {} without"
                                + " a heartbeat; removed after {} ms unless one comes",
                            lease.key(),
                            lease.epoch(),
                            Instant.ofEpochMilli(lease.expiresAtMillis()),
                            policy.graceMillis());
                    return store.setLeaseCondition(
                        lease.key(), lease.epoch(), LeaseCondition.expired(now, seq));
                  })
              .toCompletableFuture());
    }
    for (ExpiredLease lease : expired) {
      // Declared, but the instance still looks healthy: the previous leader (or this one) died
      // between the two steps. Marking again is harmless: the sequence makes it idempotent.
      InstanceRecord record = view.get(lease.key().serviceKey()).find(lease.key().instanceId());
      if (lease.declared()
          && record != null
          && record.epoch() == lease.epoch()
          && record.healthy()) {
        work.add(
            store
                .setLeaseCondition(
                    lease.key(), lease.epoch(), LeaseCondition.expired(now, lease.seq()))
                .toCompletableFuture());
      }
    }
    AtomicInteger removedNow = new AtomicInteger();
    for (ExpiredLease lease : plan.toRemove()) {
      work.add(
          store
              .evict(lease, policy.graceMillis(), fence)
              .thenAccept(
                  gone -> {
                    if (gone) {
                      removed.increment();
                      removedNow.incrementAndGet();
                      about(log.atInfo(), lease.key())
                          .log(
                              "removed {} (epoch {}): expired and no heartbeat within the grace",
                              lease.key(),
                              lease.epoch());
                    }
                  })
              .toCompletableFuture());
    }
    CompletableFuture.allOf(work.toArray(CompletableFuture[]::new))
        .orTimeout(30, TimeUnit.SECONDS)
        .join();

    int heldBack = plan.heldBackTotal();
    if (heldBack > 0 && heldBack != lastPublishedHeldBack) {
      log.warn(
          "eviction protection holds back {} expired leases: {} instances in {} services stopped"
              + " heartbeating, which looks like lost heartbeats rather than failed services;"
              + " declaring at most {} ({}% of the registry) per minute. Most held back in: {}",
          heldBack,
          plan.silentInstances(),
          plan.silentServices(),
          policy.budget().capacity(instances),
          settings.budgetPercentPerMinute(),
          mostHeldBack(plan.heldBack()));
    } else if (heldBack == 0 && lastPublishedHeldBack > 0) {
      log.info("eviction protection no longer holds anything back");
    }
    if (!plan.toDeclare().isEmpty() || removedNow.get() > 0) {
      log.info(
          "sweep: declared {} leases expired, removed {} instances after the grace",
          plan.toDeclare().size(),
          removedNow.get());
    }
    status =
        new Status(
            heldBack,
            heldBack > 0,
            heldBack > 0
                ? "budget holds back " + heldBack + " of " + plan.silentInstances() + " silent"
                : "evicting normally");
    if (heldBack != lastPublishedHeldBack || now - lastPublishedMillis > 5_000) {
      lastPublishedHeldBack = heldBack;
      lastPublishedMillis = now;
      leadership.publish(leaderEpoch, heldBack);
    }
  }

  /**
   * {@code event} with the instance it is about as key-values (docs/operations.md, "Logs"). Not the
   * leader's epoch: beside the instance's own epoch in the message it would read as that.
   */
  private static LoggingEventBuilder about(LoggingEventBuilder event, InstanceKey key) {
    return event
        .addKeyValue("namespace", key.namespace())
        .addKeyValue("service", key.service())
        .addKeyValue("instance", key.instanceId());
  }

  private static Set<UUID> ids(Set<Member> members) {
    Set<UUID> ids = new HashSet<>();
    members.forEach(member -> ids.add(member.getUuid()));
    return ids;
  }

  /** The five services with most held back: enough to act on, short enough to log. */
  private static String mostHeldBack(Map<ServiceKey, Integer> heldBack) {
    StringBuilder out = new StringBuilder();
    heldBack.entrySet().stream()
        .sorted(Map.Entry.<ServiceKey, Integer>comparingByValue().reversed())
        .limit(5)
        .forEach(
            e -> {
              if (out.length() > 0) {
                out.append(", ");
              }
              out.append(e.getKey()).append('=').append(e.getValue());
            });
    return out.toString();
  }

  private void hold(String reason) {
    if (!reason.equals(status.reason())) {
      log.warn("leader evicts nothing: {}", reason);
    }
    status = new Status(0, true, reason);
  }

  private void ping() {
    if (leaderEpoch == 0 || leaderLease == null) {
      return;
    }
    Member self = hazelcast.getCluster().getLocalMember();
    for (Member member : hazelcast.getCluster().getMembers()) {
      if (member.equals(self) || !membership.trusts(member)) {
        continue; // a stranger's answer must not vouch for the leader's majority
      }
      long sentAt = clock.millis();
      String id = member.getUuid().toString();
      LeaderLease lease = leaderLease;
      pings.submitToMember(
          new Ping(),
          member,
          new ExecutionCallback<Boolean>() {
            @Override
            public void onResponse(Boolean answer) {
              thread.execute(
                  () -> {
                    if (leaderLease == lease) {
                      lease.acknowledged(id, sentAt);
                    }
                  });
            }

            @Override
            public void onFailure(Throwable failure) {
              // No acknowledgement: the lease runs out unless others answer.
            }
          });
    }
  }

  private void guarded(String what, Runnable action) {
    try {
      action.run();
      lastFailure.remove(what);
    } catch (RuntimeException e) {
      // Catch, count, log once per kind of failure, go on: the next tick retries from the
      // store's state. A cluster in trouble fails every tick; one line says so, not two a second.
      failures.increment();
      String failure = what + ": " + e;
      if (!failure.equals(lastFailure.put(what, failure))) {
        log.warn("eviction {} failed, retrying every tick: {}", what, e.toString());
      } else {
        log.debug("eviction {} failed again: {}", what, e.toString());
      }
    }
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }

  /**
   * What the eviction loop is doing, for ClusterStatus.
   *
   * @param heldBack expired leases the budget held back at the last sweep
   * @param active whether evictions are being held back (budget, or no quorum)
   * @param reason human-readable state
   */
  public record Status(int heldBack, boolean active, String reason) {}
}
