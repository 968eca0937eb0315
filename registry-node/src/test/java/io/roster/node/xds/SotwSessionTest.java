package io.roster.node.xds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.core.v3.Locality;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.core.v3.Node;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.listener.v3.Listener;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.grpc.xds.shaded.io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.grpc.xds.shaded.io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.xds.shaded.io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.roster.node.domain.InstanceStatus;
import io.roster.node.domain.ServiceKey;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The state-of-the-world variant, request by request, against an in-memory registry. */
@Timeout(60)
class SotwSessionTest {

  private static final ServiceKey ORDERS = new ServiceKey("default", "orders");
  private static final ServiceKey LEDGER = new ServiceKey("payments", "ledger");
  private static final String ORDERS_NAME = "orders.service.default.roster";

  private final Registry registry = new Registry();
  private final Registry.Recorder recorder = new Registry.Recorder();
  private final SotwSession session =
      new SotwSession(registry.catalog, namespace -> true, recorder, recorder);

  @AfterEach
  void close() {
    registry.close();
  }

  @Test
  void aListenerLeadsToItsRouteClusterAndEndpointsAndAnAckIsAnsweredByNothing() throws Exception {
    registry.register(ORDERS, "a", "10.0.0.1", 1, "z1");

    DiscoveryResponse lds = ask(request(ResourceType.LISTENER, "", "", "orders"));
    assertEquals(ResourceType.LISTENER.typeUrl(), lds.getTypeUrl());
    assertEquals("1", lds.getVersionInfo());
    Listener listener = lds.getResources(0).unpack(Listener.class);
    assertEquals("orders", listener.getName());
    HttpConnectionManager manager =
        listener.getApiListener().getApiListener().unpack(HttpConnectionManager.class);
    assertEquals(ORDERS_NAME, manager.getRds().getRouteConfigName());
    assertTrue(manager.getRds().getConfigSource().hasAds());
    assertEquals(XdsResources.ROUTER_FILTER, manager.getHttpFilters(0).getName());
    assertEquals(List.of(ORDERS), recorder.following);

    // The ACK: nothing to send.
    assertNull(ask(request(ResourceType.LISTENER, "1", lds.getNonce(), "orders")));
    assertEquals(1, recorder.accepted);

    DiscoveryResponse rds = ask(request(ResourceType.ROUTE, "", "", ORDERS_NAME));
    RouteConfiguration route = rds.getResources(0).unpack(RouteConfiguration.class);
    assertEquals(List.of("*"), route.getVirtualHosts(0).getDomainsList());
    assertEquals(ORDERS_NAME, route.getVirtualHosts(0).getRoutes(0).getRoute().getCluster());

    DiscoveryResponse cds = ask(request(ResourceType.CLUSTER, "", "", ORDERS_NAME));
    Cluster cluster = cds.getResources(0).unpack(Cluster.class);
    assertEquals(Cluster.DiscoveryType.EDS, cluster.getType());
    assertEquals(ORDERS_NAME, cluster.getEdsClusterConfig().getServiceName());

    DiscoveryResponse eds = ask(request(ResourceType.ENDPOINT, "", "", ORDERS_NAME));
    ClusterLoadAssignment assignment = eds.getResources(0).unpack(ClusterLoadAssignment.class);
    assertEquals(1, assignment.getEndpointsCount());
    assertEquals("42." + registry.view.get(ORDERS).revision(), eds.getVersionInfo());
  }

  @Test
  void aChangeIsPushedWithANewVersionAndANackIsReportedOnceWithoutAResend() throws Exception {
    registry.register(ORDERS, "a", "10.0.0.1", 1, "z1");
    DiscoveryResponse first = ask(request(ResourceType.ENDPOINT, "", "", ORDERS_NAME));

    long revision = registry.register(ORDERS, "b", "10.0.0.2", 2, "z1");
    session.serviceChanged(ORDERS);
    DiscoveryResponse pushed = session.nextResponse();

    assertEquals("42." + revision, pushed.getVersionInfo());
    assertNotEquals(first.getNonce(), pushed.getNonce());
    assertEquals(2, pushed.getResources(0).unpack(ClusterLoadAssignment.class).getEndpointsCount());

    DiscoveryRequest nack =
        request(ResourceType.ENDPOINT, first.getVersionInfo(), pushed.getNonce(), ORDERS_NAME)
            .toBuilder()
            .setErrorDetail(
                com.google.rpc.Status.newBuilder()
                    .setCode(Status.Code.INVALID_ARGUMENT.value())
                    .setMessage("no thanks"))
            .build();
    assertNull(ask(nack), "a NACK is not answered by a resend");
    assertNull(ask(nack), "nor when it comes twice");
    assertEquals(List.of("EDS " + pushed.getNonce() + " 3 no thanks"), recorder.rejected);

    // Nothing changed since: a push changes nothing either.
    session.serviceChanged(ORDERS);
    assertNull(session.nextResponse());
  }

