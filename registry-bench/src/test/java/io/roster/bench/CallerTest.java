package io.roster.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.DiscoverResponse;
import io.roster.v1.DiscoveryServiceGrpc;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The two callers of the flood phase reach a server from the source addresses they were given. */
@Timeout(30)
class CallerTest {
  private final AtomicReference<SocketAddress> lastRemote = new AtomicReference<>();
  private Server server;

  @BeforeEach
  void startServer() throws IOException {
    ServerInterceptor remembersRemote =
        new ServerInterceptor() {
          @Override
          public <Q, A> ServerCall.Listener<Q> interceptCall(
              ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
            lastRemote.set(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
            return next.startCall(call, headers);
          }
        };
    server =
        NettyServerBuilder.forAddress(
                new InetSocketAddress("127.0.0.1", 0), InsecureServerCredentials.create())
            .addService(ServerInterceptors.intercept(new EmptyDiscovery(), remembersRemote))
            .build()
            .start();
  }

  @AfterEach
  void stopServer() throws InterruptedException {
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void eachCallerConnectsFromItsOwnLoopbackAddress() throws InterruptedException {
    assertEquals("127.0.0.2", remoteHostOfACallFrom("127.0.0.2"));
    assertEquals("127.0.0.1", remoteHostOfACallFrom("127.0.0.1"));
  }

  @Test
  void aCallerWithoutSourceAddressConnectsFromTheSystemsChoice() throws InterruptedException {
    assertEquals("127.0.0.1", remoteHostOfACallFrom(null));
  }

  private String remoteHostOfACallFrom(String source) throws InterruptedException {
    Caller caller = Caller.from("test", source, BenchTransport.plaintext());
    TargetAddress target =
        new TargetAddress(
            "127.0.0.1", ((InetSocketAddress) server.getListenSockets().get(0)).getPort());
    ManagedChannel channel = caller.connect(target);
    try {
      DiscoveryServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .discover(DiscoverRequest.getDefaultInstance());
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    return ((InetSocketAddress) lastRemote.get()).getAddress().getHostAddress();
  }

  private static final class EmptyDiscovery extends DiscoveryServiceGrpc.DiscoveryServiceImplBase {
    @Override
    public void discover(DiscoverRequest request, StreamObserver<DiscoverResponse> observer) {
      observer.onNext(DiscoverResponse.getDefaultInstance());
      observer.onCompleted();
    }
  }
}
