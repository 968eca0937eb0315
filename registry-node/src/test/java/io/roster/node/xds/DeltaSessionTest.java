package io.roster.node.xds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.xds.shaded.io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.grpc.xds.shaded.io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.grpc.xds.shaded.io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.grpc.xds.shaded.io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.roster.node.domain.ServiceKey;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The incremental variant, request by request, against an in-memory registry. */
@Timeout(60)
class DeltaSessionTest {

  private static final ServiceKey ORDERS = new ServiceKey("default", "orders");
  private static final ServiceKey LEDGER = new ServiceKey("payments", "ledger");
  private static final String ORDERS_NAME = "orders.service.default.roster";
  private static final String LEDGER_NAME = "ledger.service.payments.roster";

  private final Registry registry = new Registry();
  private final Registry.Recorder recorder = new Registry.Recorder();
  private final DeltaSession session =
      new DeltaSession(registry.catalog, namespace -> true, recorder, recorder);

  @AfterEach
  void close() {
    registry.close();
  }

  @Test
  void subscribedResourcesComeWithTheirVersionsAndOnlyChangesFollow() throws Exception {
    long revision = registry.register(ORDERS, "a", "10.0.0.1", 1, "z1");
    registry.register(LEDGER, "l", "10.0.0.9", 1, "z1");

    DeltaDiscoveryResponse first =
        ask(subscribe(ResourceType.ENDPOINT, "", ORDERS_NAME, LEDGER_NAME));
    assertEquals(2, first.getResourcesCount());
    Resource orders = resource(first, ORDERS_NAME);
    assertEquals("42." + revision, orders.getVersion());
    assertEquals(
        ORDERS_NAME, orders.getResource().unpack(ClusterLoadAssignment.class).getClusterName());
    assertNull(ask(ack(ResourceType.ENDPOINT, first.getNonce())), "an ACK is not answered");

    long next = registry.register(ORDERS, "b", "10.0.0.2", 1, "z1");
    session.serviceChanged(ORDERS);
    DeltaDiscoveryResponse pushed = session.nextResponse();
    assertEquals(1, pushed.getResourcesCount(), "only what changed");
    assertEquals("42." + next, pushed.getResources(0).getVersion());
    assertEquals(0, pushed.getRemovedResourcesCount());
  }

  @Test
  void unsubscribingIsQuietAndSubscribingAgainSendsTheResourceAgain() {
    registry.register(ORDERS, "a", "10.0.0.1", 1, "z1");
    DeltaDiscoveryResponse first = ask(subscribe(ResourceType.ENDPOINT, "", ORDERS_NAME));

    DeltaDiscoveryRequest unsubscribe =
        DeltaDiscoveryRequest.newBuilder()
            .setTypeUrl(ResourceType.ENDPOINT.typeUrl())
            .setResponseNonce(first.getNonce())
            .addResourceNamesUnsubscribe(ORDERS_NAME)
            .build();
    assertNull(ask(unsubscribe));
    assertTrue(recorder.following.isEmpty(), "the service is no longer followed");

    DeltaDiscoveryResponse again = ask(subscribe(ResourceType.ENDPOINT, "", ORDERS_NAME));
    assertEquals(1, again.getResourcesCount());
  }

  @Test
  void aSubscribedResourceThatDoesNotExistIsRemovedAtOnceAndSentWhenItAppears() throws Exception {
    DeltaDiscoveryResponse none = ask(subscribe(ResourceType.CLUSTER, "", ORDERS_NAME));
    assertEquals(List.of(ORDERS_NAME), none.getRemovedResourcesList());
    assertEquals(0, none.getResourcesCount());

    registry.register(ORDERS, "a", "10.0.0.1", 1, "z1");
    session.serviceChanged(ORDERS);
    DeltaDiscoveryResponse appeared = session.nextResponse();
    assertEquals(
        ORDERS_NAME, appeared.getResources(0).getResource().unpack(Cluster.class).getName());
  }

