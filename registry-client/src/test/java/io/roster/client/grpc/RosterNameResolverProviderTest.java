package io.roster.client.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.roster.client.HealthState;
import io.roster.client.InstanceStatus;
import io.roster.client.ServiceEndpoints;
import io.roster.client.ServiceInstance;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class RosterNameResolverProviderTest {

  @Test
  void targetsNameTheServiceAndOptionallyNodesAndNamespace() {
    RosterNameResolverProvider.RosterTarget plain =
        RosterNameResolverProvider.RosterTarget.parse(URI.create("roster:///orders"));
    assertEquals("orders", plain.service());
    assertEquals(List.of(), plain.nodes());
    assertNull(plain.namespace());

    RosterNameResolverProvider.RosterTarget full =
        RosterNameResolverProvider.RosterTarget.parse(
            URI.create("roster://10.0.0.1:7101,10.0.0.2:7101/com.example.Orders?namespace=prod"));
    assertEquals("com.example.Orders", full.service());
    assertEquals(List.of("10.0.0.1:7101", "10.0.0.2:7101"), full.nodes());
    assertEquals("prod", full.namespace());
  }

  @Test
  void targetsWithoutAServiceOrWithUnknownParametersAreRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () -> RosterNameResolverProvider.RosterTarget.parse(URI.create("roster:///")));
    assertThrows(
        IllegalArgumentException.class,
        () -> RosterNameResolverProvider.RosterTarget.parse(URI.create("roster:///a/b")));
    assertThrows(
        IllegalArgumentException.class,
        () -> RosterNameResolverProvider.RosterTarget.parse(URI.create("roster:///a?lb=x")));
  }

  @Test
  void theProviderIsFoundThroughMetaInfServices() {
    NameResolverProvider found =
        NameResolverRegistry.getDefaultRegistry().getProviderForScheme("roster");
    assertEquals(RosterNameResolverProvider.class, found.getClass());
    assertEquals(
        "dns",
        NameResolverRegistry.getDefaultRegistry().asFactory().getDefaultScheme(),
        "targets without a scheme stay DNS targets");
    assertEquals(
        RosterWeightedLoadBalancerProvider.class,
        io.grpc.LoadBalancerRegistry.getDefaultRegistry()
            .getProvider(RosterWeightedLoadBalancerProvider.POLICY_NAME)
            .getClass());
  }

  @Test
  void onlyHealthyUpInstancesWithWeightBecomeAddressesCarryingWeightAndZone() {
    ServiceInstance up = instance("up", 8081, 300).build();
    ServiceEndpoints endpoints =
        ServiceEndpoints.of(
            "default",
            "orders",
            3,
            List.of(
                up,
                instance("zero", 8082, 0).build(),
                instance("draining", 8083, 100).status(InstanceStatus.DRAINING).build(),
                instance("sick", 8084, 100).health(HealthState.UNHEALTHY).build()));

    List<EquivalentAddressGroup> groups = RosterNameResolver.addressesOf(endpoints);

    assertEquals(1, groups.size());
    EquivalentAddressGroup group = groups.get(0);
    assertEquals(new InetSocketAddress("127.0.0.1", 8081), group.getAddresses().get(0));
    assertEquals(300, group.getAttributes().get(RosterAttributes.WEIGHT));
    assertEquals("eu-1a", group.getAttributes().get(RosterAttributes.ZONE));
    assertEquals("up", group.getAttributes().get(RosterAttributes.INSTANCE_ID));
  }

  private static ServiceInstance.Builder instance(String id, int port, int weight) {
    return ServiceInstance.builder("orders", "127.0.0.1", port)
        .instanceId(id)
        .weight(weight)
        .zone("eu-1a")
        .health(HealthState.HEALTHY);
  }
}
