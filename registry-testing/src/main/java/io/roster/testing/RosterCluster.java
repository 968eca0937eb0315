package io.roster.testing;

import static org.awaitility.Awaitility.await;

import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.roster.v1.ClusterServiceGrpc;
import io.roster.v1.ClusterStatusRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Real registry nodes as processes on loopback, with a cluster name of their own so concurrent test
 * clusters never join each other, and fast-join settings. Nodes run the registry-node jar: the
 * {@code roster.node.jar} system property names it, else it is looked for in {@code
 * registry-node/target} of this checkout.
 *
 * <pre>{@code
 * try (RosterCluster cluster = RosterCluster.start(3)) {
 *   var stub = RegistryServiceGrpc.newBlockingStub(cluster.node(0).channel());
 *   ...
 *   cluster.node(1).kill();
 * }
 * }</pre>
 */
public final class RosterCluster implements AutoCloseable {

  /** Generous: three JVMs starting on a loaded 2-core CI machine. */
  public static final Duration FORMATION_TIMEOUT = Duration.ofSeconds(90);

  private final String clusterName;
  private final List<NodeProcess> nodes;

  private RosterCluster(String clusterName, List<NodeProcess> nodes) {
    this.clusterName = clusterName;
    this.nodes = nodes;
  }

  /** Starts {@code size} nodes with default settings and waits until they form one cluster. */
  public static RosterCluster start(int size, String... extraFlags) {
    return builder().size(size).flags(extraFlags).start();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** How to lay out a test cluster. */
  public static final class Builder {
    private int size = 3;
    private boolean distinctHosts;
    private boolean sameApiPort;
    private boolean inOrder;
    private boolean dns;
    private final List<String> flags = new ArrayList<>();
    private ChannelCredentials credentials = InsecureChannelCredentials.create();

    private Builder() {}

    /** Number of nodes (default 3). */
    public Builder size(int size) {
      this.size = size;
      return this;
    }

    /**
     * Node N listens and talks on 127.0.0.N instead of all on 127.0.0.1, so {@link
     * NetworkPartition} can cut nodes off from each other by address.
     */
    public Builder distinctLoopbackHosts() {
      this.distinctHosts = true;
      return this;
    }

    /**
     * Every node's API on the same port of its own loopback host (implies {@link
     * #distinctLoopbackHosts}): one host name that resolves to the three addresses then reaches
     * every node, as a DNS name for a cluster does.
     */
    public Builder sameApiPort() {
      this.distinctHosts = true;
      this.sameApiPort = true;
      return this;
    }

    /** Starts node1 alone first, so it is the oldest member and the first leader. */
    public Builder node1Leads() {
      this.inOrder = true;
      return this;
    }

    /**
     * How the test's own channels ({@link NodeProcess#channel()}, which also wait for the nodes to
     * serve) connect: plaintext by default; TLS credentials for nodes started with {@code
     * --api.tls.*} flags.
     */
    public Builder channelCredentials(ChannelCredentials credentials) {
      this.credentials = credentials;
      return this;
    }

    /**
     * Each node answers DNS on a free port of its own ({@link NodeProcess#dnsPort()}): a flag
     * cannot give three nodes on one host three ports.
     */
    public Builder withDns() {
      this.dns = true;
      return this;
    }

    /** Extra node flags, e.g. {@code --eviction.grace-ms=2000}. */
    public Builder flags(String... extra) {
      flags.addAll(List.of(extra));
      return this;
    }

    /** Prepares the nodes without starting them. */
    public RosterCluster create() {
      String name = "it-" + UUID.randomUUID().toString().substring(0, 8);
      Path jar = nodeJar();
      Path logs = logDirectory(name);
      List<String> hosts = new ArrayList<>();
      List<Integer> clusterPorts = new ArrayList<>();
      for (int i = 0; i < size; i++) {
        hosts.add(distinctHosts ? "127.0.0." + (i + 1) : "127.0.0.1");
        clusterPorts.add(FreePorts.next());
      }
      List<String> memberList = new ArrayList<>();
      for (int i = 0; i < size; i++) {
        memberList.add(hosts.get(i) + ":" + clusterPorts.get(i));
      }
      String members = String.join(",", memberList);
      List<NodeProcess> nodes = new ArrayList<>();
      int sharedApiPort = sameApiPort ? FreePorts.next() : 0;
      for (int i = 0; i < size; i++) {
        int apiPort = sameApiPort ? sharedApiPort : FreePorts.next();
        int dnsPort = dns ? FreePorts.next() : 0;
        List<String> nodeFlags = new ArrayList<>();
        nodeFlags.add("--profile=local");
        nodeFlags.add("--node.name=node" + (i + 1));
        nodeFlags.add("--cluster.name=" + name);
        nodeFlags.add("--cluster.host=" + hosts.get(i));
        nodeFlags.add("--cluster.port=" + clusterPorts.get(i));
        nodeFlags.add("--cluster.members=" + members);
        nodeFlags.add("--cluster.size=" + size);
        nodeFlags.add("--cluster.join-wait-s=1");
        nodeFlags.add("--api.host=" + hosts.get(i));
        nodeFlags.add("--api.port=" + apiPort);
        if (dns) {
          nodeFlags.add("--dns.enabled=true");
          nodeFlags.add("--dns.port=" + dnsPort);
        }
        nodeFlags.addAll(flags);
        nodes.add(
            new NodeProcess(
                "node" + (i + 1),
                hosts.get(i),
                apiPort,
                clusterPorts.get(i),
                dnsPort,
                credentials,
                NodeProcess.javaCommand(jar, nodeFlags),
                logs.resolve("node" + (i + 1) + ".log")));
      }
      return new RosterCluster(name, nodes);
    }

    /** Starts the nodes and waits until they form one cluster. */
    public RosterCluster start() {
      RosterCluster cluster = create();
      try {
        for (NodeProcess node : cluster.nodes) {
          node.start();
          if (inOrder && node == cluster.nodes.get(0)) {
            cluster.awaitServing(node, 1);
          }
        }
        cluster.awaitFormed(size);
      } catch (RuntimeException e) {
        cluster.close();
        throw e;
      }
      return cluster;
    }
  }

  public String clusterName() {
    return clusterName;
  }

  public NodeProcess node(int index) {
    return nodes.get(index);
  }

  public List<NodeProcess> nodes() {
    return nodes;
  }

  /**
   * Waits until every live node serves and sees {@code members} members. Fails at once when any of
   * them exits meanwhile, naming it: a node that dies while another is awaited would otherwise
   * surface only as that other node's timeout.
   */
  public void awaitFormed(int members) {
    List<NodeProcess> live = nodes.stream().filter(NodeProcess::isAlive).toList();
    for (NodeProcess node : live) {
      awaitServing(node, members, live);
    }
  }

  /** Waits until {@code node} says SERVING and sees {@code members} members. */
  public void awaitServing(NodeProcess node, int members) {
    awaitServing(node, members, List.of(node));
  }

  private void awaitServing(NodeProcess node, int members, List<NodeProcess> mustStayAlive) {
    await(
            "node "
                + node.name()
                + " serving with "
                + members
                + " members (log: "
                + node.logFile()
                + ")")
        .atMost(FORMATION_TIMEOUT)
        // The first look at once: after the first node, the others usually serve already, and
        // Awaitility's default first look, 100 ms late, would cost that much per node and start.
        .pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(250))
        .ignoreExceptions()
        .failFast(
            () -> {
              for (NodeProcess other : mustStayAlive) {
                if (!other.isAlive()) {
                  throw new AssertionError(
                      "node " + other.name() + " exited; see " + other.logFile());
                }
              }
            })
        .until(
            () ->
                HealthGrpc.newBlockingStub(node.channel())
                            .withDeadlineAfter(2, TimeUnit.SECONDS)
                            .check(HealthCheckRequest.getDefaultInstance())
                            .getStatus()
                        == HealthCheckResponse.ServingStatus.SERVING
                    && ClusterServiceGrpc.newBlockingStub(node.channel())
                            .withDeadlineAfter(2, TimeUnit.SECONDS)
                            .clusterStatus(ClusterStatusRequest.getDefaultInstance())
                            .getMembersCount()
                        == members);
  }

