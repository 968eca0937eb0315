package io.roster.node.api;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.roster.node.access.Access;
import io.roster.node.access.Audit;
import io.roster.node.access.Principal;
import io.roster.node.access.Role;
import io.roster.node.domain.Incarnation;
import io.roster.node.domain.InstanceKey;
import io.roster.node.domain.InstanceSpec;
import io.roster.node.domain.InvalidArgumentException;
import io.roster.node.domain.LeasePolicy;
import io.roster.node.domain.MutationResult;
import io.roster.node.domain.RenewResult;
import io.roster.node.domain.RenewalPace;
import io.roster.node.lease.LeaseKeeper;
import io.roster.node.limits.Allowance;
import io.roster.node.limits.InstanceQuota;
import io.roster.node.limits.LimitExceededException;
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
  private final LeaseIds leaseIds;
  private final InstanceQuota quota;
  private final OperationCounts operations;

  public RegistryGrpcService(
      RegistryStore store,
      Incarnation incarnation,
      LeaseKeeper leases,
      LeasePolicy leasePolicy,
      OpenStreams streams,
      LeaseIds leaseIds,
      InstanceQuota quota,
      OperationCounts operations) {
    this.operations = operations;
    this.leaseIds = leaseIds;
    this.quota = quota;
    this.store = store;
    this.incarnation = incarnation;
    this.leases = leases;
    this.leasePolicy = leasePolicy;
    this.openStreams = streams;
  }

  @Override
  public void register(RegisterRequest request, StreamObserver<RegisterResponse> observer) {
    operations.count(OperationCounts.Operation.REGISTER);
    Principal principal = Access.current();
    Replies.unary(
        "Register",
        RequestLog.About.instance(
            principal,
            request.getInstance().getNamespace(),
            request.getInstance().getService(),
            request.getInstance().getInstanceId()),
        observer,
        () -> {
          ProtoMapper.Registration registration = ProtoMapper.toRegistration(request);
          InstanceSpec asked = registration.spec();
          String namespace = asked.key().namespace();
          Access.require(Role.REGISTER, namespace, "Register");
          quota.check(asked.key());
          // With access control, the instance id is the registering principal's: another one
          // may not register it again, unless it is an admin of the namespace.
          InstanceSpec spec =
              principal == Principal.ANYONE ? asked : asked.withOwner(principal.name());
          return store.register(
              spec,
              leasePolicy.grant(registration.requestedTtlMillis()),
              principal.may(Role.ADMIN, namespace));
        },
        registered -> {
          Audit.write(
              principal, "Register", registered.record().key(), registered.record().revision());
          return RegisterResponse.newBuilder()
              .setLeaseId(leaseIds.leaseId(registered.record().key(), registered.record().epoch()))
              .setGrantedTtl(ProtoMapper.duration(registered.grantedTtlMillis()))
              .setHeartbeatInterval(ProtoMapper.duration(registered.grantedTtlMillis() / 3))
              .setEpoch(registered.record().epoch())
              .setRevision(registered.record().revision())
              .setInstanceId(registered.record().instanceId())
              .setIncarnation(incarnation.current())
              .build();
        });
  }

  @Override
  public void heartbeat(HeartbeatRequest request, StreamObserver<HeartbeatResponse> observer) {
    operations.count(OperationCounts.Operation.HEARTBEAT);
    Replies.unary(
        "Heartbeat",
        RequestLog.About.leaseId(Access.current(), request.getLeaseId()),
        observer,
        () -> {
          LeaseIds.Lease lease = lease(request.getLeaseId(), request.getEpoch());
          Access.require(Role.REGISTER, lease.key().namespace(), "Heartbeat");
          return leases.renew(lease.key(), lease.epoch(), RenewalPace.AT_ONCE);
        },
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
                      .withDescription(staleEpoch(request.getLeaseId(), result.currentEpoch()))
                      .asRuntimeException();
            });
  }

  /**
   * The registration a lease id names, with the request's epoch, which may only be 0 or the lease
   * id's own.
   */
  private LeaseIds.Lease lease(String leaseId, long requestEpoch) {
    long epoch = ProtoMapper.counter("epoch", requestEpoch);
    LeaseIds.Lease lease = leaseIds.parse("lease_id", leaseId);
    if (epoch != 0 && epoch != lease.epoch()) {
      throw new InvalidArgumentException(
          "epoch",
          "is "
              + epoch
              + " but the lease id is of epoch "
              + lease.epoch()
              + ": send the lease id and epoch of one RegisterResponse");
    }
    return lease;
  }

  @Override
  public StreamObserver<KeepAliveRequest> keepAlive(StreamObserver<KeepAliveResponse> responses) {
    Context context = Vertx.currentContext();
    // The stream's: its messages come without a Context.
    Principal principal = Access.current();
    Allowance allowance = Allowance.current();
    StatusRuntimeException refused = openStreams.add(responses, context, allowance);
    if (refused != null) {
      responses.onError(
          GrpcErrors.toStatus("KeepAlive", refused, RequestLog.About.principal(principal)));
      return new DiscardingObserver<>();
    }
    StreamObserver<KeepAliveRequest> requests =
        new StreamObserver<>() {
          /** Set once the stream is over for the node; only touched on {@code context}. */
          private boolean done;

          @Override
          public void onNext(KeepAliveRequest request) {
            operations.count(OperationCounts.Operation.HEARTBEAT);
            LeaseIds.Lease lease;
            try {
              lease = lease(request.getLeaseId(), request.getEpoch());
            } catch (InvalidArgumentException e) {
              responses.onNext(
                  KeepAliveResponse.newBuilder()
                      .setLeaseId(request.getLeaseId())
                      .setState(LeaseState.LEASE_STATE_INVALID)
                      .setMessage(e.getMessage())
                      .build());
              return;
            } catch (LeaseIds.UnknownLeaseException e) {
              responses.onNext(
                  KeepAliveResponse.newBuilder()
                      .setLeaseId(request.getLeaseId())
                      .setState(LeaseState.LEASE_STATE_NOT_FOUND)
                      .setMessage(e.getMessage())
                      .build());
              return;
            }
            if (!principal.may(Role.REGISTER, lease.key().namespace())) {
              responses.onNext(
                  KeepAliveResponse.newBuilder()
                      .setLeaseId(request.getLeaseId())
                      .setState(LeaseState.LEASE_STATE_DENIED)
                      .setMessage(
                          Access.denied(
                                  principal, Role.REGISTER, lease.key().namespace(), "KeepAlive")
                              .getStatus()
                              .getDescription())
                      .build());
              return;
            }
            LimitExceededException overLimit = allowance.spendRenewal();
            if (overLimit != null) {
              // The stream stays: only this heartbeat is refused, and the client sends it again
              // after the delay, long before the lease runs out (it renews at a third of its TTL).
              responses.onNext(
                  KeepAliveResponse.newBuilder()
                      .setLeaseId(request.getLeaseId())
                      .setState(LeaseState.LEASE_STATE_THROTTLED)
                      .setRetryAfter(ProtoMapper.duration(overLimit.retryAfterMillis()))
                      .setMessage(overLimit.getMessage())
                      .build());
              RequestLog.refused(
                  "KeepAlive",
                  overLimit.getMessage(),
                  RequestLog.About.instance(
                      principal,
                      lease.key().namespace(),
                      lease.key().service(),
                      lease.key().instanceId()));
              return;
            }
            leases
                .renew(lease.key(), lease.epoch(), RenewalPace.WINDOWED)
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
                                responses.onError(
                                    GrpcErrors.toStatus(
                                        "KeepAlive",
                                        failure,
                                        RequestLog.About.instance(
                                            principal,
                                            lease.key().namespace(),
                                            lease.key().service(),
                                            lease.key().instanceId())));
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
    operations.count(OperationCounts.Operation.DEREGISTER);
    Principal principal = Access.current();
    Replies.unary(
        "Deregister",
        about(principal, request.getKey(), request.getLeaseId()),
        observer,
        () -> {
          Target target =
              target("Deregister", request.getKey(), request.getEpoch(), request.getLeaseId());
          return store
              .deregister(target.key(), target.epoch())
              .thenApply(result -> target.check(result, principal, "Deregister"));
        },
        result -> {
          return DeregisterResponse.newBuilder().setRevision(result.revision()).build();
        });
  }

  @Override
  public void setStatus(SetStatusRequest request, StreamObserver<SetStatusResponse> observer) {
    operations.count(OperationCounts.Operation.SET_STATUS);
    Principal principal = Access.current();
    Replies.unary(
        "SetStatus",
        about(principal, request.getKey(), request.getLeaseId()),
        observer,
        () -> {
          Target target =
              target("SetStatus", request.getKey(), request.getEpoch(), request.getLeaseId());
          return store
              .setStatus(
                  target.key(), ProtoMapper.toStatus("status", request.getStatus()), target.epoch())
              .thenApply(result -> target.check(result, principal, "SetStatus"));
        },
        result -> {
          return SetStatusResponse.newBuilder().setRevision(result.revision()).build();
        });
  }

  /** What a Deregister or SetStatus is about, for its log line: its key, else its lease id's. */
  private static RequestLog.About about(
      Principal principal, io.roster.v1.InstanceKey key, String leaseId) {
    return key.equals(io.roster.v1.InstanceKey.getDefaultInstance())
        ? RequestLog.About.leaseId(principal, leaseId)
        : RequestLog.About.instance(
            principal, key.getNamespace(), key.getService(), key.getInstanceId());
  }

  /**
   * The instance a Deregister or SetStatus acts on, and the epoch it must be at (0: any): from the
   * key and epoch, or from the lease id, which names both. An admin of the namespace may name any
   * instance by its key; anyone else needs the role register there and the lease id Register
   * returned, which proves the registration is theirs.
   */
  private Target target(String method, io.roster.v1.InstanceKey key, long epoch, String leaseId) {
    if (leaseId.isEmpty()) {
      InstanceKey named = ProtoMapper.toKey("key", key);
      Principal principal = Access.current();
      if (!principal.may(Role.ADMIN, named.namespace())) {
        if (principal.may(Role.REGISTER, named.namespace())) {
          throw Status.PERMISSION_DENIED
              .withDescription(
                  principal.name()
                      + " may call "
                      + method
                      + " in namespace \""
                      + named.namespace()
                      + "\" only on registrations it made: send the lease_id Register returned"
                      + " (or be an admin there)")
              .asRuntimeException();
        }
        throw Access.denied(principal, Role.ADMIN, named.namespace(), method);
      }
      return new Target(named, ProtoMapper.counter("epoch", epoch));
    }
    LeaseIds.Lease lease = lease(leaseId, epoch);
    Access.require(Role.REGISTER, lease.key().namespace(), method);
    if (!key.equals(io.roster.v1.InstanceKey.getDefaultInstance())) {
      InstanceKey named = ProtoMapper.toKey("key", key);
      if (!named.equals(lease.key())) {
        throw new InvalidArgumentException(
            "key", "names " + named + " but the lease id is of " + lease.key());
      }
    }
    return new Target(lease.key(), lease.epoch());
  }

  /** An instance a Deregister or SetStatus acts on, at an epoch (0: any). */
  private record Target(InstanceKey key, long epoch) {

    /**
     * {@code result} (audited as {@code method} by {@code principal}), or the status it calls for.
     */
    MutationResult check(MutationResult result, Principal principal, String method) {
      String name = key.service() + "/" + key.instanceId();
      switch (result.outcome()) {
        case NOT_FOUND ->
            throw Status.NOT_FOUND
                .withDescription(
                    "no instance " + name + " in namespace \"" + key.namespace() + "\"")
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
        case APPLIED -> Audit.write(principal, method, key, result.revision());
        default -> {}
      }
      return result;
    }
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
              .setMessage(staleEpoch(request.getLeaseId(), result.currentEpoch()));
    }
    return answer.build();
  }

  private static String staleEpoch(String leaseId, long current) {
    return "lease "
        + leaseId
        + " is of an earlier registration (the instance is at epoch "
        + current
        + "): the instance registered again since, so this process was replaced; stop renewing";
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
