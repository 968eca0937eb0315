package io.roster.node.api;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.Durations;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.stub.StreamObserver;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.roster.node.access.Access;
import io.roster.node.api.http.HttpApi;
import io.roster.node.config.NodeConfig;
import io.roster.node.limits.Admission;
import io.roster.node.limits.InstanceQuota;
import io.roster.node.logging.LogLevels;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.HeartbeatRequest;
import io.roster.v1.HeartbeatResponse;
import io.roster.v1.RegistryServiceGrpc;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.Service;
import io.vertx.grpcio.server.GrpcIoServer;
import io.vertx.grpcio.server.GrpcIoServiceBridge;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The server side of {@link ServingPaths}: Discover and Heartbeat served on one of three gRPC
 * serving paths, on {@code eventLoops} event loops, on one loopback port.
 *
 * <ul>
 *   <li>{@code bridge}: as the node served them before {@link ServiceBinding}: grpc-java services
 *       ({@link CallGuard}, the token interceptor) bridged onto Vert.x's gRPC server ({@code
 *       GrpcIoServer}), behind the node's front ({@link HttpEndpoints}: content types, {@link
 *       GrpcFrameCheck}, {@link ClientGone}) and connection setup ({@link ApiConnections}), with
 *       the node's HTTP options.
 *   <li>{@code direct}: as the node serves them now: the same guarded services, front and options,
 *       but unary methods served by {@link ServiceBinding} ({@link UnaryCall}) instead of the
 *       bridge.
 *   <li>{@code native}: the same front, but Vert.x's own gRPC server with a call handler per method
 *       that parses the request and writes the answer itself ({@code Buffer} in, {@code Buffer}
 *       out: the Discover bytes are written as they are kept).
 *   <li>{@code netty}: grpc-java's own server (grpc-netty-shaded) with the same guarded services,
 *       calls run on the event loop ({@code directExecutor}, as the node's services expect).
 * </ul>
 *
 * <p>Discover is the node's own {@link DiscoveryGrpcService} answering from a view of one service
 * of 100 instances ({@link DiscoverFixture}): after the first call, every answer is the same kept
 * ~15.7 KB of bytes. Heartbeat answers a fixed {@code HeartbeatResponse} at once (no store): the
 * transport's cost of a tiny unary call.
 *
 * <p>{@link #run} (the server JVM of {@link ServingPaths}) prints {@code LISTENING <port>} once it
 * serves; on exit (SIGTERM from the driver) prints {@code THREADS ...}: the CPU time of each
 * event-loop thread, which tells how many loops served calls.
 */
final class ServingPathServer {

  static final String DISCOVER_SERVICE = "roster.v1.DiscoveryService";
  static final String REGISTRY_SERVICE = "roster.v1.RegistryService";

  private ServingPathServer() {}

  static void run(Map<String, String> args) throws Exception {
    Runtime.getRuntime().addShutdownHook(new Thread(ServingPathServer::printThreads));
    Serving serving =
        start(
            args.getOrDefault("path", "bridge"),
            Integer.parseInt(args.getOrDefault("event-loops", "1")),
            Integer.parseInt(args.getOrDefault("port", "0")));
    System.out.println("LISTENING " + serving.port() + " answerBytes=" + serving.answerBytes());
    System.out.flush();
    Thread.currentThread().join();
  }

  /** A server serving both methods on one path, until closed. */
  record Serving(int port, int answerBytes, Closer closer) implements AutoCloseable {
    @Override
    public void close() {
      try {
        closer.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        throw new IllegalStateException("stopping the server failed", e);
      }
    }
  }

  /** How a server stops. */
  interface Closer {
    void close() throws Exception;
  }

  /** Serves Discover and Heartbeat on {@code path} with {@code eventLoops} event loops. */
  static Serving start(String path, int eventLoops, int port) throws Exception {
    DiscoverFixture fixture = DiscoverFixture.start(100);
    int answerBytes = fixture.discoverOnTheWire().size();
    return switch (path) {
      case "bridge", "direct", "native" -> startVertx(path, eventLoops, port, fixture, answerBytes);
      case "netty" -> startNetty(eventLoops, port, fixture, answerBytes);
      default -> throw new IllegalArgumentException("--path: bridge, direct, native or netty");
    };
  }

  /** Heartbeat answered at once with a fixed answer: the transport's cost alone. */
  static final class FixedHeartbeats extends RegistryServiceGrpc.RegistryServiceImplBase {
    static final HeartbeatResponse ANSWER =
        HeartbeatResponse.newBuilder().setGrantedTtl(Durations.fromSeconds(10)).setEpoch(1).build();

    @Override
    public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> observer) {
      observer.onNext(ANSWER);
      observer.onCompleted();
    }
  }

  private static Serving startVertx(
      String path, int eventLoops, int port, DiscoverFixture fixture, int answerBytes)
      throws Exception {
    Vertx vertx = Vertx.vertx();
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    GrpcServerOptions grpcOptions =
        new GrpcServerOptions().setMaxMessageSize(HttpEndpoints.MAX_MESSAGE_BYTES);
    GrpcServer grpc;
    // As the node records its calls: the methods served by name, the rest as "unknown".
    List<Service> served = new java.util.ArrayList<>();
    if (path.equals("bridge") || path.equals("direct")) {
      GrpcIoServer bridged = GrpcIoServer.server(vertx, grpcOptions);
      for (BindableService service : List.of(fixture.service(), new FixedHeartbeats())) {
        ServerServiceDefinition guarded = CallGuard.guard(service.bindService());
        Service binding =
            path.equals("bridge")
                ? GrpcIoServiceBridge.bridge(guarded)
                : ServiceBinding.of(guarded);
        served.add(binding);
        bridged.addService(binding);
      }
      grpc = bridged;
    } else {
      grpc = GrpcServer.server(vertx, grpcOptions);
      bindNative(grpc, fixture.service());
    }
    // The node's JSON API is not called here; it is built because the front needs one.
    HttpApi json =
        new HttpApi(
            Access.off(),
            Admission.off(),
            new RegistryGrpcService(
                null,
                null,
                null,
                null,
                new OpenStreams(),
                null,
                InstanceQuota.none(),
                new OperationCounts()),
            fixture.service(),
            new ClusterGrpcService(null, null, null, null, 0, null, null, java.util.List.of()),
            LogLevels.ofProcess());
    HttpEndpoints http =
        new HttpEndpoints(
            vertx,
            grpc,
            Access.off(),
            Admission.off(),
            meters,
            new CallRecorder(meters, served, json.paths(), false),
            json,
            null);
    ApiConnections connections = new ApiConnections(vertx, new NodeConfig.Connections(300, 60, 20));
    // As the node serves its API: one HTTP server per event loop, sharing the port.
    ApiServer server =
        ApiServer.start(
                vertx,
                eventLoops,
                "127.0.0.1",
                port,
                ServingPathServer::nodeHttpOptions,
                connections,
                http)
            .await(30, TimeUnit.SECONDS);
    return new Serving(
        server.port(),
        answerBytes,
        () -> {
          vertx.close().await(30, TimeUnit.SECONDS);
          fixture.close();
        });
  }

  /** The node's HTTP options (RegistryNode.httpOptions, without TLS). */
  private static HttpServerOptions nodeHttpOptions() {
    return new HttpServerOptions()
        .setHttp2RstFloodMaxRstFramePerWindow(10_000)
        .setInitialSettings(new Http2Settings().setMaxConcurrentStreams(10_000))
        .setIdleTimeout(300)
        .setIdleTimeoutUnit(TimeUnit.SECONDS);
  }

  /**
   * Discover and Heartbeat as Vert.x call handlers: bytes in, parsed here; the answer written as
   * bytes (Discover: the kept answer itself, wrapped, not copied).
   */
  private static void bindNative(GrpcServer grpc, DiscoveryGrpcService discovery) {
    ServiceMethod<Buffer, Buffer> discover =
        ServiceMethod.server(
            ServiceName.create(DISCOVER_SERVICE),
            "Discover",
            GrpcMessageEncoder.IDENTITY,
            GrpcMessageDecoder.IDENTITY);
    grpc.callHandler(
        discover,
        call ->
            onRequest(
                call,
                bytes -> {
                  DiscoverRequest request = DiscoverRequest.parseFrom(bytes.getBytes());
                  discovery.discoverEncoded(request, new Answer(call));
                }));
    ServiceMethod<Buffer, Buffer> heartbeat =
        ServiceMethod.server(
            ServiceName.create(REGISTRY_SERVICE),
            "Heartbeat",
            GrpcMessageEncoder.IDENTITY,
            GrpcMessageDecoder.IDENTITY);
    byte[] heartbeatAnswer = FixedHeartbeats.ANSWER.toByteArray();
    grpc.callHandler(
        heartbeat,
        call ->
            onRequest(
                call,
                bytes -> {
                  HeartbeatRequest.parseFrom(bytes.getBytes());
                  call.response().end(Buffer.buffer(heartbeatAnswer));
                }));
  }

  private interface Body {
    void handle(Buffer request) throws InvalidProtocolBufferException;
  }

  private static void onRequest(GrpcServerRequest<Buffer, Buffer> call, Body body) {
    call.handler(
        bytes -> {
          try {
            body.handle(bytes);
          } catch (InvalidProtocolBufferException e) {
            call.response().status(GrpcStatus.INVALID_ARGUMENT).end();
          }
        });
  }

  /** A unary answer of kept bytes, written to the Vert.x call. */
  private static final class Answer implements StreamObserver<EncodedMessage> {
    private final GrpcServerRequest<Buffer, Buffer> call;

    Answer(GrpcServerRequest<Buffer, Buffer> call) {
      this.call = call;
    }

    @Override
    public void onNext(EncodedMessage message) {
      call.response().end(message.buffer());
    }

    @Override
    public void onError(Throwable failure) {
      call.response().status(GrpcStatus.INTERNAL).end();
    }

    @Override
    public void onCompleted() {}
  }

  private static Serving startNetty(
      int eventLoops, int port, DiscoverFixture fixture, int answerBytes) throws Exception {
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
            .channelType(NioServerSocketChannel.class)
            .bossEventLoopGroup(new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory()))
            .workerEventLoopGroup(
                new MultiThreadIoEventLoopGroup(eventLoops, NioIoHandler.newFactory()))
            .directExecutor()
            .maxInboundMessageSize(HttpEndpoints.MAX_MESSAGE_BYTES);
    for (BindableService service : List.of(fixture.service(), new FixedHeartbeats())) {
      builder.addService(CallGuard.guard(service.bindService()));
    }
    Server server = builder.build().start();
    return new Serving(
        server.getPort(),
        answerBytes,
        () -> {
          server.shutdownNow().awaitTermination(30, TimeUnit.SECONDS);
          fixture.close();
        });
  }

  /** CPU seconds of every thread that ran, by name, for the threads that matter here. */
  private static void printThreads() {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    Map<String, Double> cpu = new TreeMap<>();
    for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (info == null) {
        continue;
      }
      String name = info.getThreadName();
      if (name.startsWith("vert.x-eventloop")
          || name.startsWith("grpc-nio-worker")
          || name.startsWith("multiThreadIoEventLoopGroup")) {
        long nanos = threads.getThreadCpuTime(info.getThreadId());
        cpu.put(name, nanos / 1e9);
      }
    }
    StringBuilder line = new StringBuilder("THREADS");
    cpu.forEach(
        (name, seconds) ->
            line.append(' ').append(name).append('=').append(String.format("%.2f", seconds)));
    System.out.println(line);
    System.out.flush();
  }
}
