package io.roster.node.store.hazelcast;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.roster.node.cluster.HazelcastConfigFactory;
import io.roster.node.config.ConfigLoader;
import io.roster.node.config.NodeConfig;
import io.roster.node.domain.InstanceKey;
import io.roster.node.domain.InstanceRecord;
import io.roster.node.domain.InstanceSpec;
import io.roster.node.domain.InstanceStatus;
import io.roster.node.domain.MutationResult;
import io.roster.node.domain.OwnedByAnotherException;
import io.roster.node.domain.Registered;
import io.roster.node.domain.ServiceKey;
import io.roster.node.domain.ServiceState;
import io.roster.node.store.InMemoryRegistryStore;
import io.roster.node.store.RegistryStore;
import io.roster.testing.FreePorts;
import io.roster.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Group commit of service writes ({@link ServiceWriteBatcher}) on three real members in this JVM:
 * writes sent without waiting, which share calls, answer exactly as the same writes made one at a
 * time, across services owned by different members; a call that fails fails only its own writes;
 * writes in flight when a member dies are all answered, and none that was acknowledged is lost.
 */
@Timeout(180)
class ServiceWriteBatchingTest {

  private static final List<HazelcastInstance> members = new ArrayList<>();

  private final ManualClock clock = new ManualClock();
  private final String prefix = "batch-" + UUID.randomUUID().toString().substring(0, 8);
  private HazelcastRegistryStore store;

