package io.roster.cli;

import com.google.protobuf.util.Durations;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.roster.v1.DeregisterRequest;
import io.roster.v1.DeregisterResponse;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.DiscoverResponse;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.HealthState;
import io.roster.v1.Instance;
import io.roster.v1.InstanceStatus;
import io.roster.v1.KeepAliveRequest;
import io.roster.v1.KeepAliveResponse;
import io.roster.v1.LeaseState;
import io.roster.v1.ListServicesRequest;
import io.roster.v1.ListServicesResponse;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import io.roster.v1.ServiceSummary;
import io.roster.v1.SetStatusRequest;
import io.roster.v1.SetStatusResponse;
import io.roster.v1.WatchRequest;
import io.roster.v1.WatchResponse;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A registry node that gives canned answers and records what it was asked, on a real Netty server
 * on 127.0.0.1 so that the CLI's --target handling is exercised too.
 *
 * <p>Threading: the gRPC server's threads write the recorded lists; tests read them.
 */
final class FakeRegistry implements AutoCloseable {
  /** The one instance Discover returns. */
  static final Instance ORDERS_1 =
      Instance.newBuilder()
          .setNamespace("default")
          .setService("orders")
          .setInstanceId("orders-1")
          .setHost("10.0.0.7")
          .setPort(8080)
          .setWeight(100)
          .setZone("eu-1a")
          .setStatus(InstanceStatus.INSTANCE_STATUS_UP)
          .setHealth(HealthState.HEALTH_STATE_HEALTHY)
          .setEpoch(1)
          .setRevision(7)
          .build();

  final List<RegisterRequest> registers = new CopyOnWriteArrayList<>();
  final List<KeepAliveRequest> keepAlives = new CopyOnWriteArrayList<>();
  final List<DeregisterRequest> deregisters = new CopyOnWriteArrayList<>();
  final List<DiscoverRequest> discovers = new CopyOnWriteArrayList<>();
  final List<SetStatusRequest> setStatuses = new CopyOnWriteArrayList<>();

  /** When set, every unary call fails with it. */
  volatile Status failUnaryWith;

  /** Leases KeepAlive answers NOT_FOUND for (as after an eviction). */
  volatile Set<String> unknownLeases = Set.of();

  /** The heartbeat interval Register grants. */
  volatile long heartbeatIntervalMillis = 3_000;

  /** What Watch streams before completing; null: Watch is not implemented. */
  volatile List<WatchResponse> watchAnswers;

  private final Server server;

  FakeRegistry() {
    try {
      server =
          NettyServerBuilder.forAddress(
                  new InetSocketAddress("127.0.0.1", 0), InsecureServerCredentials.create())
              .addService(new Registry())
              .addService(new Discovery())
              .build()
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The --target of this node. */
  String target() {
    return "127.0.0.1:" + server.getPort();
  }

  @Override
  public void close() {
    try {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private boolean failed(StreamObserver<?> responses) {
    Status status = failUnaryWith;
    if (status != null) {
      responses.onError(status.asRuntimeException());
    }
    return status != null;
  }

  private final class Registry extends RegistryServiceGrpc.RegistryServiceImplBase {
    @Override
    public void register(RegisterRequest request, StreamObserver<RegisterResponse> responses) {
      if (failed(responses)) {
        return;
      }
      registers.add(request);
      int epoch = registers.size();
      Instance instance = request.getInstance();
      responses.onNext(
          RegisterResponse.newBuilder()
              .setLeaseId("lease-" + epoch)
              .setGrantedTtl(Durations.fromSeconds(10))
              .setHeartbeatInterval(Durations.fromMillis(heartbeatIntervalMillis))
              .setEpoch(epoch)
              .setRevision(epoch)
              .setInstanceId(
                  instance.getInstanceId().isEmpty()
                      ? instance.getHost() + ":" + instance.getPort()
                      : instance.getInstanceId())
              .build());
      responses.onCompleted();
    }

    @Override
    public StreamObserver<KeepAliveRequest> keepAlive(StreamObserver<KeepAliveResponse> responses) {
      return new StreamObserver<>() {
        @Override
        public void onNext(KeepAliveRequest request) {
          keepAlives.add(request);
          boolean known = !unknownLeases.contains(request.getLeaseId());
          responses.onNext(
              KeepAliveResponse.newBuilder()
                  .setLeaseId(request.getLeaseId())
                  .setState(
                      known ? LeaseState.LEASE_STATE_ACTIVE : LeaseState.LEASE_STATE_NOT_FOUND)
                  .setEpoch(known ? request.getEpoch() : 0)
                  .setMessage(
                      known ? "" : "unknown lease " + request.getLeaseId() + ": register again")
                  .build());
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          responses.onCompleted();
        }
      };
    }

    @Override
    public void deregister(
        DeregisterRequest request, StreamObserver<DeregisterResponse> responses) {
      if (failed(responses)) {
        return;
      }
      deregisters.add(request);
      responses.onNext(DeregisterResponse.newBuilder().setRevision(9).build());
      responses.onCompleted();
    }

    @Override
    public void setStatus(SetStatusRequest request, StreamObserver<SetStatusResponse> responses) {
      if (failed(responses)) {
        return;
      }
      setStatuses.add(request);
      responses.onNext(SetStatusResponse.newBuilder().setRevision(8).build());
      responses.onCompleted();
    }
  }

  private final class Discovery extends DiscoveryServiceGrpc.DiscoveryServiceImplBase {
    @Override
    public void discover(DiscoverRequest request, StreamObserver<DiscoverResponse> responses) {
      if (failed(responses)) {
        return;
      }
      discovers.add(request);
      responses.onNext(DiscoverResponse.newBuilder().addInstances(ORDERS_1).setRevision(7).build());
      responses.onCompleted();
    }

    @Override
    public void listServices(
        ListServicesRequest request, StreamObserver<ListServicesResponse> responses) {
      if (failed(responses)) {
        return;
      }
      responses.onNext(
          ListServicesResponse.newBuilder()
              .addServices(
                  ServiceSummary.newBuilder()
                      .setService("orders")
                      .setInstanceCount(2)
                      .setHealthyCount(1)
                      .setRevision(7))
              .build());
      responses.onCompleted();
    }

    @Override
    public void watch(WatchRequest request, StreamObserver<WatchResponse> responses) {
      List<WatchResponse> answers = watchAnswers;
      if (answers == null) {
        super.watch(request, responses); // UNIMPLEMENTED, as the node answers for now
        return;
      }
      answers.forEach(responses::onNext);
      responses.onCompleted();
    }
  }
}
