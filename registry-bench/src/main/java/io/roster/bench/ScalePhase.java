package io.roster.bench;

import com.google.protobuf.Duration;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegisterResponse;
import io.roster.v1.WatchRequest;
import io.roster.v1.WatchResponse;
import io.roster.v1.WatchTarget;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;

/**
 * What the registry costs in memory: heap per registered instance at {@code --scale-instances}
 * (default 10,000 and 100,000) and heap per Watch stream at {@code --scale-streams} (default 1,000
 * and 10,000), each as the difference of the nodes' heap after a full collection ({@link NodeHeap})
 * before and after, divided by the count.
 *
 * <p>Instances: registered on top of whatever is there (the population keeps heartbeating), 100 per
 * service as the population is, with the longest TTL the node grants (1 h by default) so they need
 * no heartbeats while they are counted; deregistered at the end, when the heap is read once more
 * (what stays is reported: it should be near zero). The cluster figure adds up every node: each
 * holds a view of every instance and Hazelcast keeps each instance's record twice (owner and
 * backup) among them.
 *
 * <p>Watch streams: opened on the last target, each following one service of the population (about
 * 100 instances), {@value #STREAMS_PER_CONNECTION} streams per connection; counted once every
 * stream has received its snapshot, so the figure holds what a live stream keeps, not a stream
 * still starting. Resident memory (RSS) is reported beside the heap: it also holds the direct
 * buffers and is noisier.
 *
 * <p>Needs the node processes on this machine (as for CPU); otherwise it reports why it could not
 * measure. Bounded by {@code --scale-bound-s} for each registration and deregistration step and
 * {@value #STREAM_BOUND_MILLIS} ms for the streams' snapshots.
 */
final class ScalePhase implements Phase {
  static final String NAME = "scale";

  static final int INSTANCES_PER_SERVICE = 100;
  static final int STREAMS_PER_CONNECTION = 100;
  private static final long STREAM_BOUND_MILLIS = 120_000;
  private static final long ONE_HOUR_SECONDS = 3_600;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public boolean needsPopulation() {
    return true; // the streams follow the population's services
  }

  @Override
  public PhaseResult run(BenchContext context) throws InterruptedException {
    PhaseResult result = new PhaseResult(NAME);
    String unavailable =
        !context.cpu().measured() ? context.cpu().unmeasuredReason() : NodeHeap.unavailableReason();
    if (unavailable != null) {
      return result.put("ops", 0).note("memory not measured: " + unavailable);
    }
    List<Long> pids = context.cpu().pids();
    long lostBefore = context.background().notActive();
    long lapsesBefore = context.startGaps();
    try {
      // Streams first: right after 100,000 deregistrations the nodes are still letting go of
      // history (removals are kept for resuming Watch streams), which would blur a small figure.
      measureStreams(context, pids.get(pids.size() - 1), result);
      measureInstances(context, pids, result);
    } finally {
      context.progress().clear();
    }
    if (result.note().startsWith("; ")) {
      result.note(result.note().substring(2));
    }
    long lost = context.backgroundLost(result, lostBefore);
    result.put("lostLeases", lost);
    context.putGaps(result, lapsesBefore);
    return result;
  }

  private static void measureInstances(BenchContext context, List<Long> pids, PhaseResult result)
      throws InterruptedException {
    BenchConfig config = context.config();
    context.progress().say("scale: heap of " + pids.size() + " nodes after GC, before");
    long[] before = heapAfterGc(pids);
    List<RegisteredLease> registered = new ArrayList<>();
    long ops = 0;
    StringBuilder note = new StringBuilder();
    try {
      for (int size : config.scaleInstances()) {
        int from = registered.size();
        List<RegisteredLease> step = register(context, from, size, result);
        registered.addAll(step);
        ops += step.size();
        if (registered.size() < size) {
          result.problem(
              "registered "
                  + registered.size()
                  + " of "
                  + size
                  + " instances within "
                  + config.scaleBoundMillis()
                  + " ms: heap per instance not measured at this size");
          break;
        }
        context.progress().say(String.format("scale: heap after GC with %,d more instances", size));
        long[] after = heapAfterGc(pids);
        long clusterDelta = sum(after) - sum(before);
        double perInstance = (double) clusterDelta / size;
        result.put("heapBytesPerInstanceAt" + size, perInstance);
        result.put("heapBytesPerInstancePerNodeAt" + size, perInstance / pids.size());
        result.put("nodeHeapDeltaMbAt" + size, deltasMb(before, after));
        note.append(
            String.format(
                Locale.ROOT,
                "; %,d instances: %,.0f B of cluster heap each (%,.0f per node)",
                size,
                perInstance,
                perInstance / pids.size()));
      }
    } finally {
      long left = deregister(context, registered);
      ops += registered.size() - left;
      if (left > 0) {
        result.problem(
            left + " scale instances not deregistered: the cleanup at the end tries again");
      }
    }
    if (!registered.isEmpty()) {
      long[] afterCleanup = heapAfterGc(pids);
      result.put("heapRetainedAfterDeregisterMb", (sum(afterCleanup) - sum(before)) / 1e6);
    }
    result.put("ops", ops);
    result.note(result.note() + note);
  }

