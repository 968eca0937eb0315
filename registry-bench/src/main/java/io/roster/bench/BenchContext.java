package io.roster.bench;

import io.grpc.Channel;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;
import java.util.function.ObjIntConsumer;

/**
 * What phases share within one run: the configuration, the channels, the population registered by
 * the register phase and its background heartbeats, CPU readings, the progress line, and the stop
 * request.
 *
 * <p>Threading: built and used by the main thread; {@link #registered} takes leases from gRPC
 * threads; {@link #stopRequested} may turn true from a signal handler.
 */
final class BenchContext {
  private final BenchConfig config;
  private final Cluster cluster;
  private final Progress progress;
  private final NodeCpu cpu;
  private final NodeProfiles profiles;
  private final BackgroundHeartbeats background;
  private final BooleanSupplier stop;
  private final PrintStream err;
  private final SplittableRandom random;
  private final Queue<RegisteredLease> registered = new ConcurrentLinkedQueue<>();
  private final RenewalGaps gaps;
  private List<RegisteredLease> population = List.of();

  BenchContext(
      BenchConfig config,
      Cluster cluster,
      Progress progress,
      NodeCpu cpu,
      NodeProfiles profiles,
      BackgroundHeartbeats background,
      RenewalGaps gaps,
      BooleanSupplier stop,
      PrintStream err) {
    this.config = config;
    this.cluster = cluster;
    this.progress = progress;
    this.cpu = cpu;
    this.profiles = profiles;
    this.background = background;
    this.gaps = gaps;
    this.stop = stop;
    this.err = err;
    this.random = new SplittableRandom(config.seed());
  }

  BenchConfig config() {
    return config;
  }

  Cluster cluster() {
    return cluster;
  }

  Progress progress() {
    return progress;
  }

  NodeCpu cpu() {
    return cpu;
  }

  NodeProfiles profiles() {
    return profiles;
  }

  /**
   * Marks the start of a phase's timed part, named {@code label} (its name, or its name and a
   * size): starts the nodes' JFR recordings when {@code --profile} asked for them, then reads the
   * CPU counters. Pair with {@link #endTimed}.
   */
  NodeCpu.Reading startTimed(String label) throws InterruptedException {
    profiles.start(label);
    return cpu.read();
  }

  /**
   * Marks the end of the timed part {@code label}: reads the CPU used since {@code before}, then
   * stops the recordings (so writing them is not in the figure).
   */
  NodeCpu.Usage endTimed(String label, NodeCpu.Reading before) throws InterruptedException {
    NodeCpu.Usage usage = cpu.since(before);
    profiles.stop(label);
    return usage;
  }

  BackgroundHeartbeats background() {
    return background;
  }

  /** Renewal gaps of the population's leases. */
  RenewalGaps gaps() {
    return gaps;
  }

  /** Opens a period of renewal-gap accounting: call at a phase's start, then {@link #putGaps}. */
  long startGaps() {
    return gaps.startPeriod();
  }

  /** See {@link RenewalGaps#report}. */
  void putGaps(PhaseResult result, long lapsesBefore) {
    gaps.report(result, lapsesBefore);
  }

  /**
   * Background heartbeats answered other than ACTIVE since the background's {@code notActive()} was
   * {@code notActiveBefore}, adding a problem to {@code result} when there are any: each is a lease
   * the cluster lost although the bench kept heartbeating.
   */
  long backgroundLost(PhaseResult result, long notActiveBefore) {
    long lost = background.notActive() - notActiveBefore;
    if (lost > 0) {
      result.problem(
          lost
              + " background heartbeats answered other than ACTIVE: leases lost ("
              + background.firstNotActive()
              + ")");
    }
    return lost;
  }

  PrintStream err() {
    return err;
  }

  boolean stopRequested() {
    return stop.getAsBoolean();
  }

  /** A generator of the run's seeded sequence, for one phase (main thread only). */
  SplittableRandom newRandom() {
    return random.split();
  }

  /** Every instance the bench registered and still has to deregister. */
  Queue<RegisteredLease> registered() {
    return registered;
  }

  /** The population the register phase registered, in instance order (empty before). */
  List<RegisteredLease> population() {
    return population;
  }

  void population(List<RegisteredLease> leases) {
    this.population = List.copyOf(leases);
  }

