package io.roster.node.cluster;

import com.hazelcast.config.AdvancedNetworkConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.config.ServerSocketEndpointConfig;
import com.hazelcast.config.SplitBrainProtectionConfig;
import com.hazelcast.splitbrainprotection.SplitBrainProtectionOn;
import io.roster.node.config.NodeConfig;
import io.roster.node.store.hazelcast.HazelcastRegistryStore;
import io.roster.node.store.hazelcast.LeaseTableMergePolicy;
import io.roster.node.store.hazelcast.RegistrySerialization;
import io.roster.node.store.hazelcast.ServiceStateMergePolicy;

/** Builds the embedded Hazelcast member's configuration from the node's. */
public final class HazelcastConfigFactory {

  /** Member attribute holding the client-facing address, so any node can list every node's. */
  public static final String API_ADDRESS_ATTRIBUTE = "roster.api";

  /** Member attribute holding the node's name. */
  public static final String NODE_NAME_ATTRIBUTE = "roster.node";

  /** Map holding the leader record (its epoch), see {@link Leadership}. */
  public static final String LEADERSHIP_MAP = "roster-leadership";

  /** The registry's incarnation ({@link RegistryIncarnation}). */
  static final String META_MAP = "roster-meta";

  /** Executor the leader's lease pings run on. */
  static final String PING_EXECUTOR = "roster-ping";

  private static final String MAJORITY = "roster-majority";

  private HazelcastConfigFactory() {}

