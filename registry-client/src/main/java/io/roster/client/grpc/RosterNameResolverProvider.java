package io.roster.client.grpc;

import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.roster.client.RosterClient;
import io.roster.client.RosterClientOptions;
import java.net.URI;
import java.util.Arrays;
import java.util.List;

/**
 * Resolves {@code roster:} targets for grpc-java channels, from the Roster registry: registered
 * through {@code META-INF/services}, so {@code ManagedChannelBuilder.forTarget("roster:///orders")}
 * follows the healthy instances of {@code orders} as they come and go.
 *
 * <p>Targets:
 *
 * <ul>
 *   <li>{@code roster:///orders}: the registry of {@link RosterClientOptions#fromEnvironment()}
 *       ({@code ROSTER_TARGET}, else the local cluster), or the client given to the channel with
 *       {@code setNameResolverArg(RosterNameResolverProvider.CLIENT, client)};
 *   <li>{@code roster://10.0.0.1:7101,10.0.0.2:7101/orders}: those registry nodes (TLS as the
 *       environment says: {@link RosterClientOptions.Builder#tlsFromEnvironment()});
 *   <li>either with {@code ?namespace=prod}: another namespace than "default".
 * </ul>
 *
 * <p>The resolver hands the channel the healthy, UP instances of weight above 0 (DRAINING ones get
 * no new calls), each with its weight and zone as {@link RosterAttributes}, and sets the {@link
 * RosterWeightedLoadBalancerProvider roster_weighted} policy as the service config's, so calls
 * follow the weights; a channel's {@code defaultServiceConfig} with {@code
 * disableServiceConfigLookUp()} overrides it.
 *
 * <p>Clients the resolver creates itself are shared by every channel for the same nodes and
 * namespace, and closed with the last of them.
 */
public final class RosterNameResolverProvider extends NameResolverProvider {

  /** The target scheme. */
  public static final String SCHEME = "roster";

  /**
   * Gives one channel the client to resolve with: {@code
   * ManagedChannelBuilder.forTarget("roster:///orders").setNameResolverArg(CLIENT, client)}. The
   * channel never closes it.
   */
  public static final NameResolver.Args.Key<RosterClient> CLIENT =
      NameResolver.Args.Key.create("io.roster.client");

  @Override
  protected boolean isAvailable() {
    return true;
  }

  /**
   * Below grpc-java's DNS resolver (5): the registry's default scheme is the highest-priority
   * provider's, and a target without a scheme ("10.0.0.1:443") must stay a DNS target in every
   * channel of the JVM, not become a Roster service.
   */
  @Override
  protected int priority() {
    return 4;
  }

  @Override
  public String getDefaultScheme() {
    return SCHEME;
  }

  @Override
  public NameResolver newNameResolver(URI target, NameResolver.Args args) {
    if (!SCHEME.equals(target.getScheme())) {
      return null;
    }
    RosterTarget parsed = RosterTarget.parse(target);
    RosterClient given = args.getArg(CLIENT);
    if (given != null) {
      if (!parsed.nodes().isEmpty()) {
        throw new IllegalArgumentException(
            target + " names registry nodes, and the channel was given a client: give one of them");
      }
      if (parsed.namespace() != null && !parsed.namespace().equals(given.options().namespace())) {
        throw new IllegalArgumentException(
            target
                + " asks for namespace "
                + parsed.namespace()
                + ", the client given serves "
                + given.options().namespace());
      }
      return new RosterNameResolver(parsed.service(), given, () -> {}, args);
    }
    RosterClientOptions.Builder options =
        parsed.nodes().isEmpty()
            ? RosterClientOptions.fromEnvironment()
            : RosterClientOptions.defaults().nodes(parsed.nodes()).tlsFromEnvironment();
    if (parsed.namespace() != null) {
      options.namespace(parsed.namespace());
    }
    // No hook: this client registers nothing, and the channels using it close it.
    RosterClient client = SharedClients.acquire(options.shutdownHook(false).build());
    return new RosterNameResolver(
        parsed.service(), client, () -> SharedClients.release(client), args);
  }

  /** A parsed {@code roster:} target. */
  record RosterTarget(List<String> nodes, String service, String namespace) {

    static RosterTarget parse(URI target) {
      String path = target.getPath() == null ? "" : target.getPath();
      String service = path.startsWith("/") ? path.substring(1) : path;
      if (service.isEmpty() || service.contains("/")) {
        throw new IllegalArgumentException(
            "target "
                + target
                + " names no service: use roster:///<service> or"
                + " roster://<host:port,...>/<service>");
      }
      String authority = target.getRawAuthority();
      List<String> nodes =
          authority == null || authority.isEmpty()
              ? List.of()
              : Arrays.asList(authority.split(","));
      String namespace = null;
      String query = target.getQuery();
      if (query != null) {
        for (String pair : query.split("&")) {
          if (pair.startsWith("namespace=")) {
            namespace = pair.substring("namespace=".length());
          } else if (!pair.isEmpty()) {
            throw new IllegalArgumentException(
                "target " + target + ": unknown parameter " + pair + " (only namespace=...)");
          }
        }
      }
      return new RosterTarget(nodes, service, namespace);
    }
  }
}