  @BeforeAll
  static void startMembers() {
    String cluster = "batch-test-" + UUID.randomUUID().toString().substring(0, 8);
    List<Integer> ports = List.of(FreePorts.next(), FreePorts.next(), FreePorts.next());
    for (int port : ports) {
      members.add(startMember(cluster, port, ports.get(0)));
    }
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> members.stream().allMatch(m -> m.getCluster().getMembers().size() == 3));
  }

  @AfterAll
  static void stopMembers() {
    // Without a word: a graceful shutdown waits for partitions to be handed over, for nothing.
    members.forEach(member -> member.getLifecycleService().terminate());
  }

  @AfterEach
  void closeStore() {
    if (store != null) {
      store.close();
    }
  }

  /**
   * A random mix of registrations (some by another owner, refused), removals and status changes of
   * a few instances, with current, stale and no epochs, over three services: sent from one thread
   * without waiting, so they ride shared calls, each answers what the reference store answers to
   * the same writes made one at a time, and the services end up the same, leases included.
   */
  @Test
  void writesSentWithoutWaitingAnswerAsTheSameWritesOneAtATime() {
    store = new HazelcastRegistryStore(members.get(0), clock, 100);
    List<ServiceKey> services =
        List.of(service("one"), service("two"), service("three"), service("four"));
    Map<ServiceKey, AtomicInteger> events = new ConcurrentHashMap<>();
    store.onServiceChanged(
        key -> events.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet());
    List<Function<RegistryStore, CompletionStage<String>>> writes =
        randomWrites(services, 800, new Random(42));

    List<CompletableFuture<String>> batched = new ArrayList<>();
    for (var write : writes) {
      batched.add(write.apply(store).toCompletableFuture());
    }
    List<String> expected = new ArrayList<>();
    try (InMemoryRegistryStore reference = new InMemoryRegistryStore(clock)) {
      for (var write : writes) {
        expected.add(get(write.apply(reference)));
      }
      List<String> answered = batched.stream().map(ServiceWriteBatchingTest::get).toList();

      assertEquals(expected, answered);
      for (ServiceKey service : services) {
        assertEquals(state(reference, service), state(store, service), service.asString());
        assertEquals(
            get(reference.leasedEpochs(Set.of(service))).getOrDefault(service, Map.of()),
            get(store.leasedEpochs(Set.of(service))).getOrDefault(service, Map.of()),
            "leases of " + service.asString());
      }
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> services.stream().allMatch(events::containsKey));
    int heard = events.values().stream().mapToInt(AtomicInteger::get).sum();
    assertTrue(
        heard < writes.size() / 2,
        heard + " change events for " + writes.size() + " writes: the writes did not share calls");
  }

  /**
   * Many threads register at once, distinct instances and the same one, into services of different
   * owners: every registration gets an epoch of its own, the services hold every instance at the
   * epoch of its last registration, and each instance's lease has that epoch.
   */
  @Test
  void concurrentRegistrationsEachGetTheirOwnEpochAndTheirLease() throws Exception {
    store = new HazelcastRegistryStore(members.get(0), clock, 100);
    List<ServiceKey> services = List.of(service("a"), service("b"), service("c"));
    int threads = 8;
    int perThread = 150;
    Map<InstanceKey, List<Long>> epochs = new ConcurrentHashMap<>();
    ExecutorService callers = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    List<CompletableFuture<Void>> done = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int thread = t;
      done.add(
          CompletableFuture.runAsync(
              () -> {
                awaitStart(start);
                List<CompletableFuture<Void>> mine = new ArrayList<>();
                for (int i = 0; i < perThread; i++) {
                  ServiceKey service = services.get(i % services.size());
                  // Every fifth registration is of one instance all threads share.
                  String id = i % 5 == 0 ? "shared" : "t" + thread + "-" + i;
                  InstanceKey key = new InstanceKey(service.namespace(), service.service(), id);
                  mine.add(
                      store
                          .register(spec(key), 10_000)
                          .thenAccept(
                              registered ->
                                  epochs
                                      .computeIfAbsent(key, k -> new CopyOnWriteArrayList<>())
                                      .add(registered.record().epoch()))
                          .toCompletableFuture());
                }
                mine.forEach(CompletableFuture::join);
              },
              callers));
    }
    start.countDown();
    CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
    callers.shutdown();

    for (ServiceKey service : services) {
      List<Long> answered = new ArrayList<>();
      epochs.forEach(
          (key, list) -> {
            if (key.serviceKey().equals(service)) {
              answered.addAll(list);
            }
          });
      assertEquals(
          answered.size(), new HashSet<>(answered).size(), "an epoch answered twice in " + service);
      Map<String, Long> held = epochs(store, service);
      Map<String, Long> last = new TreeMap<>();
      epochs.forEach(
          (key, list) -> {
            if (key.serviceKey().equals(service)) {
              last.put(key.instanceId(), list.stream().mapToLong(Long::longValue).max().orElse(0));
            }
          });
      assertEquals(last, held, "each instance at the epoch of its last registration");
      assertEquals(
          last,
          new TreeMap<>(get(store.leasedEpochs(Set.of(service))).get(service)),
          "each lease at its instance's epoch");
      assertEquals(
          answered.size(),
          get(store.changesSince(service, 0)).revision(),
          "one revision per registration");
    }
  }

  /**
   * A call that fails (here: its key is not a service's, so the processor throws on the owner)
   * fails every write it carried and nothing else: writes to other services, sent at the same time,
   * succeed, and the failed lane takes writes again afterwards.
   */
  @Test
  void aFailedCallFailsOnlyTheWritesItCarried() {
    ServiceWriteBatcher batcher =
        new ServiceWriteBatcher(members.get(0).getMap(HazelcastRegistryStore.SERVICES_MAP));
    ServiceKey good = service("good");
    String bad = "no-slash-" + prefix;
    List<CompletableFuture<long[]>> failing = new ArrayList<>();
    List<CompletableFuture<long[]>> succeeding = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      failing.add(
          batcher.write(bad, new ServiceWrite.Register(spec(key(good, "x" + i)), 10_000, 0, true)));
      succeeding.add(
          batcher.write(
              good.asString(),
              new ServiceWrite.Register(spec(key(good, "y" + i)), 10_000, 0, true)));
    }

    for (var write : failing) {
      CompletionException failed = assertThrows(CompletionException.class, write::join);
      assertTrue(
          String.valueOf(failed.getCause()).contains("not a service key"),
          "failed with its own call's failure: " + failed.getCause());
    }
    for (var write : succeeding) {
      assertEquals(MutationResult.Outcome.APPLIED.ordinal(), write.join()[0]);
    }
    assertEquals(20, revision(good));
    CompletableFuture<long[]> again = batcher.write(bad, new ServiceWrite.Deregister("x0", 0));
    assertThrows(CompletionException.class, again::join);
  }

  /**
   * Writes in flight when a member dies: every one is answered (none waits forever on a lane of the
   * dead member), and every registration acknowledged is there, at the epoch acknowledged.
   */
  @Test
  void writesInFlightWhenAMemberDiesAreAnsweredAndNoneAcknowledgedIsLost() {
    HazelcastInstance doomed =
        startMember(
            members.get(0).getConfig().getClusterName(),
            FreePorts.next(),
            members.get(0).getCluster().getLocalMember().getAddress().getPort());
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> members.get(0).getCluster().getMembers().size() == 4);
    store = new HazelcastRegistryStore(members.get(0), clock, 100);
    List<ServiceKey> services = new ArrayList<>();
    for (int s = 0; s < 20; s++) {
      services.add(service("dies-" + s));
    }
    Map<InstanceKey, CompletableFuture<Registered>> registrations = new HashMap<>();
    for (int i = 0; i < 2_000; i++) {
      InstanceKey key = key(services.get(i % services.size()), "i" + i);
      registrations.put(key, store.register(spec(key), 10_000).toCompletableFuture());
      if (i == 500) {
        doomed.getLifecycleService().terminate();
      }
    }

    // The survivors' threads may throw while they notice the death; that is not this test's
    // concern.
    await()
        .dontCatchUncaughtExceptions()
        .atMost(Duration.ofSeconds(120))
        .until(() -> registrations.values().stream().allMatch(CompletableFuture::isDone));
    Map<ServiceKey, Map<String, Long>> held = new HashMap<>();
    for (ServiceKey service : services) {
      held.put(service, epochs(store, service));
    }
    int acknowledged = 0;
    for (var registration : registrations.entrySet()) {
      if (registration.getValue().isCompletedExceptionally()) {
        continue;
      }
      acknowledged++;
      InstanceKey key = registration.getKey();
      assertEquals(
          registration.getValue().join().record().epoch(),
          held.get(key.serviceKey()).get(key.instanceId()),
          key + " was acknowledged");
    }
    assertTrue(acknowledged > 0, "some registrations were acknowledged");
  }

  /** A service's revision, read from another member's side, past any store. */
  private static long revision(ServiceKey service) {
    return get(members
            .get(1)
            .<String, ServiceState>getMap(HazelcastRegistryStore.SERVICES_MAP)
            .submitToKey(service.asString(), new ReadChanges(0)))
        .revision();
  }

  /**
   * Writes over the services, each a call on a store answering a comparable text: registrations
   * (one in ten by another owner, who may not take the id over), removals and status changes, with
   * no epoch, the epoch of a recent registration or a made-up one.
   */
  private List<Function<RegistryStore, CompletionStage<String>>> randomWrites(
      List<ServiceKey> services, int count, Random random) {
    List<Function<RegistryStore, CompletionStage<String>>> writes = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ServiceKey service = services.get(random.nextInt(services.size()));
      InstanceKey key = key(service, "i" + random.nextInt(4));
      long epoch = random.nextInt(3) == 0 ? 0 : random.nextInt(i / services.size() + 2);
      int kind = random.nextInt(10);
      if (kind < 4) {
        InstanceSpec spec = spec(key).withOwner(random.nextInt(10) == 0 ? "other" : "me");
        boolean mayTakeOver = random.nextBoolean();
        writes.add(
            s ->
                s.register(spec, 10_000, mayTakeOver)
                    .handle(
                        (registered, failure) ->
                            failure == null
                                ? "registered "
                                    + registered.record().epoch()
                                    + "/"
                                    + registered.record().revision()
                                : unwrap(failure) instanceof OwnedByAnotherException
                                    ? "owned by another"
                                    : "failed: " + failure));
      } else if (kind < 6) {
        writes.add(s -> s.deregister(key, epoch).thenApply(ServiceWriteBatchingTest::text));
      } else {
        InstanceStatus status = random.nextBoolean() ? InstanceStatus.UP : InstanceStatus.DRAINING;
        writes.add(s -> s.setStatus(key, status, epoch).thenApply(ServiceWriteBatchingTest::text));
      }
    }
    return writes;
  }

  private static String text(MutationResult result) {
    return result.outcome() + " " + result.revision() + "/" + result.currentEpoch();
  }

  /** Each instance a store holds for a service, with its epoch, status and revision. */
  private static Map<String, String> state(RegistryStore store, ServiceKey service) {
    Map<String, String> held = new TreeMap<>();
    for (InstanceRecord record : get(store.changesSince(service, 0)).upserts()) {
      held.put(
          record.instanceId(), record.epoch() + " " + record.status() + " at " + record.revision());
    }
    return held;
  }

  /** Each instance a store holds for a service, with its epoch. */
  private static Map<String, Long> epochs(RegistryStore store, ServiceKey service) {
    Map<String, Long> held = new TreeMap<>();
    for (InstanceRecord record : get(store.changesSince(service, 0)).upserts()) {
      held.put(record.instanceId(), record.epoch());
    }
    return held;
  }

  private static Throwable unwrap(Throwable failure) {
    return failure instanceof CompletionException && failure.getCause() != null
        ? failure.getCause()
        : failure;
  }

  private ServiceKey service(String name) {
    return new ServiceKey("default", prefix + "-" + name);
  }

  private static InstanceKey key(ServiceKey service, String id) {
    return new InstanceKey(service.namespace(), service.service(), id);
  }

  private static InstanceSpec spec(InstanceKey key) {
    return new InstanceSpec(
        key, "127.0.0.1", 8080, Map.of(), 100, "", "", Map.of(), InstanceStatus.UP);
  }

  private static void awaitStart(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static <T> T get(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("store call failed", e);
    }
  }

  private static HazelcastInstance startMember(String cluster, int port, int seedPort) {
    NodeConfig config =
        ConfigLoader.load(
            new String[] {
              "--profile=local",
              "--cluster.name=" + cluster,
              "--cluster.port=" + port,
              "--cluster.members=127.0.0.1:" + seedPort,
              "--cluster.join-wait-s=0",
              "--node.name=member-" + port
            },
            Map.of());
    return Hazelcast.newHazelcastInstance(HazelcastConfigFactory.create(config));
  }
}
