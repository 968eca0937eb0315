package io.roster.node.xds;

import com.google.common.net.InetAddresses;
import com.google.protobuf.Any;
import com.google.protobuf.Struct;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.Value;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.core.v3.Address;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.core.v3.Locality;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.core.v3.Metadata;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.listener.v3.ApiListener;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.listener.v3.Listener;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.route.v3.Route;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.grpc.xds.shaded.io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.grpc.xds.shaded.io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.grpc.xds.shaded.io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.grpc.xds.shaded.io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.Rds;
import io.roster.node.domain.InstanceRecord;
import io.roster.node.domain.InstanceStatus;
import io.roster.node.domain.ServiceKey;
import io.roster.node.domain.ServiceView;

/**
 * The resources of one service, built from what the registry holds (docs/xds.md shows each field).
 *
 * <ul>
 *   <li>Listener: an API listener (the kind gRPC clients read) whose HttpConnectionManager names
 *       the service's RouteConfiguration, fetched over the same ADS stream (RDS), and the router
 *       filter.
 *   <li>RouteConfiguration: one virtual host matching any authority, one route sending every call
 *       to the service's Cluster.
 *   <li>Cluster: EDS over the same ADS stream, round robin.
 *   <li>ClusterLoadAssignment: every instance that may take calls, each in a locality of its own
 *       ({@code zone} = its zone, {@code sub_zone} = its instance id) whose weight is the
 *       instance's weight, and the same weight on the endpoint.
 * </ul>
 *
 * <p>Why a locality per instance: gRPC's xDS clients (Java, Go, C++, Node) balance a cluster with
 * {@code wrr_locality}: localities by their weights, then round robin inside each locality, which
 * ignores endpoint weights. With one instance per locality, the locality weights are the instance
 * weights, so calls spread as the weights say in every gRPC client. Envoy ignores locality weights
 * unless told otherwise and uses the endpoint weights, which are the same.
 *
 * <p>Stateless.
 */
final class XdsResources {

  /** The version of the Listener, RouteConfiguration and Cluster: they depend on names alone. */
  static final String NAMED_VERSION = "1";

  static final String ROUTER_FILTER = "envoy.filters.http.router";

  /** The key of the endpoint metadata Roster sets ({@code filter_metadata}). */
  static final String METADATA_KEY = "roster";

  private static final ConfigSource ADS =
      ConfigSource.newBuilder()
          .setAds(AggregatedConfigSource.getDefaultInstance())
          .setResourceApiVersion(ApiVersion.V3)
          .build();

  private XdsResources() {}

  static XdsResource listener(String name, ServiceKey service) {
    HttpConnectionManager manager =
        HttpConnectionManager.newBuilder()
            .setStatPrefix(XdsNames.canonical(service))
            .setRds(
                Rds.newBuilder()
                    .setConfigSource(ADS)
                    .setRouteConfigName(XdsNames.canonical(service)))
            .addHttpFilters(
                HttpFilter.newBuilder()
                    .setName(ROUTER_FILTER)
                    .setTypedConfig(Any.pack(Router.getDefaultInstance())))
            .build();
    Listener listener =
        Listener.newBuilder()
            .setName(name)
            .setApiListener(ApiListener.newBuilder().setApiListener(Any.pack(manager)))
            .build();
    return new XdsResource(name, NAMED_VERSION, Any.pack(listener));
  }

  static XdsResource route(String name, ServiceKey service) {
    String cluster = XdsNames.canonical(service);
    RouteConfiguration route =
        RouteConfiguration.newBuilder()
            .setName(name)
            .addVirtualHosts(
                VirtualHost.newBuilder()
                    .setName(cluster)
                    // Any authority: a channel's authority is the name in its target, which may
                    // be any of the names of the service.
                    .addDomains("*")
                    .addRoutes(
                        Route.newBuilder()
                            .setMatch(RouteMatch.newBuilder().setPrefix(""))
                            .setRoute(RouteAction.newBuilder().setCluster(cluster))))
            .build();
    return new XdsResource(name, NAMED_VERSION, Any.pack(route));
  }

