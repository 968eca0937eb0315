package io.roster.node.domain;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What one change of a service costs, by the service's size: the work every register, deregister,
 * status or health change causes, apart from the network.
 *
 * <ul>
 *   <li>{@link #ownerChange}: on the partition owner, the change applied to the {@link
 *       ServiceState} and the difference a node then reads ({@link ServiceState#changesSince}, run
 *       once per node that follows the service: three times per change on three nodes).
 *   <li>{@link #viewChange}: on every node, the difference applied to its {@link ServiceView} and
 *       the visible changes the Watch hub makes of it ({@link ViewChanges#between(ServiceView,
 *       ServiceView, ServiceDelta)}, as {@code WatchHub} calls it).
 * </ul>
 *
 * <p>Changes cycle through four kinds, one instance at a time: deregister it, register it back, set
 * it OUT_OF_SERVICE, set it UP; so the service holds {@code instances} instances (one fewer between
 * the first two), and every delta carries one upsert or one removal, as a follower that keeps up
 * reads them.
 *
 * <p>The view replays {@value #CHANGES} differences recorded in setup, and starts over from its
 * first view once it has applied them all (views are immutable, so starting over is one
 * assignment).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ServiceChangeBenchmark {

  static final ServiceKey SERVICE = new ServiceKey("bench", "orders");

  /** Differences the view replays before it starts over. */
  static final int CHANGES = 4096;

  public static final long NOW_MILLIS = 1_700_000_000_000L;

  @Param({"10", "1000", "10000", "50000"})
  public int instances;

  private InstanceSpec[] specs;
  private ServiceState state;
  private int changesMade;

  private ServiceView firstView;
  private ServiceDelta[] deltas;
  private ServiceView view;
  private int applied;

  @Setup
  public void setUp() {
    specs = new InstanceSpec[instances];
    for (int i = 0; i < instances; i++) {
      specs[i] = spec(i);
    }
    state = filled();
    changesMade = 0;

    ServiceState recorded = filled();
    firstView = ServiceView.empty(SERVICE).apply(recorded.snapshot());
    deltas = new ServiceDelta[CHANGES];
    for (int j = 0; j < CHANGES; j++) {
      long since = recorded.revision();
      change(recorded, j);
      deltas[j] = recorded.changesSince(since);
    }
    view = firstView;
    applied = 0;
  }

  /** One change on the partition owner, and the difference one node reads of it. */
  @Benchmark
  public ServiceDelta ownerChange() {
    long since = state.revision();
    change(state, changesMade++);
    return state.changesSince(since);
  }

  /** One difference applied to a node's view, and what its Watch streams are told of it. */
  @Benchmark
  public List<InstanceChange> viewChange() {
    if (applied == CHANGES) {
      view = firstView;
      applied = 0;
    }
    ServiceView before = view;
    ServiceDelta delta = deltas[applied++];
    view = before.apply(delta);
    return ViewChanges.between(before, view, delta);
  }

  /** The owner's state after the changes made so far. */
  ServiceState state() {
    return state;
  }

  /** The view after the differences applied so far. */
  ServiceView view() {
    return view;
  }

  /** The state the differences recorded for the view lead to, made again. */
  ServiceState recordedAfterAllChanges() {
    ServiceState recorded = filled();
    for (int j = 0; j < CHANGES; j++) {
      change(recorded, j);
    }
    return recorded;
  }

  private ServiceState filled() {
    ServiceState filled = new ServiceState(SERVICE);
    for (InstanceSpec spec : specs) {
      filled.register(spec, NOW_MILLIS);
    }
    return filled;
  }

  /** The {@code j}-th change: four in a row on one instance, then the next instance. */
  private void change(ServiceState target, int j) {
    InstanceSpec spec = specs[(j / 4) % instances];
    String id = spec.key().instanceId();
    switch (j % 4) {
      case 0 -> target.deregister(id, 0);
      case 1 -> target.register(spec, NOW_MILLIS + j);
      case 2 -> target.setStatus(id, InstanceStatus.OUT_OF_SERVICE, 0);
      default -> target.setStatus(id, InstanceStatus.UP, 0);
    }
  }

  static InstanceSpec spec(int index) {
    return spec(SERVICE, index);
  }

  /** Instances shaped like registry-bench's (an id, a 10.x address, a zone, a version, a label). */
  public static InstanceSpec spec(ServiceKey service, int index) {
    return new InstanceSpec(
        new InstanceKey(service.namespace(), service.service(), String.format("i-%06d", index)),
        String.format("10.%d.%d.%d", (index >> 16) & 0xff, (index >> 8) & 0xff, index & 0xff),
        8080,
        Map.of(),
        InstanceSpec.DEFAULT_WEIGHT,
        "zone-" + (char) ('a' + index % 3),
        "1.0." + index % 4,
        Map.of("bench", "true"),
        InstanceStatus.UP);
  }
}
