package io.roster.node.store.hazelcast;

import com.hazelcast.map.IMap;
import io.roster.node.domain.InstanceKey;
import io.roster.node.domain.InstanceSpec;
import io.roster.node.domain.InstanceStatus;
import io.roster.node.domain.ServiceState;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Registrations on the store's path into two real members ({@link RegistryMembers}), by 32 threads
 * that each wait for their answer, as 32 blocking callers of a node do: into one service (a
 * deployment registering its instances at once) or spread over 100 (the closed-loop bench's
 * population), each instance registered again in turn, so the services keep their size (100).
 *
 * <ul>
 *   <li>{@code oneCallPerWrite}: one {@code submitToKey(ApplyServiceWrites)} per registration, its
 *       own operation, synchronous backup, lease write and change event: what the store sent before
 *       group commit.
 *   <li>{@code groupCommit}: through {@link ServiceWriteBatcher}: one call per service in flight,
 *       the registrations that arrive meanwhile ride the next.
 * </ul>
 *
 * <p>The score is the store's registrations per second with no gRPC in front, the members' threads
 * and the 32 callers sharing the machine's cores: how much partition-thread and member-to-member
 * work group commit saves, not a node's rate (registry-bench measures that).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(32)
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
public class ServiceWriteBenchmark {

  static final int INSTANCES_PER_SERVICE = 100;

  @Param({"1", "100"})
  public int services;

  private IMap<String, ServiceState> serviceMap;
  private ServiceWriteBatcher batcher;
  private String[] keys;
  private InstanceSpec[] specs;
  private final AtomicLong next = new AtomicLong();

  @Setup
  public void setUp(RegistryMembers members) {
    serviceMap = members.caller().getMap(HazelcastRegistryStore.SERVICES_MAP);
    batcher = new ServiceWriteBatcher(serviceMap);
    keys = new String[services];
    specs = new InstanceSpec[services * INSTANCES_PER_SERVICE];
    for (int s = 0; s < services; s++) {
      String service = String.format("writes-%03d", s);
      keys[s] = "bench/" + service;
      for (int i = 0; i < INSTANCES_PER_SERVICE; i++) {
        // Registrations in turn over the services, as the bench's population is registered.
        specs[i * services + s] =
            new InstanceSpec(
                new InstanceKey("bench", service, String.format("i-%03d", i)),
                "10.0.0.1",
                8080,
                Map.of(),
                100,
                "zone-a",
                "1.0.0",
                Map.of("team", "bench"),
                InstanceStatus.UP);
      }
    }
  }

  @Benchmark
  public long[] oneCallPerWrite() {
    InstanceSpec spec = nextSpec();
    return serviceMap
        .submitToKey(
            spec.key().serviceKey().asString(), new ApplyServiceWrites(List.of(register(spec))))
        .toCompletableFuture()
        .join();
  }

  @Benchmark
  public long[] groupCommit() {
    InstanceSpec spec = nextSpec();
    return batcher.write(spec.key().serviceKey().asString(), register(spec)).join();
  }

  private InstanceSpec nextSpec() {
    return specs[(int) (next.getAndIncrement() % specs.length)];
  }

  private static ServiceWrite register(InstanceSpec spec) {
    return new ServiceWrite.Register(spec, 10_000, System.currentTimeMillis(), true);
  }
}