  @Test
  void aReconnectingClientGetsOnlyWhatDiffersFromWhatItHolds() {
    long revision = registry.register(ORDERS, "a", "10.0.0.1", 1, "z1");
    registry.register(LEDGER, "l", "10.0.0.9", 1, "z1");

    DeltaDiscoveryRequest resumed =
        DeltaDiscoveryRequest.newBuilder()
            .setTypeUrl(ResourceType.ENDPOINT.typeUrl())
            .addResourceNamesSubscribe(ORDERS_NAME)
            .addResourceNamesSubscribe(LEDGER_NAME)
            .putAllInitialResourceVersions(
                Map.of(ORDERS_NAME, "42." + revision, LEDGER_NAME, "42.0"))
            .build();
    DeltaDiscoveryResponse response = ask(resumed);

    assertEquals(1, response.getResourcesCount());
    assertEquals(LEDGER_NAME, response.getResources(0).getName());
  }

  @Test
  void aWildcardSubscriptionFollowsEveryReadableClusterAsServicesAppear() {
    registry.register(ORDERS, "a", "10.0.0.1", 1, "z1");
    DeltaSession wildcard =
        new DeltaSession(registry.catalog, "default"::equals, recorder, recorder);
    registry.register(LEDGER, "l", "10.0.0.9", 1, "z1");

    wildcard.onRequest(
        DeltaDiscoveryRequest.newBuilder().setTypeUrl(ResourceType.CLUSTER.typeUrl()).build());
    DeltaDiscoveryResponse all = wildcard.nextResponse();
    assertEquals(
        List.of(ORDERS_NAME), all.getResourcesList().stream().map(r -> r.getName()).toList());

    ServiceKey newcomer = new ServiceKey("default", "newcomer");
    registry.register(newcomer, "n", "10.0.0.5", 1, "z1");
    wildcard.serviceAppeared(newcomer);
    DeltaDiscoveryResponse more = wildcard.nextResponse();
    assertEquals(
        List.of("newcomer.service.default.roster"),
        more.getResourcesList().stream().map(r -> r.getName()).toList());
  }

  @Test
  void aNackIsReportedOnceAndNothingIsResent() {
    registry.register(ORDERS, "a", "10.0.0.1", 1, "z1");
    DeltaDiscoveryResponse first = ask(subscribe(ResourceType.ENDPOINT, "", ORDERS_NAME));

    DeltaDiscoveryRequest nack =
        ack(ResourceType.ENDPOINT, first.getNonce()).toBuilder()
            .setErrorDetail(com.google.rpc.Status.newBuilder().setCode(3).setMessage("bad"))
            .build();
    assertNull(ask(nack));
    assertNull(ask(nack));

    assertEquals(List.of("EDS " + first.getNonce() + " 3 bad"), recorder.rejected);
  }

  @Test
  void aMalformedNameIsRemovedWithItsErrorWhileTheOthersAreServed() {
    registry.register(ORDERS, "a", "10.0.0.1", 1, "z1");
    DeltaDiscoveryResponse response =
        ask(subscribe(ResourceType.ENDPOINT, "", "bad name", ORDERS_NAME));

    assertEquals(1, response.getResourcesCount());
    assertEquals(List.of("bad name"), response.getRemovedResourcesList());
    assertEquals("bad name", response.getResourceErrors(0).getResourceName().getName());
  }

  private DeltaDiscoveryResponse ask(DeltaDiscoveryRequest request) {
    session.onRequest(request);
    return session.nextResponse();
  }

  private static Resource resource(DeltaDiscoveryResponse response, String name) {
    return response.getResourcesList().stream()
        .filter(r -> r.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + name + " in " + response));
  }

  static DeltaDiscoveryRequest subscribe(ResourceType type, String nonce, String... names) {
    return DeltaDiscoveryRequest.newBuilder()
        .setTypeUrl(type.typeUrl())
        .setResponseNonce(nonce)
        .addAllResourceNamesSubscribe(List.of(names))
        .build();
  }

  static DeltaDiscoveryRequest ack(ResourceType type, String nonce) {
    return DeltaDiscoveryRequest.newBuilder()
        .setTypeUrl(type.typeUrl())
        .setResponseNonce(nonce)
        .build();
  }
}
