package io.roster.node.api;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.roster.node.domain.Incarnation;
import io.roster.node.domain.InstanceKey;
import io.roster.node.domain.InvalidArgumentException;
import io.roster.node.domain.LeasePolicy;
import io.roster.node.domain.MutationResult;
import io.roster.node.domain.RenewResult;
import io.roster.node.domain.RenewalPace;
import io.roster.node.lease.LeaseKeeper;
import io.roster.node.store.RegistryStore;
import io.roster.v1.DeregisterRequest;
import io.roster.v1.DeregisterResponse;
import io.roster.v1.HeartbeatRequest;
import io.roster.v1.HeartbeatResponse;
import io.roster.v1.KeepAliveRequest;
import io.roster.v1.KeepAliveResponse;
import io.roster.v1.LeaseState;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import io.roster.v1.SetStatusRequest;
import io.roster.v1.SetStatusResponse;
import io.vertx.core.Context;
import io.vertx.core.Vertx;

/**
 * {@code roster.v1.RegistryService}: request in, domain call, status out. Holds no state of its own
 * beyond the open KeepAlive streams.
 *
 * <p>Threading: methods are called on a Vert.x event loop and never block; answers are written on
 * the same event loop (see {@link Replies}).
 */
public final class RegistryGrpcService extends RegistryServiceGrpc.RegistryServiceImplBase {

  private final RegistryStore store;
  private final Incarnation incarnation;
  private final LeaseKeeper leases;
  private final LeasePolicy leasePolicy;
  private final OpenStreams openStreams;

  public RegistryGrpcService(
      RegistryStore store,
      Incarnation incarnation,
      LeaseKeeper leases,
      LeasePolicy leasePolicy,
      OpenStreams streams) {
    this.store = store;
    this.incarnation = incarnation;
    this.leases = leases;
    this.leasePolicy = leasePolicy;
    this.openStreams = streams;
  }

  @Override
  public void register(RegisterRequest request, StreamObserver<RegisterResponse> observer) {
    Replies.unary(
        "Register",
        observer,
        () -> {
          ProtoMapper.Registration registration = ProtoMapper.toRegistration(request);
          return store.register(
              registration.spec(), leasePolicy.grant(registration.requestedTtlMillis()));
        },
        registered ->
            RegisterResponse.newBuilder()
                .setLeaseId(registered.record().key().leaseId())
                .setGrantedTtl(ProtoMapper.duration(registered.grantedTtlMillis()))
                .setHeartbeatInterval(ProtoMapper.duration(registered.grantedTtlMillis() / 3))
                .setEpoch(registered.record().epoch())
                .setRevision(registered.record().revision())
                .setInstanceId(registered.record().instanceId())
                .setIncarnation(incarnation.current())
                .build());
  }