  /** Kills every node still running and closes the channels. */
  @Override
  public void close() {
    for (NodeProcess node : nodes) {
      node.closeChannel();
      if (node.isAlive()) {
        node.resume();
        node.kill();
      }
    }
  }

  static Path nodeJar() {
    String configured = System.getProperty("roster.node.jar");
    if (configured != null && !configured.isBlank()) {
      return requireFile(Path.of(configured));
    }
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null) {
      Path target = dir.resolve("registry-node").resolve("target");
      if (Files.isDirectory(target)) {
        try (Stream<Path> files = Files.list(target)) {
          return files
              .filter(path -> path.getFileName().toString().matches("registry-node-.*-all\\.jar"))
              .findFirst()
              .orElseThrow(
                  () ->
                      new IllegalStateException(
                          "no registry-node-*-all.jar in " + target + ": run mvn package first"));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      dir = dir.getParent();
    }
    throw new IllegalStateException(
        "cannot find the registry-node jar: set -Droster.node.jar or run from the checkout");
  }

  private static Path requireFile(Path path) {
    if (!Files.isRegularFile(path)) {
      throw new IllegalStateException("roster.node.jar points to " + path + ", which is no file");
    }
    return path;
  }

  private static Path logDirectory(String clusterName) {
    Path dir = Path.of("target", "roster-it", clusterName).toAbsolutePath();
    try {
      return Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + dir, e);
    }
  }
}