  @Test
  void aListenerOfAnUnknownServiceDoesNotExistUntilTheServiceIsRegistered() throws Exception {
    DiscoveryResponse none = ask(request(ResourceType.LISTENER, "", "", "orders"));
    assertEquals(0, none.getResourcesCount(), "absent from a full-state response: does not exist");
    assertEquals("0", none.getVersionInfo());

    registry.register(ORDERS, "a", "10.0.0.1", 1, "z1");
    session.serviceChanged(ORDERS);
    DiscoveryResponse appeared = session.nextResponse();

    assertEquals("orders", appeared.getResources(0).unpack(Listener.class).getName());
  }

  @Test
  void theVersionOfSeveralResourcesIsTheSameForTheSameStateWhateverTheOrder() {
    registry.register(ORDERS, "a", "10.0.0.1", 1, "z1");
    registry.register(LEDGER, "l", "10.0.0.9", 1, "z1");
    String ledgerName = XdsNames.canonical(LEDGER);

    String version =
        ask(request(ResourceType.ENDPOINT, "", "", ORDERS_NAME, ledgerName)).getVersionInfo();
    SotwSession other = new SotwSession(registry.catalog, namespace -> true, recorder, recorder);
    other.onRequest(request(ResourceType.ENDPOINT, "", "", ledgerName, ORDERS_NAME));

    assertTrue(version.startsWith("d"), version);
    assertEquals(version, other.nextResponse().getVersionInfo());
  }

  @Test
  void followingEveryClusterGetsThoseOfTheNamespacesTheCallerMayRead() throws Exception {
    registry.register(ORDERS, "a", "10.0.0.1", 1, "z1");
    registry.register(LEDGER, "l", "10.0.0.9", 1, "z1");
    SotwSession defaultOnly =
        new SotwSession(registry.catalog, "default"::equals, recorder, recorder);

    defaultOnly.onRequest(request(ResourceType.CLUSTER, "", ""));
    DiscoveryResponse clusters = defaultOnly.nextResponse();

    assertEquals(1, clusters.getResourcesCount());
    assertEquals(ORDERS_NAME, clusters.getResources(0).unpack(Cluster.class).getName());

    ServiceKey newcomer = new ServiceKey("default", "newcomer");
    registry.register(newcomer, "n", "10.0.0.5", 1, "z1");
    defaultOnly.serviceAppeared(newcomer);
    assertEquals(2, defaultOnly.nextResponse().getResourcesCount());
  }

  @Test
  void namesOfNoServiceTheCallerMayReadDoNotExistAndSayWhyOnce() {
    registry.register(LEDGER, "l", "10.0.0.9", 1, "z1");
    SotwSession defaultOnly =
        new SotwSession(registry.catalog, "default"::equals, recorder, recorder);

    defaultOnly.onRequest(
        request(ResourceType.LISTENER, "", "", "ord rs", "ledger.service.payments.roster"));
    DiscoveryResponse response = defaultOnly.nextResponse();

    assertEquals(0, response.getResourcesCount());
    assertEquals(2, response.getResourceErrorsCount());
    assertEquals(
        Status.Code.INVALID_ARGUMENT.value(),
        response.getResourceErrors(0).getErrorDetail().getCode());
    assertEquals(
        Status.Code.PERMISSION_DENIED.value(),
        response.getResourceErrors(1).getErrorDetail().getCode());
    assertEquals(
        List.of("ord rs: INVALID_ARGUMENT", "ledger.service.payments.roster: PERMISSION_DENIED"),
        recorder.refused);

    // A later request naming one more gets the others' errors no more.
    defaultOnly.onRequest(
        request(
            ResourceType.LISTENER,
            "0",
            response.getNonce(),
            "ord rs",
            "ledger.service.payments.roster",
            "orders"));
    assertEquals(0, defaultOnly.nextResponse().getResourceErrorsCount());
  }

