package io.roster.node.limits;

/**
 * What a call spends of its budgets. Writes change the registry and reach every watcher of the
 * service, so they are the scarcest; renewals are many but cheap (they are group-committed); reads
 * are served from memory. Opening a stream spends as a call of its kind, and the stream then holds
 * one of its caller's stream slots until it ends; each heartbeat on a KeepAlive stream spends a
 * renewal.
 */
public enum CallKind {
  /** Register, Deregister, SetStatus; a change of a log level. */
  WRITE("writes"),
  /** Heartbeat, opening a KeepAlive stream, and each heartbeat on one. */
  RENEWAL("renewals"),
  /**
   * Discover, ListServices, ClusterStatus, opening a Watch or an xDS stream, each xDS request that
   * follows new resources; reading the log levels.
   */
  READ("reads"),
  /** Health checks and methods the node does not serve (answered UNIMPLEMENTED anyway). */
  FREE("free calls");

  private final String plural;

  CallKind(String plural) {
    this.plural = plural;
  }

  String plural() {
    return plural;
  }

  /**
   * The kind of the RPC {@code method} ("roster.v1.RegistryService/Register", "/" first or not).
   */
  public static CallKind of(String method) {
    String name = method.startsWith("/") ? method.substring(1) : method;
    return switch (name) {
      case "roster.v1.RegistryService/Register",
          "roster.v1.RegistryService/Deregister",
          "roster.v1.RegistryService/SetStatus",
          "roster.admin/SetLogLevel" ->
          WRITE;
      case "roster.v1.RegistryService/Heartbeat", "roster.v1.RegistryService/KeepAlive" -> RENEWAL;
      case "roster.v1.DiscoveryService/Discover",
          "roster.v1.DiscoveryService/ListServices",
          "roster.v1.DiscoveryService/Watch",
          "roster.v1.ClusterService/ClusterStatus",
          "roster.admin/GetLogLevels",
          "envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources",
          "envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources" ->
          READ;
      default -> FREE;
    };
  }
}
