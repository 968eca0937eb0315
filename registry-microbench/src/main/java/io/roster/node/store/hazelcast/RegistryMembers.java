package io.roster.node.store.hazelcast;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.partition.Partition;
import io.roster.node.cluster.HazelcastConfigFactory;
import io.roster.node.config.ConfigLoader;
import io.roster.node.config.NodeConfig;
import io.roster.node.domain.LeaseTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Two Hazelcast members in this JVM, configured as registry nodes configure theirs ({@link
 * HazelcastConfigFactory} with the {@code local} profile: the registry's maps, serializers, one
 * synchronous backup, write quorum of two), on loopback ports of their own and a cluster name of
 * their own, so they never join a cluster someone else runs on this machine. Benchmarks call
 * through the first member ({@link #caller}); the second holds the backups of the first's
 * partitions and owns the other half.
 *
 * <p>A JVM embedding Hazelcast wants the flags below on Java 17 (the parent pom's {@code
 * hazelcast.jvm.opens}), and the common pool at four threads as {@code RegistryNodeMain} sets it:
 * with the JDK's default of one on a 2-core machine, every Hazelcast completion starts a thread
 * (docs/benchmarks.md, "What limits it"). Benchmarks using this state fork with them.
 *
 * <p>Threading: started and stopped by JMH's setup thread; the members are thread-safe.
 */
@State(Scope.Benchmark)
public class RegistryMembers {

  static final String ADD_MODULES = "--add-modules=java.se";
  static final String EXPORT_REF = "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED";
  static final String OPEN_LANG = "--add-opens=java.base/java.lang=ALL-UNNAMED";
  static final String OPEN_NIO = "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED";
  static final String OPEN_MANAGEMENT = "--add-opens=java.management/sun.management=ALL-UNNAMED";
  static final String OPEN_JDK_MANAGEMENT =
      "--add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED";
  static final String COMMON_POOL = "-Djava.util.concurrent.ForkJoinPool.common.parallelism=4";

  private static final long JOIN_TIMEOUT_MILLIS = 60_000;

  private final List<HazelcastInstance> members = new ArrayList<>();

  @Setup(Level.Trial)
  public void start() {
    String cluster = "microbench-" + UUID.randomUUID().toString().substring(0, 8);
    int first = freePort();
    int second = freePort();
    for (int port : List.of(first, second)) {
      NodeConfig config =
          ConfigLoader.load(
              new String[] {
                "--profile=local",
                "--cluster.name=" + cluster,
                "--cluster.port=" + port,
                "--cluster.members=127.0.0.1:" + first + ",127.0.0.1:" + second,
                "--cluster.size=2",
                "--cluster.join-wait-s=0",
                "--node.name=microbench-" + port
              },
              Map.of());
      members.add(Hazelcast.newHazelcastInstance(HazelcastConfigFactory.create(config)));
    }
    long deadline = System.currentTimeMillis() + JOIN_TIMEOUT_MILLIS;
    // Both members, and the partitions assigned and not migrating: then ownership stays put.
    leases().size();
    while (caller().getCluster().getMembers().size() < 2
        || !caller().getPartitionService().isClusterSafe()) {
      if (System.currentTimeMillis() > deadline) {
        stop();
        throw new IllegalStateException(
            "two Hazelcast members did not form a safe cluster in " + JOIN_TIMEOUT_MILLIS + " ms");
      }
      sleep(50);
    }
  }

  @TearDown(Level.Trial)
  public void stop() {
    // Terminate, not shut down: nothing to hand over, and a graceful shutdown waits for it.
    members.forEach(member -> member.getLifecycleService().terminate());
    members.clear();
  }

  /** The member benchmarks call through, as a node calls through its own member. */
  HazelcastInstance caller() {
    return members.get(0);
  }

  /** Both members. */
  List<HazelcastInstance> all() {
    return List.copyOf(members);
  }

  /** The registry's leases map, through {@link #caller}. */
  IMap<String, LeaseTable> leases() {
    return caller().getMap(HazelcastRegistryStore.LEASES_MAP);
  }

  /**
   * A service key {@code bench/<prefix>-<n>} whose partition the caller owns ({@code local}) or the
   * other member does.
   */
  String serviceOwnedBy(boolean local, String prefix) {
    for (int n = 0; n < 10_000; n++) {
      String key = "bench/" + prefix + "-" + n;
      Partition partition = caller().getPartitionService().getPartition(key);
      if (partition.getOwner() != null && partition.getOwner().localMember() == local) {
        return key;
      }
    }
    throw new IllegalStateException(
        "no service key whose partition the " + (local ? "caller" : "other member") + " owns");
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port", e);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while the members joined", e);
    }
  }
}
