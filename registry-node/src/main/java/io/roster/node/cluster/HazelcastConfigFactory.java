package io.roster.node.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.NetworkConfig;
import io.roster.node.config.NodeConfig;
import io.roster.node.store.hazelcast.HazelcastRegistryStore;
import io.roster.node.store.hazelcast.RegistrySerialization;

/** Builds the embedded Hazelcast member's configuration from the node's. */
public final class HazelcastConfigFactory {

  /** Member attribute holding the client-facing address, so any node can list every node's. */
  public static final String API_ADDRESS_ATTRIBUTE = "roster.api";

  /** Member attribute holding the node's name. */
  public static final String NODE_NAME_ATTRIBUTE = "roster.node";

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

    NetworkConfig network = config.getNetworkConfig();
    network.setPort(cluster.port()).setPortAutoIncrement(false);
    network.setPublicAddress(cluster.host() + ":" + cluster.port());
    network.getInterfaces().setEnabled(true).addInterface(cluster.host());
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(cluster.members());

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

    RegistrySerialization.configure(config.getSerializationConfig());
    config.addMapConfig(registryMap(HazelcastRegistryStore.SERVICES_MAP, cluster.backupCount()));
    config.addMapConfig(registryMap(HazelcastRegistryStore.LEASES_MAP, cluster.backupCount()));
    return config;
  }

  /**
   * Registry maps hold mutable objects changed in place by entry processors (OBJECT format: no
   * deserialization per change), with synchronous backups so a member's death loses nothing that
   * was acknowledged, and no Hazelcast expiry: leases are the registry's own business.
   */
  private static MapConfig registryMap(String name, int backupCount) {
    return new MapConfig(name)
        .setInMemoryFormat(InMemoryFormat.OBJECT)
        .setBackupCount(backupCount)
        .setAsyncBackupCount(0)
        .setReadBackupData(false)
        .setStatisticsEnabled(true);
  }
}
