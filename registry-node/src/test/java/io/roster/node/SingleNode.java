package io.roster.node;

import io.roster.node.config.ConfigLoader;
import io.roster.testing.FreePorts;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Starts one real node in the test's JVM: a cluster of one, with a name and ports of its own. */
public final class SingleNode {

  private SingleNode() {}

  /**
   * Starts a node; {@code extraFlags} override the defaults (e.g. {@code --watch.queue-limit=8}).
   */
  public static RegistryNode start(String name, String... extraFlags) {
    int clusterPort = FreePorts.next();
    List<String> flags = new ArrayList<>();
    flags.add("--profile=local");
    flags.add("--cluster.name=" + name + "-" + UUID.randomUUID().toString().substring(0, 8));
    flags.add("--cluster.port=" + clusterPort);
    flags.add("--cluster.members=127.0.0.1:" + clusterPort);
    flags.add("--cluster.size=1");
    flags.add("--cluster.join-wait-s=0");
    flags.add("--api.port=" + FreePorts.next());
    flags.add("--node.name=" + name);
    flags.addAll(List.of(extraFlags));
    return RegistryNode.start(ConfigLoader.load(flags.toArray(String[]::new), Map.of()));
  }
}
