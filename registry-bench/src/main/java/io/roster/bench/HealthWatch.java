package io.roster.bench;

import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.HealthCondition;
import io.roster.v1.HealthState;
import io.roster.v1.Instance;
import io.roster.v1.InstanceChange;
import io.roster.v1.WatchRequest;
import io.roster.v1.WatchResponse;
import io.roster.v1.WatchTarget;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Follows the health of a known set of instances through Watch streams on one node: which are
 * listed, which healthy, and every moment one of them turns unhealthy (a declaration), with the
 * time the node gives for it (the lease condition's transition time, which the leader sets at the
 * sweep that declared it) and the time the bench received it.
 *
 * <p>A Watch stream follows at most 256 services, so the services are split over as many streams as
 * needed. A snapshot (the first message, or a reset) replaces what is held for its service. A
 * stream that ends early is opened again by {@link #maintain}, on the next node, a second later;
 * its snapshots then carry what happened meanwhile (a declaration seen that way is timed by its
 * snapshot's arrival, and still carries the node's own time).
 *
 * <p>Threading: messages arrive on transport threads, one at a time per stream; the state is in
 * atomic arrays and concurrent collections. {@link #maintain}, {@link #cancel} and the readers may
 * be called from any thread; the phase calls them from its main thread.
 */
final class HealthWatch {
  static final int ABSENT = 0;
  static final int HEALTHY = 1;
  static final int UNHEALTHY = 2;

  private static final int TARGETS_PER_STREAM = 256;
  private static final long REOPEN_AFTER_NANOS = TimeUnit.SECONDS.toNanos(1);

  /**
   * One instance turning unhealthy.
   *
   * @param index the instance
   * @param seenNanos when the bench received it ({@link System#nanoTime})
   * @param nodeMillis when the node says it turned unhealthy (wall clock ms); 0 when not given
   */
  record Declaration(int index, long seenNanos, long nodeMillis) {}

  private final Cluster cluster;
  private final String namespace;
  private final Map<String, Integer> indexById;
  private final Map<String, int[]> indicesByService;
  private final AtomicIntegerArray health;
  private final Queue<Declaration> declarations = new ConcurrentLinkedQueue<>();
  private final Set<String> snapshotted = ConcurrentHashMap.newKeySet();
  private final List<Stream> streams = new ArrayList<>();
  private final AtomicLong lastDeclarationNanos = new AtomicLong(System.nanoTime());
  private final AtomicLong reopened = new AtomicLong();
  private volatile boolean cancelled;
  private volatile String lastEnd;

  /**
   * Opens the streams on node {@code node}.
   *
   * @param instanceIds instance ids by index
   * @param serviceOf service name by index
   */
  HealthWatch(
      Cluster cluster,
      int node,
      String namespace,
      List<String> instanceIds,
      List<String> serviceOf) {
    this.cluster = cluster;
    this.namespace = namespace;
    this.health = new AtomicIntegerArray(instanceIds.size());
    Map<String, Integer> ids = new HashMap<>();
    Map<String, List<Integer>> byService = new HashMap<>();
    List<String> services = new ArrayList<>();
    for (int i = 0; i < instanceIds.size(); i++) {
      ids.put(instanceIds.get(i), i);
      String service = serviceOf.get(i);
      if (!byService.containsKey(service)) {
        services.add(service);
      }
      byService.computeIfAbsent(service, s -> new ArrayList<>()).add(i);
    }
    this.indexById = Map.copyOf(ids);
    Map<String, int[]> indices = new HashMap<>();
    byService.forEach(
        (service, list) -> indices.put(service, list.stream().mapToInt(i -> i).toArray()));
    this.indicesByService = Map.copyOf(indices);
    for (int from = 0; from < services.size(); from += TARGETS_PER_STREAM) {
      Stream stream =
          new Stream(
              List.copyOf(
                  services.subList(from, Math.min(services.size(), from + TARGETS_PER_STREAM))),
              node);
      streams.add(stream);
      stream.open();
    }
  }

  /** Whether every service has had its snapshot on its current stream. */
  boolean ready() {
    return snapshotted.size() == indicesByService.size();
  }

  /** {@link #ABSENT}, {@link #HEALTHY} or {@link #UNHEALTHY}, as last listed. */
  int health(int index) {
    return health.get(index);
  }

  /** Takes the declarations received since the previous call, oldest first. */
  List<Declaration> takeDeclarations() {
    List<Declaration> taken = new ArrayList<>();
    Declaration declaration;
    while ((declaration = declarations.poll()) != null) {
      taken.add(declaration);
    }
    return taken;
  }

  /** When the latest declaration arrived ({@link System#nanoTime}); the start when none did. */
  long lastDeclarationNanos() {
    return lastDeclarationNanos.get();
  }

  /** How the last stream that ended early ended ("UNAVAILABLE: ..."); null when none did. */
  String lastEnd() {
    return lastEnd;
  }

  /** Streams opened again after ending early. */
  long reopened() {
    return reopened.get();
  }

  /** Opens again, on the next node, a stream that ended early a second ago or more. */
  void maintain() {
    long now = System.nanoTime();
    for (Stream stream : streams) {
      stream.maybeReopen(now);
    }
  }

  /** Ends every stream. */
  void cancel() {
    cancelled = true;
    for (Stream stream : streams) {
      stream.cancel();
    }
  }

  private void apply(Instance instance, long nowNanos) {
    Integer index = indexById.get(instance.getInstanceId());
    if (index == null) {
      return;
    }
    int now = instance.getHealth() == HealthState.HEALTH_STATE_UNHEALTHY ? UNHEALTHY : HEALTHY;
    int before = health.getAndSet(index, now);
    if (now == UNHEALTHY && before != UNHEALTHY) {
      lastDeclarationNanos.set(nowNanos);
      declarations.add(new Declaration(index, nowNanos, transitionMillis(instance)));
    }
  }

  private static long transitionMillis(Instance instance) {
    for (HealthCondition condition : instance.getConditionsList()) {
      if (condition.getState() == HealthState.HEALTH_STATE_UNHEALTHY
          && condition.hasLastTransitionTime()) {
        return condition.getLastTransitionTime().getSeconds() * 1_000
            + condition.getLastTransitionTime().getNanos() / 1_000_000;
      }
    }
    return 0;
  }

  /** One Watch stream over a fixed list of services; reopened on the next node when it ends. */
  private final class Stream implements ClientResponseObserver<WatchRequest, WatchResponse> {
    private final List<String> services;
    private volatile int node;
    private volatile ClientCallStreamObserver<WatchRequest> call;
    private volatile long endedNanos;
    private volatile boolean ended;

    /**
     * Instances listed by the parts so far of a snapshot that more parts complete; touched by one
     * stream's messages, which arrive one at a time.
     */
    private final Map<String, Set<Integer>> listedInParts = new HashMap<>();

    Stream(List<String> services, int node) {
      this.services = services;
      this.node = node;
    }

    void open() {
      ended = false;
      WatchRequest.Builder request = WatchRequest.newBuilder().setNamespace(namespace);
      for (String service : services) {
        request.addTargets(WatchTarget.newBuilder().setService(service));
      }
      DiscoveryServiceGrpc.newStub(cluster.channel(node)).watch(request.build(), this);
    }

    void maybeReopen(long nowNanos) {
      if (!ended || cancelled || nowNanos - endedNanos < REOPEN_AFTER_NANOS) {
        return;
      }
      node = (node + 1) % cluster.size(); // that node may be gone: try the next
      reopened.incrementAndGet();
      open();
    }

    void cancel() {
      ClientCallStreamObserver<WatchRequest> started = call;
      if (started != null && !ended) {
        started.cancel("the protection phase ended", null);
      }
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
      call = requestStream;
    }

    @Override
    public void onNext(WatchResponse message) {
      long now = System.nanoTime();
      if (message.hasSnapshot()) {
        int[] indices = indicesByService.get(message.getService());
        if (indices == null) {
          return;
        }
        // A large service's snapshot comes in parts: what is absent is known with the last one.
        Set<Integer> listed =
            message.getSnapshot().getPart() == 0
                ? new HashSet<>()
                : listedInParts.getOrDefault(message.getService(), new HashSet<>());
        for (Instance instance : message.getSnapshot().getInstancesList()) {
          Integer index = indexById.get(instance.getInstanceId());
          if (index != null) {
            listed.add(index);
            apply(instance, now);
          }
        }
        if (message.getSnapshot().getMore()) {
          listedInParts.put(message.getService(), listed);
          return;
        }
        listedInParts.remove(message.getService());
        for (int index : indices) {
          if (!listed.contains(index)) {
            health.set(index, ABSENT);
          }
        }
        snapshotted.add(message.getService());
        return;
      }
      for (InstanceChange change : message.getChanges().getChangesList()) {
        switch (change.getType()) {
          case CHANGE_TYPE_REMOVED -> {
            Integer index = indexById.get(change.getInstance().getInstanceId());
            if (index != null) {
              health.set(index, ABSENT);
            }
          }
          case CHANGE_TYPE_ADDED,
              CHANGE_TYPE_UPDATED,
              CHANGE_TYPE_STATUS_CHANGED,
              CHANGE_TYPE_HEALTH_CHANGED ->
              apply(change.getInstance(), now);
          default -> {
            // an unknown kind of change: nothing to learn from it
          }
        }
      }
    }

    @Override
    public void onError(Throwable error) {
      end(Status.fromThrowable(error));
    }

    @Override
    public void onCompleted() {
      end(Status.OK);
    }

    private void end(Status status) {
      if (cancelled) {
        return;
      }
      lastEnd = status.getCode() + ": " + status.getDescription();
      for (String service : services) {
        snapshotted.remove(service); // ready again once the reopened stream sent its snapshots
      }
      endedNanos = System.nanoTime();
      ended = true;
    }
  }
}