  static XdsResource cluster(String name, ServiceKey service) {
    Cluster cluster =
        Cluster.newBuilder()
            .setName(name)
            .setType(Cluster.DiscoveryType.EDS)
            .setEdsClusterConfig(
                Cluster.EdsClusterConfig.newBuilder()
                    .setEdsConfig(ADS)
                    .setServiceName(XdsNames.canonical(service)))
            .setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN)
            .build();
    return new XdsResource(name, NAMED_VERSION, Any.pack(cluster));
  }

  /**
   * The service's endpoints as {@code name}, for a client whose own zone is {@code localZone}: when
   * it is not empty, that zone's instances are priority 0 and every other instance priority 1, else
   * all are priority 0 (the caller decides, {@link ZonePreference}).
   */
  static ClusterLoadAssignment assignment(String name, ServiceView view, String localZone) {
    ClusterLoadAssignment.Builder assignment =
        ClusterLoadAssignment.newBuilder().setClusterName(name);
    for (InstanceRecord record : view.instances()) {
      if (!listed(record)) {
        continue;
      }
      int priority = localZone.isEmpty() || localZone.equals(record.spec().zone()) ? 0 : 1;
      UInt32Value weight = UInt32Value.of(record.spec().weight());
      assignment.addEndpoints(
          LocalityLbEndpoints.newBuilder()
              .setLocality(
                  Locality.newBuilder()
                      .setZone(record.spec().zone())
                      .setSubZone(record.instanceId()))
              .setLoadBalancingWeight(weight)
              .setPriority(priority)
              .addLbEndpoints(
                  LbEndpoint.newBuilder()
                      .setEndpoint(
                          Endpoint.newBuilder()
                              .setAddress(
                                  Address.newBuilder()
                                      .setSocketAddress(
                                          SocketAddress.newBuilder()
                                              .setAddress(record.spec().host())
                                              .setPortValue(record.spec().port()))))
                      .setHealthStatus(health(record))
                      .setLoadBalancingWeight(weight)
                      .setMetadata(metadata(record))));
    }
    return assignment.build();
  }

  /**
   * Whether an instance is in the assignment at all. Out of service: an operator took it out, so no
   * client should call it, not even in a panic. Weight 0: listed but no traffic, which xDS cannot
   * say (Envoy refuses a weight of 0). A host name: clients take endpoint addresses as IP literals
   * only (grpc-java refuses the whole resource otherwise), and resolving names here would make
   * nodes disagree.
   */
  static boolean listed(InstanceRecord record) {
    return record.status() != InstanceStatus.OUT_OF_SERVICE
        && record.spec().weight() > 0
        && InetAddresses.isInetAddress(record.spec().host());
  }

  /**
   * HEALTHY, DRAINING (healthy, but no new calls: gRPC clients leave it out, Envoy drains it), or
   * UNHEALTHY (its lease ran out: gRPC clients leave it out; Envoy may still use it in panic, as
   * Roster's own client does).
   */
  static HealthStatus health(InstanceRecord record) {
    if (!record.healthy()) {
      return HealthStatus.UNHEALTHY;
    }
    return record.status() == InstanceStatus.DRAINING
        ? HealthStatus.DRAINING
        : HealthStatus.HEALTHY;
  }

  private static Metadata metadata(InstanceRecord record) {
    Struct.Builder roster =
        Struct.newBuilder()
            .putFields(
                "instance_id", Value.newBuilder().setStringValue(record.instanceId()).build());
    if (!record.spec().version().isEmpty()) {
      roster.putFields(
          "version", Value.newBuilder().setStringValue(record.spec().version()).build());
    }
    return Metadata.newBuilder().putFilterMetadata(METADATA_KEY, roster.build()).build();
  }
}
