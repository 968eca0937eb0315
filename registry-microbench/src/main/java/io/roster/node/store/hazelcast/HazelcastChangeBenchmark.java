package io.roster.node.store.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryUpdatedListener;
import io.roster.node.domain.InstanceSpec;
import io.roster.node.domain.ServiceChangeBenchmark;
import io.roster.node.domain.ServiceDelta;
import io.roster.node.domain.ServiceKey;
import io.roster.node.domain.ServiceState;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
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
 * One registration into a service of {@code instances} instances as the store makes it in
 * Hazelcast, and one node's read of it: {@code submitToKey(ApplyServiceWrites)} of one registration
 * (on the partition owner, then the synchronous backup on the other member, with key-only change
 * listeners on both members as nodes hold them), then {@code submitToKey(ReadChanges)} from the
 * revision before. The caller owns the service's partition, so no call crosses the network; the
 * backup does.
 *
 * <p>What it shows: whether anything on the store's path grows with the service (a copy of the
 * value per write, a value serialized for an event, a scan per read). {@link
 * ServiceChangeBenchmark} measures the same change without Hazelcast. The registration grants its
 * lease on the owner as the node's does (that part does not depend on the service's size); the
 * figures in docs/benchmarks.md were taken before it did.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(
    value = 1,
    jvmArgsAppend = {
      RegistryMembers.ADD_MODULES,
      RegistryMembers.EXPORT_REF,
      RegistryMembers.OPEN_LANG,
      RegistryMembers.OPEN_NIO,
      RegistryMembers.OPEN_MANAGEMENT,
      RegistryMembers.OPEN_JDK_MANAGEMENT,
      RegistryMembers.COMMON_POOL
    })
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class HazelcastChangeBenchmark {

  @Param({"10", "1000", "10000", "50000"})
  public int instances;

  private IMap<String, ServiceState> services;
  private String service;
  private InstanceSpec[] specs;
  private int registered;
  private final LongAdder events = new LongAdder();

  @Setup
  public void setUp(RegistryMembers members) {
    services = members.caller().getMap(HazelcastRegistryStore.SERVICES_MAP);
    service = members.serviceOwnedBy(true, "changed-" + instances);
    ServiceKey key = ServiceKey.parse(service);
    specs = new InstanceSpec[instances];
    ServiceState state = new ServiceState(key);
    for (int i = 0; i < instances; i++) {
      specs[i] = ServiceChangeBenchmark.spec(key, i);
      state.register(specs[i], ServiceChangeBenchmark.NOW_MILLIS);
    }
    services.set(service, state);
    for (HazelcastInstance member : members.all()) {
      IMap<String, ServiceState> map = member.getMap(HazelcastRegistryStore.SERVICES_MAP);
      map.addEntryListener(
          (EntryUpdatedListener<String, ServiceState>) event -> events.increment(), false);
    }
  }

  /**
   * One registration (of an instance already there: the service keeps its size), with its lease
   * granted on the owner as the node does, and its read.
   */
  @Benchmark
  public ServiceDelta registerAndRead() {
    InstanceSpec spec = specs[registered++ % instances];
    long revision =
        services
            .submitToKey(
                service,
                new ApplyServiceWrites(
                    List.of(
                        new ServiceWrite.Register(spec, 10_000, System.currentTimeMillis(), true))))
            .toCompletableFuture()
            .join()[1];
    return services
        .submitToKey(service, new ReadChanges(revision - 1))
        .toCompletableFuture()
        .join();
  }

  /** Change events the listeners heard so far. */
  long events() {
    return events.sum();
  }

  String service() {
    return service;
  }
}
