package io.roster.node.xds;

import java.util.Map;

/**
 * The four xDS resource types the node serves, by their type URLs. Listener and Cluster are the
 * types of the protocol's "full state" kind: a state-of-the-world response holds every one the
 * client follows (one missing does not exist), and a client may follow all of them (wildcard);
 * RouteConfiguration and ClusterLoadAssignment are followed by name only, and a response may hold
 * just those that changed.
 */
public enum ResourceType {
  LISTENER("type.googleapis.com/envoy.config.listener.v3.Listener", "LDS"),
  ROUTE("type.googleapis.com/envoy.config.route.v3.RouteConfiguration", "RDS"),
  CLUSTER("type.googleapis.com/envoy.config.cluster.v3.Cluster", "CDS"),
  ENDPOINT("type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment", "EDS");

  private static final Map<String, ResourceType> BY_URL =
      Map.of(
          LISTENER.typeUrl, LISTENER,
          ROUTE.typeUrl, ROUTE,
          CLUSTER.typeUrl, CLUSTER,
          ENDPOINT.typeUrl, ENDPOINT);

  private final String typeUrl;
  private final String shortName;

  ResourceType(String typeUrl, String shortName) {
    this.typeUrl = typeUrl;
    this.shortName = shortName;
  }

  public String typeUrl() {
    return typeUrl;
  }

  /** LDS, RDS, CDS or EDS: how logs and metrics name the type. */
  public String shortName() {
    return shortName;
  }

  /** Whether a state-of-the-world response holds the whole set, and a client may follow all. */
  public boolean fullState() {
    return this == LISTENER || this == CLUSTER;
  }

  /** The type of {@code typeUrl}, or null for one the node does not serve. */
  public static ResourceType of(String typeUrl) {
    return BY_URL.get(typeUrl);
  }

  /** The type URLs served, for messages. */
  public static String served() {
    return LISTENER.typeUrl
        + ", "
        + ROUTE.typeUrl
        + ", "
        + CLUSTER.typeUrl
        + " and "
        + ENDPOINT.typeUrl;
  }
}