  public static Config create(NodeConfig node) {
    NodeConfig.Cluster cluster = node.cluster();
    Config config = new Config();
    config.setClusterName(cluster.name());
    config.setInstanceName("roster-" + node.nodeName());
    config
        .getMemberAttributeConfig()
        .setAttribute(API_ADDRESS_ATTRIBUTE, node.api().advertisedAddress());
    config.getMemberAttributeConfig().setAttribute(NODE_NAME_ATTRIBUTE, node.nodeName());
    MemberIdentity identity = new MemberIdentity(cluster.name(), cluster.secret());
    config
        .getMemberAttributeConfig()
        .setAttribute(
            MemberIdentity.PROOF_ATTRIBUTE, identity.proofFor(cluster.host(), cluster.port()));

    // Bind to exactly cluster.host, even an address no interface lists (127.0.0.2 on loopback):
    // interface matching would refuse it.
    config.setProperty("hazelcast.local.localAddress", cluster.host());
    config.setProperty("hazelcast.socket.bind.any", "false");
    JoinConfig join;
    if (cluster.hazelcastClients()) {
      NetworkConfig network = config.getNetworkConfig();
      network.setPort(cluster.port()).setPortAutoIncrement(false);
      network.setPublicAddress(cluster.host() + ":" + cluster.port());
      join = network.getJoin();
    } else {
      // The member port serves members only: a Hazelcast client (which could read and write
      // every map) is refused at its first bytes. Only the advanced network configuration can
      // leave the client protocol out; the plain one serves it on the member port.
      AdvancedNetworkConfig network = config.getAdvancedNetworkConfig().setEnabled(true);
      ServerSocketEndpointConfig members = new ServerSocketEndpointConfig();
      members.setPort(cluster.port()).setPortAutoIncrement(false);
      members.setPublicAddress(cluster.host() + ":" + cluster.port());
      network.setMemberEndpointConfig(members);
      join = network.getJoin();
    }
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    if (cluster.discoversByDns()) {
      // Hazelcast's Kubernetes discovery in its DNS lookup mode asks the resolver for every
      // address of one name, at each join attempt; nothing in it needs Kubernetes, so a name with
      // one A record per host serves three hosts as well as a headless Service serves pods.
      join.getKubernetesConfig()
          .setEnabled(true)
          .setProperty("service-dns", cluster.dnsName())
          .setProperty("service-dns-timeout", String.valueOf(cluster.dnsTimeoutSeconds()))
          .setProperty("service-port", String.valueOf(cluster.port()));
    } else {
      // How long a starting member asks the seed addresses for a master before it claims to be
      // one: Hazelcast's 5 s, spent even when every seed is up and answers, is most of a start on
      // one machine. join-wait-s is that wait; at least 1 s, so a member asks at least once.
      join.getTcpIpConfig()
          .setEnabled(true)
          .setMembers(cluster.members())
          .setConnectionTimeoutSeconds(Math.max(1, cluster.joinWaitSeconds()));
    }

    // Outgoing member connections leave from cluster.host too, so a firewall (or a test cutting
    // one node off) can tell members apart by address.
    config.setProperty("hazelcast.socket.client.bind.any", "false");
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    // The node stops Hazelcast itself, after it has told its clients (see RegistryNode.stop).
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    config.setProperty(
        "hazelcast.heartbeat.interval.seconds", String.valueOf(cluster.heartbeatIntervalSeconds()));
    config.setProperty(
        "hazelcast.max.no.heartbeat.seconds", String.valueOf(cluster.maxNoHeartbeatSeconds()));
    config.setProperty(
        "hazelcast.wait.seconds.before.join", String.valueOf(cluster.joinWaitSeconds()));
    config.setProperty(
        "hazelcast.max.wait.seconds.before.join",
        String.valueOf(Math.max(cluster.joinWaitSeconds() * 2, 1)));
    // A member that is shut down gracefully hands its partitions over first: allow it the time.
    config.setProperty("hazelcast.graceful.shutdown.max.wait", "60");

    // A member cut off from the others notices only after max-no-heartbeat; invocations waiting
    // on it fail after this, so a client's call moves on instead of hanging.
    config.setProperty(
        "hazelcast.operation.call.timeout.millis",
        String.valueOf(Math.max(5_000, cluster.maxNoHeartbeatSeconds() * 1_000 / 2)));
    // Heal a split quickly: look for the other side every few seconds.
    config.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
    config.setProperty("hazelcast.merge.next.run.delay.seconds", "5");

    RegistrySerialization.configure(config.getSerializationConfig());
    ClusterSerialization.configure(config.getSerializationConfig());
    // Writes need a majority of the configured cluster: a minority side, once it knows it is one,
    // refuses registrations and heartbeats (callers get UNAVAILABLE and move to a node of the
    // majority) but keeps answering reads from its local view.
    // Only Roster nodes count toward that majority (MemberIdentity), never a lite member or a
    // stranger that joined the member port.
    boolean protect = cluster.quorumSize() >= 2;
    if (protect) {
      config.addSplitBrainProtectionConfig(
          new SplitBrainProtectionConfig(MAJORITY, true, cluster.quorumSize())
              .setProtectOn(SplitBrainProtectionOn.WRITE)
              .setFunctionImplementation(new TrustedMajority(identity, cluster.quorumSize())));
    }
    config.addMapConfig(
        registryMap(
            HazelcastRegistryStore.SERVICES_MAP,
            cluster.backupCount(),
            ServiceStateMergePolicy.class.getName(),
            protect));
    config.addMapConfig(
        registryMap(
            HazelcastRegistryStore.LEASES_MAP,
            cluster.backupCount(),
            LeaseTableMergePolicy.class.getName(),
            protect));
    config.addMapConfig(
        new MapConfig(LEADERSHIP_MAP).setBackupCount(Math.max(1, cluster.backupCount())));
    // Written once per incarnation and read by every node that joins: a copy on every member (up to
    // Hazelcast's 7), so it outlives any loss of members short of all of them.
    config.addMapConfig(new MapConfig(META_MAP).setBackupCount(MapConfig.MAX_BACKUP_COUNT));
    // Leader-lease pings must not queue behind anything else.
    config.getExecutorConfig(PING_EXECUTOR).setPoolSize(2).setQueueCapacity(1_000);
    return config;
  }

  /**
   * Registry maps hold mutable objects changed in place by entry processors (OBJECT format: no
   * deserialization per change), with synchronous backups so a member's death loses nothing that
   * was acknowledged, and no Hazelcast expiry: leases are the registry's own business.
   */
  private static MapConfig registryMap(
      String name, int backupCount, String mergePolicy, boolean protect) {
    MapConfig map =
        new MapConfig(name)
            .setInMemoryFormat(InMemoryFormat.OBJECT)
            .setBackupCount(backupCount)
            .setAsyncBackupCount(0)
            .setReadBackupData(false)
            .setStatisticsEnabled(true)
            .setSplitBrainProtectionName(protect ? MAJORITY : null);
    map.getMergePolicyConfig().setPolicy(mergePolicy);
    return map;
  }
}
