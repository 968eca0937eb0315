package io.roster.node.xds;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.roster.testing.FreePorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Real gRPC backends in the test's JVM, each a grpc-java server on a loopback port of its own
 * serving {@code grpc.health.v1.Health} (SERVING): what an xDS client is sent to. Each counts the
 * calls it got and when it got the last one ({@link System#nanoTime} of this JVM), so a test can
 * tell when clients stopped calling one.
 *
 * <p>Thread-safe.
 */
final class HealthBackends implements AutoCloseable {

  /** One backend. */
  static final class Backend {
    final String name;
    final int port;
    final AtomicLong calls = new AtomicLong();
    final AtomicLong lastCallNanos = new AtomicLong();
    final AtomicLong firstCallNanos = new AtomicLong();
    private Server server;

    Backend(String name, int port) {
      this.name = name;
      this.port = port;
    }

    /** "127.0.0.1:port", as a client's peer address shows it. */
    String address() {
      return "127.0.0.1:" + port;
    }

    /** When it got its first call, by {@link System#nanoTime} of this JVM; 0 before any. */
    long firstCallNanos() {
      return firstCallNanos.get();
    }

    /** When it got its last call, by {@link System#nanoTime} of this JVM; 0 before any. */
    long lastCallNanos() {
      return lastCallNanos.get();
    }
  }

  private final List<Backend> backends = new ArrayList<>();

  Backend add(String name) {
    Backend backend = new Backend(name, FreePorts.next());
    HealthStatusManager health = new HealthStatusManager();
    health.setStatus("", ServingStatus.SERVING);
    ServerInterceptor counting =
        new ServerInterceptor() {
          @Override
          public <Q, R> ServerCall.Listener<Q> interceptCall(
              ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            long now = System.nanoTime();
            backend.firstCallNanos.compareAndSet(0, now);
            backend.calls.incrementAndGet();
            backend.lastCallNanos.set(now);
            return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(
                next.startCall(call, headers)) {};
          }
        };
    try {
      backend.server =
          NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", backend.port))
              .addService(ServerInterceptors.intercept(health.getHealthService(), counting))
              .build()
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start backend " + name, e);
    }
    synchronized (backends) {
      backends.add(backend);
    }
    return backend;
  }

  Backend get(String name) {
    synchronized (backends) {
      return backends.stream()
          .filter(b -> b.name.equals(name))
          .findFirst()
          .orElseThrow(() -> new IllegalArgumentException("no backend " + name));
    }
  }

  /** Every backend started. */
  List<Backend> all() {
    synchronized (backends) {
      return List.copyOf(backends);
    }
  }

  /** The backend at {@code address} ("127.0.0.1:port"), or null. */
  Backend at(String address) {
    synchronized (backends) {
      return backends.stream().filter(b -> b.address().equals(address)).findFirst().orElse(null);
    }
  }

  @Override
  public void close() {
    synchronized (backends) {
      for (Backend backend : backends) {
        backend.server.shutdownNow();
      }
      for (Backend backend : backends) {
        try {
          backend.server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }
}
