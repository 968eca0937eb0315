package io.roster.node.xds;

import com.google.rpc.Status;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.core.v3.Node;
import io.grpc.xds.shaded.io.envoyproxy.envoy.service.discovery.v3.ResourceError;
import io.grpc.xds.shaded.io.envoyproxy.envoy.service.discovery.v3.ResourceName;
import io.roster.node.domain.ServiceKey;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * What the two variants of one ADS stream share: the client, which names of which type it follows,
 * which versions it holds, which names must be looked at again, and the services those names stand
 * for (which the stream follows in the {@link XdsHub}).
 *
 * <p>A session is a state machine with no I/O: requests go in ({@code onRequest}), news of the
 * registry goes in ({@link #serviceChanged}, {@link #serviceAppeared}, {@link #everythingChanged}),
 * and the responses due come out one at a time ({@code nextResponse}), each built from the registry
 * as it is when it is taken. So a stream whose client reads slowly never queues stale responses: it
 * sends the newest state when it can.
 *
 * <p>Not thread-safe: one stream's event loop drives it.
 */
public abstract class AdsSession {

  /** Resources of one type one stream may follow by name at most. */
  static final int MAX_NAMES_PER_TYPE = 10_000;

  /** Tells the stream which services its names stand for, as they come and go. */
  public interface Following {
    void follow(ServiceKey service);

    void unfollow(ServiceKey service);
  }

  /** What the session reports for the node's log and metrics. */
  public interface Reporter {
    /** The client refused a response ({@code error_detail}): once per response. */
    void rejected(ResourceType type, String nonce, String detail);

    /** The client accepted a response. */
    void accepted(ResourceType type);

    /** A name the client follows stands for no service it may read: once per name. */
    void refusedName(ResourceType type, String name, io.grpc.Status why);
  }

  final XdsCatalog catalog;
  final Reporter reporter;
  private final Following following;
  private final Predicate<String> mayRead;
  private final Map<ServiceKey, Integer> followCounts = new HashMap<>();
  private final Map<ResourceType, TypeState> types = new EnumMap<>(ResourceType.class);
  private XdsCatalog.Client client;
  private String clientId = "";
  private long nonces;

  AdsSession(
      XdsCatalog catalog, Predicate<String> mayRead, Following following, Reporter reporter) {
    this.catalog = catalog;
    this.mayRead = mayRead;
    this.following = following;
    this.reporter = reporter;
  }

  /** Who the stream serves, from the node identity of its first request (its zone). */
  final XdsCatalog.Client client(Node node) {
    if (client == null) {
      client = new XdsCatalog.Client(mayRead, node.getLocality().getZone());
      clientId = node.getId();
    }
    return client;
  }

  /** The node id the client's bootstrap gives it, for the log; empty until its first request. */
  public final String clientId() {
    return clientId;
  }

  final XdsCatalog.Client client() {
    return client;
  }

  /** The services the session's names stand for now. */
  public final Set<ServiceKey> followed() {
    return Set.copyOf(followCounts.keySet());
  }

  final TypeState state(ResourceType type) {
    return types.computeIfAbsent(type, TypeState::new);
  }

  /** The type a request names; a type the node does not serve ends the stream. */
  static ResourceType type(String typeUrl) {
    ResourceType type = ResourceType.of(typeUrl);
    if (type == null) {
      throw io.grpc.Status.INVALID_ARGUMENT
          .withDescription(
              "type_url \""
                  + (typeUrl.length() > 200 ? typeUrl.substring(0, 200) + "..." : typeUrl)
                  + "\" is not served: Roster serves "
                  + ResourceType.served())
          .asRuntimeException();
    }
    return type;
  }

  final String nextNonce() {
    return Long.toString(++nonces);
  }

  /** A service changed: look again at the names that stand for it. */
  public final void serviceChanged(ServiceKey service) {
    for (TypeState state : types.values()) {
      Set<String> names = state.byService.get(service);
      if (names == null || state.type == ResourceType.ROUTE) {
        continue; // a route depends on its name alone
      }
      if (state.type.fullState()) {
        // Their content depends on the name alone; only whether they exist can change.
        boolean known = catalog.known(service);
        for (String name : names) {
          if (state.held.containsKey(name) != known) {
            state.due.add(name);
          }
        }
      } else {
        state.due.addAll(names);
      }
    }
  }

  /** A service became known: a client following every Cluster gets it. */
  public final void serviceAppeared(ServiceKey service) {
    TypeState clusters = types.get(ResourceType.CLUSTER);
    if (clusters != null && clusters.wildcard && client != null) {
      if (client.mayRead().test(service.namespace())) {
        clusters.due.add(XdsNames.canonical(service));
      }
    }
  }

  /** Every version held is of an old incarnation: look at everything again. */
  public final void everythingChanged() {
    for (TypeState state : types.values()) {
      state.due.addAll(state.names);
      state.due.addAll(state.held.keySet());
      state.wildcardDue = state.wildcard;
    }
  }

  /**
   * Starts following {@code name} of the state's type; the caller has checked the limit. Indexes
   * the service it stands for, if any.
   */
  final void add(TypeState state, String name) {
    if (!state.names.add(name)) {
      return;
    }
    state.due.add(name);
    ServiceKey service = XdsCatalog.serviceOrNull(name);
    if (service != null) {
      state.byService.computeIfAbsent(service, key -> new HashSet<>()).add(name);
      if (followCounts.merge(service, 1, Integer::sum) == 1) {
        following.follow(service);
      }
    }
  }

  /** Stops following {@code name}: the client no longer holds it either. */
  final void remove(TypeState state, String name) {
    if (!state.names.remove(name)) {
      return;
    }
    state.held.remove(name);
    state.due.remove(name);
    state.reported.remove(name);
    state.unanswered.remove(name);
    ServiceKey service = XdsCatalog.serviceOrNull(name);
    if (service != null) {
      Set<String> names = state.byService.get(service);
      names.remove(name);
      if (names.isEmpty()) {
        state.byService.remove(service);
      }
      if (followCounts.merge(service, -1, Integer::sum) == 0) {
        followCounts.remove(service);
        following.unfollow(service);
      }
    }
  }

  /** Refuses a request that would make the stream follow too many names of one type. */
  static void checkLimit(ResourceType type, int names) {
    if (names > MAX_NAMES_PER_TYPE) {
      throw io.grpc.Status.RESOURCE_EXHAUSTED
          .withDescription(
              "a stream may follow at most "
                  + MAX_NAMES_PER_TYPE
                  + " resources of one type ("
                  + type.shortName()
                  + "), and this request asks for "
                  + names
                  + ": open another stream for more")
          .asRuntimeException();
    }
  }

  /** An ACK or a NACK of the last response of the type, or neither (an older or no nonce). */
  final void acknowledged(TypeState state, String nonce, boolean nack, Status detail) {
    if (nonce.isEmpty() || !nonce.equals(state.nonce)) {
      return; // answers an older response, or none: only the newest counts
    }
    if (nack) {
      if (!nonce.equals(state.rejectedNonce)) {
        state.rejectedNonce = nonce;
        reporter.rejected(state.type, nonce, detail.getCode() + " " + detail.getMessage());
      }
    } else {
      reporter.accepted(state.type);
    }
  }

  /** The error of a name the client follows, reported once while it follows it. */
  final ResourceError errorOnce(TypeState state, String name, io.grpc.Status why) {
    if (!state.reported.add(name)) {
      return null;
    }
    reporter.refusedName(state.type, name, why);
    return ResourceError.newBuilder()
        .setResourceName(ResourceName.newBuilder().setName(name))
        .setErrorDetail(
            Status.newBuilder()
                .setCode(why.getCode().value())
                .setMessage(String.valueOf(why.getDescription())))
        .build();
  }

  /**
   * The version of a set of resources: its one resource's version, or a digest of every name and
   * version, so the same set gets the same version on every node; "0" for none.
   */
  static String versionOf(Map<String, String> held) {
    if (held.isEmpty()) {
      return "0";
    }
    if (held.size() == 1) {
      return held.values().iterator().next();
    }
    MessageDigest sha256;
    try {
      sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
    for (Map.Entry<String, String> entry : new TreeMap<>(held).entrySet()) {
      sha256.update(entry.getKey().getBytes(StandardCharsets.UTF_8));
      sha256.update((byte) 0);
      sha256.update(entry.getValue().getBytes(StandardCharsets.UTF_8));
      sha256.update((byte) '\n');
    }
    return "d" + HexFormat.of().formatHex(sha256.digest(), 0, 8);
  }

  /** What one type's subscription holds. */
  static final class TypeState {
    final ResourceType type;

    /** Whether a request of this type arrived on the stream. */
    boolean started;

    /** Whether the client follows every resource of the type. */
    boolean wildcard;

    /** Whether every resource the wildcard covers must be looked at again. */
    boolean wildcardDue;

    /** Whether the next response of the type must go out even if nothing in it changed. */
    boolean answerDue;

    /** The names the client follows, in the order it named them. */
    final Set<String> names = new LinkedHashSet<>();

    /** What the client holds, as far as this stream sent it: name to version. */
    Map<String, String> held = new LinkedHashMap<>();

    /** Names to look at again before the next response. */
    final Set<String> due = new LinkedHashSet<>();

    /** Names followed (delta) that no response has said anything of yet. */
    final Set<String> unanswered = new HashSet<>();

    /** Names whose error was reported to the client. */
    final Set<String> reported = new HashSet<>();

    /** The names of each service. */
    final Map<ServiceKey, Set<String>> byService = new HashMap<>();

    /** The nonce of the last response of the type. */
    String nonce = "";

    /** The nonce of the last response the client rejected, reported once. */
    String rejectedNonce = "";

    TypeState(ResourceType type) {
      this.type = type;
    }

    boolean hasWork() {
      return answerDue || wildcardDue || !due.isEmpty();
    }
  }
}
