package io.roster.client.grpc;

import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.roster.client.ServiceInstance;
import io.roster.testing.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;

/** A grpc-java server on a free loopback port serving grpc.health.v1, counting its calls. */
public final class CountingServer implements AutoCloseable {
  public final int port = FreePorts.next();
  public final AtomicInteger calls = new AtomicInteger();
  private final Server server;

  public CountingServer() {
    ServerInterceptor counting =
        new ServerInterceptor() {
          @Override
          public <Q, R> ServerCall.Listener<Q> interceptCall(
              ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            calls.incrementAndGet();
            return next.startCall(call, headers);
          }
        };
    try {
      server =
          NettyServerBuilder.forAddress(
                  new InetSocketAddress("127.0.0.1", port), InsecureServerCredentials.create())
              .addService(
                  ServerInterceptors.intercept(
                      new HealthStatusManager().getHealthService(), counting))
              .build()
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start a test server on port " + port, e);
    }
  }

  /** An instance of {@code service} at this server, {@code server-<port>}. */
  public ServiceInstance instance(String service, int weight) {
    return ServiceInstance.builder(service, "127.0.0.1", port)
        .instanceId("server-" + port)
        .weight(weight)
        .build();
  }

  /** Stops serving at once, as a process that died. */
  public void stop() {
    server.shutdownNow();
  }

  @Override
  public void close() {
    stop();
  }
}
