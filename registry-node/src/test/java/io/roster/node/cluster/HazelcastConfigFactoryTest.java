package io.roster.node.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.KubernetesConfig;
import io.roster.node.config.ConfigLoader;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How Roster's cluster keys become the embedded member's join configuration. */
class HazelcastConfigFactoryTest {

  @Test
  void listedMembersJoinOverTcpIp() {
    Config config =
        HazelcastConfigFactory.create(
            ConfigLoader.load(
                new String[] {
                  "--security.insecure=true", "--cluster.members=10.0.0.1:5701,10.0.0.2:5701"
                },
                Map.of()));

    JoinConfig join = join(config);
    assertTrue(join.getTcpIpConfig().isEnabled());
    assertEquals(List.of("10.0.0.1:5701", "10.0.0.2:5701"), join.getTcpIpConfig().getMembers());
    assertFalse(join.getKubernetesConfig().isEnabled());
    assertFalse(join.getMulticastConfig().isEnabled());
    assertFalse(join.isAutoDetectionEnabled());
  }

  @Test
  void aDnsNameJoinsThroughKubernetesDiscoveryInDnsLookupMode() {
    // The environment a Kubernetes pod of deploy/kubernetes gets.
    Config config =
        HazelcastConfigFactory.create(
            ConfigLoader.load(
                new String[0],
                Map.of(
                    "ROSTER_SECURITY_INSECURE", "true",
                    "ROSTER_CLUSTER_DISCOVERY", "dns",
                    "ROSTER_CLUSTER_DNS_NAME", "roster-members.roster.svc.cluster.local",
                    "ROSTER_CLUSTER_PORT", "5701",
                    "ROSTER_CLUSTER_HOST", "10.1.2.3")));

    JoinConfig join = join(config);
    KubernetesConfig kubernetes = join.getKubernetesConfig();
    assertTrue(kubernetes.isEnabled());
    assertEquals(
        Map.of(
            "service-dns", "roster-members.roster.svc.cluster.local",
            "service-dns-timeout", "5",
            "service-port", "5701"),
        kubernetes.getProperties());
    assertFalse(join.getTcpIpConfig().isEnabled());
    assertFalse(join.getMulticastConfig().isEnabled());
    assertFalse(join.isAutoDetectionEnabled());
  }

  private static JoinConfig join(Config config) {
    // The member port serves members only (no Hazelcast clients): the advanced network is on.
    assertTrue(config.getAdvancedNetworkConfig().isEnabled());
    return config.getAdvancedNetworkConfig().getJoin();
  }
}
