package io.roster.node.api;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.ServerSSLOptions;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The API port, served on {@code eventLoops} Vert.x event loops: one HTTP server per event loop,
 * all sharing the port, Vert.x handing each new connection to the next of them in turn. A
 * connection stays on its event loop for its whole life, so its calls, their answers and its
 * streams' writes never race (see {@code Replies}).
 *
 * <p>Why: an HTTP server created outside a verticle, as the node did, serves every connection on
 * the one event loop it was created on: a node used one core for its API however many it had
 * (checked: with two client connections, only {@code vert.x-eventloop-thread-0} ran). Each server
 * here is created by a verticle instance of its own, which Vert.x gives an event loop of its own.
 * More event loops help only when clients open several connections: a grpc-java channel is one
 * connection, so one client's calls all run on one event loop. docs/benchmarks.md, "Serving paths",
 * has the figures.
 *
 * <p>Threading: {@link #start}, {@link #updateSslOptions} and {@link #close} on any thread; the
 * handlers run on the event loop of each connection, and must allow being called from several event
 * loops at once.
 */
public final class ApiServer {

  private final Vertx vertx;
  private final int port;
  private final String deployment;
  private final List<HttpServer> servers;

  private ApiServer(Vertx vertx, int port, String deployment, List<HttpServer> servers) {
    this.vertx = vertx;
    this.port = port;
    this.deployment = deployment;
    this.servers = List.copyOf(servers);
  }

  /**
   * Listens on {@code host:port} (0: any free port) with {@code eventLoops} servers; the future
   * completes once all of them listen.
   */
  public static Future<ApiServer> start(
      Vertx vertx,
      int eventLoops,
      String host,
      int port,
      Supplier<HttpServerOptions> options,
      Handler<HttpConnection> connections,
      Handler<HttpServerRequest> requests) {
    if (eventLoops < 1) {
      throw new IllegalArgumentException("eventLoops must be at least 1, got " + eventLoops);
    }
    int[] bound = new int[1];
    List<HttpServer> listening = new CopyOnWriteArrayList<>();
    // Vert.x shares a port between servers listening on the same one, and hands each new
    // connection to the next of them. Port 0 (any free port) is never shared: a negative port is
    // Vert.x's "any free port, shared by every server asking for this same negative port".
    int shared = port == 0 ? -1 : port;
    return vertx
        .deployVerticle(
            () ->
                new Listener(
                    host,
                    shared,
                    options,
                    connections,
                    requests,
                    server -> {
                      bound[0] = server.actualPort();
                      listening.add(server);
                    }),
            new DeploymentOptions().setInstances(eventLoops))
        .map(deployment -> new ApiServer(vertx, bound[0], deployment, listening));
  }

  /** The port listened on. */
  public int port() {
    return port;
  }

  /**
   * Serves connections accepted from now on with these TLS options (a rotated certificate, a new
   * client CA); connections already open keep the session they negotiated, and their streams. The
   * future fails, and the options in use stay, when Vert.x cannot build a TLS context from them.
   */
  public Future<Boolean> updateSslOptions(ServerSSLOptions options) {
    // Every listener shares the one server Vert.x bound to the port, which accepts the connections
    // and holds the TLS context: an update through any listener is an update of all of them.
    // force: apply even when Vert.x deems the options equal to those it has.
    return servers.get(0).updateSSLOptions(options, true);
  }

  /** Stops listening and closes every connection, on every event loop. */
  public Future<Void> close() {
    return vertx.undeploy(deployment);
  }

  /** One HTTP server, on the event loop Vert.x gives this verticle instance. */
  private static final class Listener extends VerticleBase {
    private final String host;
    private final int port;
    private final Supplier<HttpServerOptions> options;
    private final Handler<HttpConnection> connections;
    private final Handler<HttpServerRequest> requests;
    private final Consumer<HttpServer> bound;
    private HttpServer server;

    Listener(
        String host,
        int port,
        Supplier<HttpServerOptions> options,
        Handler<HttpConnection> connections,
        Handler<HttpServerRequest> requests,
        Consumer<HttpServer> bound) {
      this.host = host;
      this.port = port;
      this.options = options;
      this.connections = connections;
      this.requests = requests;
      this.bound = bound;
    }

    @Override
    public Future<?> start() {
      server =
          vertx
              .createHttpServer(options.get())
              .connectionHandler(connections)
              .requestHandler(requests);
      return server.listen(port, host).onSuccess(bound::accept);
    }

    @Override
    public Future<?> stop() {
      return server.close();
    }
  }
}
