package io.roster.node.health;

import io.grpc.BindableService;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the node is live and whether it is ready, as {@code grpc.health.v1.Health} statuses and
 * as the health port's HTTP answers ({@code GET /livez}, {@code GET /readyz}, {@code POST /drain}).
 *
 * <ul>
 *   <li>Live (service {@code ""}): from the moment the node has joined and opened its ports until
 *       it starts leaving. A node that is not live should be restarted.
 *   <li>Ready (service {@value #READINESS}): live, not drained, and seeing a quorum of the
 *       configured cluster size. A node that is not ready should get no new clients: one on the
 *       minority side of a partition answers reads from its view but refuses writes.
 * </ul>
 *
 * <p>Threading: every method may be called from any thread (Hazelcast's event threads call {@link
 * #refresh} on membership changes, event loops answer HTTP); the statuses are kept by grpc-java's
 * thread-safe {@link HealthStatusManager}.
 */
public final class NodeHealth {

  /** The health service name of readiness. */
  public static final String READINESS = "readiness";

  static final String LIVEZ = "/livez";
  static final String READYZ = "/readyz";
  static final String DRAIN = "/drain";

  /** The HTTP routes of the health port. */
  public static final List<String> PATHS = List.of(LIVEZ, READYZ, DRAIN);

  private static final Logger log = LoggerFactory.getLogger(NodeHealth.class);

  private final HealthStatusManager statuses = new HealthStatusManager();
  private final String nodeName;
  private final int quorumSize;
  private final int clusterSize;
  private final IntSupplier nodesSeen;
  private final Runnable onDrain;

  private volatile State state = State.STARTING;

  private enum State {
    STARTING,
    SERVING,
    DRAINED,
    LEAVING
  }

  /**
   * @param nodesSeen how many Roster nodes of this cluster this node sees, itself included
   * @param onDrain what draining does beyond reporting not ready (ending streams), run once
   */
  public NodeHealth(
      String nodeName, int clusterSize, int quorumSize, IntSupplier nodesSeen, Runnable onDrain) {
    this.nodeName = nodeName;
    this.clusterSize = clusterSize;
    this.quorumSize = quorumSize;
    this.nodesSeen = nodesSeen;
    this.onDrain = onDrain;
    statuses.setStatus("", ServingStatus.NOT_SERVING);
    statuses.setStatus(READINESS, ServingStatus.NOT_SERVING);
  }

  /** {@code grpc.health.v1.Health}, for every port that serves it. */
  public BindableService service() {
    return statuses.getHealthService();
  }

  /** The node has joined and opened its ports: live, and ready once it sees a quorum. */
  public void serving() {
    // Under the lock drain() takes: a drain that came in as the health port opened stays.
    synchronized (this) {
      if (state == State.STARTING) {
        state = State.SERVING;
      }
    }
    statuses.setStatus("", ServingStatus.SERVING);
    refresh();
  }

  /** Checks readiness again: call whenever the members seen may have changed. */
  public void refresh() {
    statuses.setStatus(
        READINESS, notReadyReason() == null ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
  }

  /**
   * Stops reporting ready, for good, and runs the drain action once: the node goes on answering
   * calls until it is stopped. Returns false when it was already drained or leaving.
   */
  public boolean drain() {
    synchronized (this) {
      if (state != State.SERVING && state != State.STARTING) {
        return false;
      }
      state = State.DRAINED;
    }
    refresh();
    log.info("node {} drained: not ready from now on; open streams told to reconnect", nodeName);
    onDrain.run();
    return true;
  }

  /** The node is leaving: neither live nor ready, for good. */
  public void leaving() {
    state = State.LEAVING;
    statuses.enterTerminalState();
  }

  /** Null when live; otherwise why not. */
  public String notLiveReason() {
    return switch (state) {
      case STARTING -> "starting";
      case LEAVING -> "leaving the cluster";
      case SERVING, DRAINED -> null;
    };
  }

  /** Null when ready; otherwise why not. */
  public String notReadyReason() {
    String notLive = notLiveReason();
    if (notLive != null) {
      return notLive;
    }
    if (state == State.DRAINED) {
      return "drained";
    }
    int seen = nodesSeen.getAsInt();
    if (seen < quorumSize) {
      return "no quorum: " + seen + " of " + clusterSize + " nodes seen, " + quorumSize + " needed";
    }
    return null;
  }

  /** Answers an HTTP request on the health port. */
  public void handle(HttpServerRequest request) {
    String path = request.path();
    HttpMethod wanted = path.equals(DRAIN) ? HttpMethod.POST : HttpMethod.GET;
    if (!path.equals(LIVEZ) && !path.equals(READYZ) && !path.equals(DRAIN)) {
      answer(request, 404, "not found: this port serves /livez, /readyz, /drain and gRPC health");
      return;
    }
    if (!request.method().equals(wanted)) {
      request.response().putHeader("allow", wanted.name());
      answer(request, 405, path + " takes " + wanted.name());
      return;
    }
    switch (path) {
      case LIVEZ -> answerStatus(request, notLiveReason(), "not live: ");
      case READYZ -> answerStatus(request, notReadyReason(), "not ready: ");
      default -> drainFrom(request);
    }
  }

  private void drainFrom(HttpServerRequest request) {
    String peer = request.remoteAddress() == null ? null : request.remoteAddress().hostAddress();
    if (!isLoopback(peer)) {
      log.warn("refused a drain from {}: drains are taken from this host only", peer);
      answer(
          request,
          403,
          "drain is accepted only from this host (a loopback address): run bin/roster-node drain"
              + " where the node runs");
      return;
    }
    if (drain()) {
      answer(request, 200, "draining: not ready from now on; stop the node when clients moved");
    } else {
      String why = notReadyReason();
      answer(request, 200, "already " + (why == null ? "drained" : why));
    }
  }

  static boolean isLoopback(String host) {
    if (host == null) {
      return false;
    }
    try {
      // A literal address: no lookup happens.
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static void answerStatus(HttpServerRequest request, String reason, String prefix) {
    if (reason == null) {
      answer(request, 200, "ok");
    } else {
      answer(request, 503, prefix + reason);
    }
  }

  private static void answer(HttpServerRequest request, int status, String body) {
    request
        .response()
        .setStatusCode(status)
        .putHeader("content-type", "text/plain; charset=utf-8")
        .putHeader("cache-control", "no-store")
        .end(body + "\n");
  }
}