  private static void measureStreams(BenchContext context, long pid, PhaseResult result)
      throws InterruptedException {
    BenchConfig config = context.config();
    TargetAddress target = config.targets().get(config.targets().size() - 1);
    List<String> services = BenchContext.serviceNames(config.services());
    List<ManagedChannel> channels = new ArrayList<>();
    List<StreamProbe> streams = new ArrayList<>();
    AtomicLong snapshots = new AtomicLong();
    ConcurrentLinkedQueue<String> endings = new ConcurrentLinkedQueue<>();
    context.progress().say("scale: heap of " + target + " after GC, before the Watch streams");
    long before = NodeHeap.usedAfterGc(pid);
    OptionalLong rssBefore = NodeHeap.residentBytes(pid);
    StringBuilder note = new StringBuilder();
    try {
      for (int size : config.scaleStreams()) {
        while (streams.size() < size) {
          if (streams.size() % STREAMS_PER_CONNECTION == 0) {
            channels.add(
                Grpc.newChannelBuilder(target.authority(), context.cluster().credentials())
                    .directExecutor()
                    .build());
          }
          StreamProbe stream = new StreamProbe(snapshots, endings);
          DiscoveryServiceGrpc.newStub(channels.get(channels.size() - 1))
              .watch(
                  WatchRequest.newBuilder()
                      .setNamespace(config.namespace())
                      .addTargets(
                          WatchTarget.newBuilder()
                              .setService(services.get(streams.size() % services.size())))
                      .build(),
                  stream);
          streams.add(stream);
        }
        context
            .progress()
            .show(
                NAME,
                () ->
                    String.format(
                        "%,d of %,d Watch streams have their snapshot", snapshots.get(), size));
        long streamsDue = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STREAM_BOUND_MILLIS);
        while (snapshots.get() < size
            && endings.isEmpty()
            && !context.stopRequested()
            && System.nanoTime() < streamsDue) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        if (snapshots.get() < size && endings.isEmpty() && !context.stopRequested()) {
          result.problem(
              snapshots.get()
                  + " of "
                  + size
                  + " Watch streams had their snapshot after "
                  + STREAM_BOUND_MILLIS
                  + " ms");
          break;
        }
        context.progress().clear();
        if (!endings.isEmpty()) {
          result.problem(endings.size() + " Watch streams ended early, first: " + endings.peek());
          break;
        }
        if (context.stopRequested()) {
          break;
        }
        context.progress().say(String.format("scale: heap after GC with %,d Watch streams", size));
        long after = NodeHeap.usedAfterGc(pid);
        OptionalLong rssAfter = NodeHeap.residentBytes(pid);
        double perStream = (double) (after - before) / size;
        result.put("heapBytesPerWatchStreamAt" + size, perStream);
        Double rssPerStream =
            rssBefore.isPresent() && rssAfter.isPresent()
                ? (double) (rssAfter.getAsLong() - rssBefore.getAsLong()) / size
                : null;
        result.put("rssBytesPerWatchStreamAt" + size, rssPerStream);
        note.append(
            String.format(
                Locale.ROOT,
                "; %,d Watch streams on %s (%d connections): %,.0f B of heap each%s",
                size,
                target,
                channels.size(),
                perStream,
                rssPerStream == null
                    ? ""
                    : String.format(Locale.ROOT, ", RSS %,.0f B", rssPerStream)));
      }
    } finally {
      for (StreamProbe stream : streams) {
        stream.cancel();
      }
      for (ManagedChannel channel : channels) {
        channel.shutdownNow();
      }
      for (ManagedChannel channel : channels) {
        channel.awaitTermination(2, TimeUnit.SECONDS);
      }
    }
    result.put("watchStreams", (long) streams.size());
    result.note(result.note() + note);
  }

  /** Registers instances {@code from} to {@code to - 1} of the scale set; returns those granted. */
  private static List<RegisteredLease> register(
      BenchContext context, int from, int to, PhaseResult result) throws InterruptedException {
    BenchConfig config = context.config();
    int count = to - from;
    AtomicReferenceArray<RegisteredLease> leases = new AtomicReferenceArray<>(count);
    UnaryLoad<RegisterResponse> load = new UnaryLoad<>(config.concurrency());
    Progress.Rate rate = new Progress.Rate();
    context
        .progress()
        .show(
            NAME,
            () ->
                String.format(
                    "registered %,d/%,d more, %,.0f/s, failed %d",
                    from + load.succeeded(), to, rate.perSecond(load.succeeded()), load.failed()));
    context.register(
        load,
        count,
        config.scaleBoundMillis(),
        index -> request(config, from + index),
        index -> serviceName(from + index),
        (lease, index) -> leases.set(index, lease));
    context.progress().clear();
    if (load.failed() > 0) {
      result.problem(load.failed() + " scale registrations failed " + load.failureSummary());
    }
    List<RegisteredLease> granted = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      if (leases.get(i) != null) {
        granted.add(leases.get(i));
      }
    }
    return granted;
  }

  /** Deregisters the scale set; returns how many are left (handed to the run's cleanup). */
  private static long deregister(BenchContext context, List<RegisteredLease> leases)
      throws InterruptedException {
    if (leases.isEmpty()) {
      return 0;
    }
    List<RegisteredLease> left =
        Deregistration.run(context, leases, context.config().scaleBoundMillis(), NAME).left();
    context.registered().addAll(left);
    return left.size();
  }

  /** Instance {@code index} of the scale set: shaped as the population's, in its own services. */
  static RegisterRequest request(BenchConfig config, int index) {
    RegisterRequest population = RegisterPhase.request(config, index);
    return population.toBuilder()
        .setInstance(
            population.getInstance().toBuilder()
                .setService(serviceName(index))
                .setInstanceId(String.format("s-%07d", index)))
        .setLeaseTtl(Duration.newBuilder().setSeconds(ONE_HOUR_SECONDS))
        .build();
  }

  static String serviceName(int index) {
    return String.format("scale-%05d", index / INSTANCES_PER_SERVICE);
  }

  private static long[] heapAfterGc(List<Long> pids) throws InterruptedException {
    long[] used = new long[pids.size()];
    for (int i = 0; i < used.length; i++) {
      used[i] = NodeHeap.usedAfterGc(pids.get(i));
    }
    return used;
  }

  private static long sum(long[] values) {
    long total = 0;
    for (long value : values) {
      total += value;
    }
    return total;
  }

  /** "12.3/11.9/12.6": each node's heap growth in MB, in target order. */
  private static String deltasMb(long[] before, long[] after) {
    List<String> deltas = new ArrayList<>();
    for (int i = 0; i < before.length; i++) {
      deltas.add(String.format(Locale.ROOT, "%.1f", (after[i] - before[i]) / 1e6));
    }
    return String.join("/", deltas);
  }

  /** One Watch stream: counts its first snapshot, records an early end. */
  private static final class StreamProbe
      implements ClientResponseObserver<WatchRequest, WatchResponse> {
    private final AtomicLong snapshots;
    private final ConcurrentLinkedQueue<String> endings;
    private volatile ClientCallStreamObserver<WatchRequest> call;
    private boolean counted; // the channel's thread only
    private volatile boolean cancelled;

    StreamProbe(AtomicLong snapshots, ConcurrentLinkedQueue<String> endings) {
      this.snapshots = snapshots;
      this.endings = endings;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
      this.call = requestStream;
    }

    @Override
    public void onNext(WatchResponse message) {
      if (!counted && message.hasSnapshot() && !message.getSnapshot().getMore()) {
        counted = true;
        snapshots.incrementAndGet();
      }
    }

    @Override
    public void onError(Throwable t) {
      if (!cancelled) {
        endings.add(io.grpc.Status.fromThrowable(t).toString());
      }
    }

    @Override
    public void onCompleted() {
      endings.add("completed by the node");
    }

    void cancel() {
      cancelled = true;
      ClientCallStreamObserver<WatchRequest> started = call;
      if (started != null) {
        started.cancel("the scale phase ended", null);
      }
    }
  }
}