  @Test
  void aTypeTheNodeDoesNotServeEndsTheStreamSayingWhichItServes() {
    StatusRuntimeException refused =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                session.onRequest(
                    DiscoveryRequest.newBuilder()
                        .setTypeUrl("type.googleapis.com/envoy.api.v2.Cluster")
                        .build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode());
    assertTrue(
        refused.getStatus().getDescription().contains(ResourceType.CLUSTER.typeUrl()),
        refused.getStatus().getDescription());
  }

  @Test
  void aRequestWithAnOlderNonceChangesWhatIsFollowedButAcksNothing() throws Exception {
    registry.register(ORDERS, "a", "10.0.0.1", 1, "z1");
    DiscoveryResponse first = ask(request(ResourceType.ENDPOINT, "", "", ORDERS_NAME));
    registry.register(ORDERS, "b", "10.0.0.2", 1, "z1");
    session.serviceChanged(ORDERS);
    session.nextResponse();

    registry.register(LEDGER, "l", "10.0.0.9", 1, "z1");
    DiscoveryResponse ledger =
        ask(
            request(
                ResourceType.ENDPOINT,
                first.getVersionInfo(),
                first.getNonce(),
                ORDERS_NAME,
                XdsNames.canonical(LEDGER)));

    assertEquals(0, recorder.accepted, "an older nonce acknowledges nothing");
    assertEquals(1, ledger.getResourcesCount(), "only the newly followed one");
    assertEquals(
        XdsNames.canonical(LEDGER),
        ledger.getResources(0).unpack(ClusterLoadAssignment.class).getClusterName());
  }

  @Test
  void aStreamMayFollowAtMostItsLimitOfNamesOfOneType() {
    String[] names = new String[AdsSession.MAX_NAMES_PER_TYPE + 1];
    for (int i = 0; i < names.length; i++) {
      names[i] = "s" + i;
    }
    StatusRuntimeException refused =
        assertThrows(
            StatusRuntimeException.class,
            () -> session.onRequest(request(ResourceType.ENDPOINT, "", "", names)));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.getStatus().getCode());
  }

  @Test
  void theClientsZoneFromItsFirstRequestOrdersItsEndpoints() throws Exception {
    registry.register(ORDERS, "a", "10.0.0.1", 1, "z1");
    registry.register(ORDERS, "b", "10.0.0.2", 1, "z2");
    session.onRequest(
        request(ResourceType.ENDPOINT, "", "", ORDERS_NAME).toBuilder()
            .setNode(Node.newBuilder().setId("c1").setLocality(Locality.newBuilder().setZone("z2")))
            .build());
    ClusterLoadAssignment assignment =
        session.nextResponse().getResources(0).unpack(ClusterLoadAssignment.class);
    for (var locality : assignment.getEndpointsList()) {
      assertEquals(
          locality.getLocality().getZone().equals("z2") ? 0 : 1,
          locality.getPriority(),
          locality.toString());
    }
    assertEquals("c1", session.clientId());
  }

  @Test
  void drainingInstancesAreMarkedSoClientsSendThemNothingNew() throws Exception {
    registry.register(ORDERS, "a", "10.0.0.1", 1, "z1");
    registry.register(ORDERS, "b", "10.0.0.2", 1, "z1");
    ask(request(ResourceType.ENDPOINT, "", "", ORDERS_NAME));

    registry.setStatus(ORDERS, "b", InstanceStatus.DRAINING);
    session.serviceChanged(ORDERS);
    ClusterLoadAssignment assignment =
        session.nextResponse().getResources(0).unpack(ClusterLoadAssignment.class);

    assertEquals(
        "DRAINING",
        assignment.getEndpointsList().stream()
            .filter(l -> l.getLocality().getSubZone().equals("b"))
            .findFirst()
            .orElseThrow()
            .getLbEndpoints(0)
            .getHealthStatus()
            .name());
  }

  private DiscoveryResponse ask(DiscoveryRequest request) {
    session.onRequest(request);
    return session.nextResponse();
  }

  static DiscoveryRequest request(
      ResourceType type, String version, String nonce, String... names) {
    return DiscoveryRequest.newBuilder()
        .setTypeUrl(type.typeUrl())
        .setVersionInfo(version)
        .setResponseNonce(nonce)
        .addAllResourceNames(List.of(names))
        .build();
  }
}