  /** Adds the CPU figures of a phase (null where not measured). */
  static void putCpu(PhaseResult result, NodeCpu.Usage usage) {
    result.put("nodeCpuCores", orNull(usage.nodeCores()));
    result.put("benchCpuCores", orNull(usage.benchCores()));
    result.put("otherCpuCores", orNull(usage.otherCores()));
  }

  /** "background: 3,301 hb/s, lost 0" for progress lines, or "" before any lease is kept. */
  String backgroundLine(Progress.Rate rate) {
    long active = background.active();
    double perSecond = rate.perSecond(active);
    if (active == 0) {
      return "";
    }
    return String.format(
        " | background %,.0f hb/s, lost %d, lapsed %d",
        perSecond, background.notActive(), gaps.lapses());
  }

  static long millis(com.google.protobuf.Duration duration) {
    return duration.getSeconds() * 1_000 + duration.getNanos() / 1_000_000;
  }

  static com.google.protobuf.Duration duration(long millis) {
    return com.google.protobuf.Duration.newBuilder()
        .setSeconds(millis / 1_000)
        .setNanos((int) (millis % 1_000) * 1_000_000)
        .build();
  }

  /**
   * Registers instances 0 to {@code count} - 1 on {@code load}, over the targets in turn, each call
   * bounded by the call deadline and all of them by {@code boundMillis}; the lease granted to
   * instance i, of service {@code serviceOf(i)}, goes to {@code granted} (on a transport thread).
   *
   * @return whether every call ended (see {@link UnaryLoad#run})
   */
  boolean register(
      UnaryLoad<RegisterResponse> load,
      int count,
      long boundMillis,
      IntFunction<RegisterRequest> request,
      IntFunction<String> serviceOf,
      ObjIntConsumer<RegisteredLease> granted)
      throws InterruptedException {
    return load.run(
        count,
        System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(boundMillis),
        TimeUnit.MILLISECONDS.toNanos(config.callDeadlineMillis() + 1_000),
        this::stopRequested,
        (index, observer) ->
            RegistryServiceGrpc.newStub(cluster.nextChannel())
                .withDeadlineAfter(config.callDeadlineMillis(), TimeUnit.MILLISECONDS)
                .register(request.apply((int) index), observer),
        (index, response) ->
            granted.accept(
                RegisteredLease.granted(serviceOf.apply((int) index), response), (int) index));
  }

  /**
   * As {@link #register}, with blocking calls from {@code load}'s threads, thread t always on node
   * t mod the number of nodes (a simple client keeps one channel), each call bounded by the call
   * deadline and all of them by {@code boundMillis}.
   *
   * @return whether every caller thread ended within the bound (see {@link BlockingLoad#run})
   */
  boolean registerBlocking(
      BlockingLoad<RegisterResponse> load,
      int count,
      long boundMillis,
      IntFunction<RegisterRequest> request,
      IntFunction<String> serviceOf,
      ObjIntConsumer<RegisteredLease> granted)
      throws InterruptedException {
    return load.run(
        count,
        System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(boundMillis),
        TimeUnit.MILLISECONDS.toNanos(config.callDeadlineMillis() + 1_000),
        this::stopRequested,
        (thread, index) ->
            RegistryServiceGrpc.newBlockingStub(channelOfThread(thread))
                .withDeadlineAfter(config.callDeadlineMillis(), TimeUnit.MILLISECONDS)
                .register(request.apply((int) index)),
        (index, response) ->
            granted.accept(
                RegisteredLease.granted(serviceOf.apply((int) index), response), (int) index));
  }

  /** The channel caller thread {@code thread} of a {@link BlockingLoad} sticks to. */
  Channel channelOfThread(int thread) {
    return cluster.channel(thread % cluster.size());
  }

  static Double orNull(double value) {
    return Double.isNaN(value) || Double.isInfinite(value) ? null : value;
  }

  /** Names of the services the population is spread over. */
  static List<String> serviceNames(int services) {
    List<String> names = new ArrayList<>(services);
    for (int i = 0; i < services; i++) {
      names.add(serviceName(i));
    }
    return names;
  }

  static String serviceName(int index) {
    return String.format("svc-%04d", index);
  }

  /** The id of the population's instance {@code index}. */
  static String instanceId(int index) {
    return String.format("i-%06d", index);
  }
}