  @Override
  public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> observer) {
    Replies.unary(
        "Heartbeat",
        observer,
        () ->
            leases.renew(
                ProtoMapper.parseLeaseId("lease_id", request.getLeaseId()),
                ProtoMapper.counter("epoch", request.getEpoch()),
                RenewalPace.AT_ONCE),
        result ->
            switch (result.outcome()) {
              case RENEWED ->
                  HeartbeatResponse.newBuilder()
                      .setGrantedTtl(ProtoMapper.duration(result.ttlMillis()))
                      .setEpoch(result.currentEpoch())
                      .build();
              case NOT_FOUND ->
                  throw Status.NOT_FOUND
                      .withDescription("unknown lease " + request.getLeaseId() + ": register again")
                      .asRuntimeException();
              case STALE_EPOCH ->
                  throw Status.FAILED_PRECONDITION
                      .withDescription(
                          staleEpoch(
                              request.getLeaseId(), request.getEpoch(), result.currentEpoch()))
                      .asRuntimeException();
            });
  }

  @Override
  public StreamObserver<KeepAliveRequest> keepAlive(StreamObserver<KeepAliveResponse> responses) {
    Context context = Vertx.currentContext();
    if (!openStreams.add(responses, context)) {
      responses.onError(
          Status.UNAVAILABLE
              .withDescription("this node is shutting down: reconnect to another node")
              .asRuntimeException());
      return new DiscardingObserver<>();
    }
    StreamObserver<KeepAliveRequest> requests =
        new StreamObserver<>() {
          /** Set once the stream is over for the node; only touched on {@code context}. */
          private boolean done;

          @Override
          public void onNext(KeepAliveRequest request) {
            InstanceKey key;
            try {
              key = ProtoMapper.parseLeaseId("lease_id", request.getLeaseId());
              ProtoMapper.counter("epoch", request.getEpoch());
            } catch (InvalidArgumentException e) {
              responses.onNext(
                  KeepAliveResponse.newBuilder()
                      .setLeaseId(request.getLeaseId())
                      .setState(LeaseState.LEASE_STATE_INVALID)
                      .setMessage(e.getMessage())
                      .build());
              return;
            }
            leases
                .renew(key, request.getEpoch(), RenewalPace.WINDOWED)
                .whenComplete(
                    (result, failure) ->
                        Replies.onContext(
                            context,
                            () -> {
                              if (done) {
                                return;
                              }
                              if (failure != null) {
                                done = true;
                                openStreams.remove(responses);
                                responses.onError(GrpcErrors.toStatus("KeepAlive", failure));
                              } else {
                                responses.onNext(keepAliveAnswer(request, result));
                              }
                            }));
          }

          @Override
          public void onError(Throwable cancelled) {
            done = true;
            openStreams.remove(responses);
          }

          @Override
          public void onCompleted() {
            done = true;
            openStreams.remove(responses);
            responses.onCompleted();
          }
        };
    // The bridge reports a reset (onError above) but not a closed connection: without this, a
    // KeepAlive whose client process died stayed open until the node restarted.
    ClientGone.current().whenGone(() -> requests.onError(Status.CANCELLED.asRuntimeException()));
    return requests;
  }

  @Override
  public void deregister(DeregisterRequest request, StreamObserver<DeregisterResponse> observer) {
    Replies.unary(
        "Deregister",
        observer,
        () ->
            store.deregister(
                ProtoMapper.toKey("key", request.getKey()),
                ProtoMapper.counter("epoch", request.getEpoch())),
        result -> {
          checkMutation(request.getKey(), request.getEpoch(), result);
          return DeregisterResponse.newBuilder().setRevision(result.revision()).build();
        });
  }

  @Override
  public void setStatus(SetStatusRequest request, StreamObserver<SetStatusResponse> observer) {
    Replies.unary(
        "SetStatus",
        observer,
        () ->
            store.setStatus(
                ProtoMapper.toKey("key", request.getKey()),
                ProtoMapper.toStatus("status", request.getStatus()),
                ProtoMapper.counter("epoch", request.getEpoch())),
        result -> {
          checkMutation(request.getKey(), request.getEpoch(), result);
          return SetStatusResponse.newBuilder().setRevision(result.revision()).build();
        });
  }

  private static KeepAliveResponse keepAliveAnswer(KeepAliveRequest request, RenewResult result) {
    KeepAliveResponse.Builder answer =
        KeepAliveResponse.newBuilder()
            .setLeaseId(request.getLeaseId())
            .setEpoch(result.currentEpoch());
    switch (result.outcome()) {
      case RENEWED ->
          answer
              .setState(LeaseState.LEASE_STATE_ACTIVE)
              .setGrantedTtl(ProtoMapper.duration(result.ttlMillis()));
      case NOT_FOUND ->
          answer
              .setState(LeaseState.LEASE_STATE_NOT_FOUND)
              .setMessage("unknown lease " + request.getLeaseId() + ": register again");
      case STALE_EPOCH ->
          answer
              .setState(LeaseState.LEASE_STATE_STALE_EPOCH)
              .setMessage(
                  staleEpoch(request.getLeaseId(), request.getEpoch(), result.currentEpoch()));
    }
    return answer.build();
  }

  private static void checkMutation(
      io.roster.v1.InstanceKey key, long epoch, MutationResult result) {
    String name = key.getService() + "/" + key.getInstanceId();
    switch (result.outcome()) {
      case NOT_FOUND ->
          throw Status.NOT_FOUND
              .withDescription(
                  "no instance "
                      + name
                      + " in namespace \""
                      + (key.getNamespace().isEmpty() ? "default" : key.getNamespace())
                      + "\"")
              .asRuntimeException();
      case STALE_EPOCH ->
          throw Status.FAILED_PRECONDITION
              .withDescription(
                  "instance "
                      + name
                      + " is at epoch "
                      + result.currentEpoch()
                      + ", not "
                      + epoch
                      + ": it was registered again since; pass epoch 0 to act on any epoch")
              .asRuntimeException();
      default -> {}
    }
  }

  private static String staleEpoch(String leaseId, long epoch, long current) {
    return "lease "
        + leaseId
        + " is at epoch "
        + current
        + ", not "
        + epoch
        + ": the instance registered again since, so this process was replaced; stop renewing";
  }

  /** Swallows the requests of a stream refused at open. */
  private static final class DiscardingObserver<T> implements StreamObserver<T> {
    @Override
    public void onNext(T value) {}

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }
}
