package io.roster.node.api;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.grpc.xds.shaded.io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.grpc.xds.shaded.io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.grpc.xds.shaded.io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.grpc.xds.shaded.io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.xds.shaded.io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.roster.node.access.Access;
import io.roster.node.access.Principal;
import io.roster.node.access.Role;
import io.roster.node.domain.ServiceKey;
import io.roster.node.limits.Allowance;
import io.roster.node.limits.CallKind;
import io.roster.node.limits.LimitExceededException;
import io.roster.node.xds.AdsSession;
import io.roster.node.xds.DeltaSession;
import io.roster.node.xds.ResourceType;
import io.roster.node.xds.SotwSession;
import io.roster.node.xds.XdsCatalog;
import io.roster.node.xds.XdsCounters;
import io.roster.node.xds.XdsHub;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * {@code envoy.service.discovery.v3.AggregatedDiscoveryService}: the xDS control plane every node
 * is, so any gRPC client resolves {@code xds:///<service>} against Roster (docs/xds.md). Both
 * variants: state of the world ({@link SotwSession}) and incremental ({@link DeltaSession}); this
 * class is their transport.
 *
 * <p>A stream is a read of the caller's namespaces: opening it spends a read and takes one of the
 * caller's stream slots until it ends ({@link OpenStreams}), each request that follows new names
 * spends a read, and each name is checked against the caller's roles (a name of a namespace it may
 * not read does not exist for it). A stream is released however it ends: the client half-closes,
 * cancels, or its connection goes ({@link ClientGone}), or the node leaves.
 *
 * <p>Threading: requests arrive on the call's event loop, where the session lives; the hub's news
 * arrives on store threads and is handed to that event loop ({@link ContextTasks}), one wake-up for
 * a burst. Responses are written only while the client takes them (gRPC flow control), and are
 * built when written, so a slow client gets the newest state, never a backlog.
 */
public final class AdsGrpcService
    extends AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase {

  private final XdsCatalog catalog;
  private final XdsHub hub;
  private final OpenStreams openStreams;
  private final XdsCounters counters;

  public AdsGrpcService(
      XdsCatalog catalog, XdsHub hub, OpenStreams openStreams, XdsCounters counters) {
    this.catalog = catalog;
    this.hub = hub;
    this.openStreams = openStreams;
    this.counters = counters;
  }

  @Override
  public StreamObserver<DiscoveryRequest> streamAggregatedResources(
      StreamObserver<DiscoveryResponse> responses) {
    return new Stream<DiscoveryRequest, DiscoveryResponse, SotwSession>(
            "StreamAggregatedResources",
            responses,
            stream -> new SotwSession(catalog, stream.mayRead(), stream, stream),
            SotwSession::onRequest,
            SotwSession::nextResponse,
            DiscoveryResponse::getTypeUrl)
        .open();
  }

  @Override
  public StreamObserver<DeltaDiscoveryRequest> deltaAggregatedResources(
      StreamObserver<DeltaDiscoveryResponse> responses) {
    return new Stream<DeltaDiscoveryRequest, DeltaDiscoveryResponse, DeltaSession>(
            "DeltaAggregatedResources",
            responses,
            stream -> new DeltaSession(catalog, stream.mayRead(), stream, stream),
            DeltaSession::onRequest,
            DeltaSession::nextResponse,
            DeltaDiscoveryResponse::getTypeUrl)
        .open();
  }

  /** Takes a request into a session: whether it follows new names. */
  @FunctionalInterface
  private interface Intake<Q, S> {
    boolean take(S session, Q request);
  }

  /** One ADS call, either variant. */
  private final class Stream<Q, R, S extends AdsSession>
      implements StreamObserver<Q>, XdsHub.Watcher, AdsSession.Following, AdsSession.Reporter {

    private final String method;
    private final ServerCallStreamObserver<R> call;
    private final Context context;
    private final Principal principal;
    private final Allowance allowance;
    private final S session;
    private final Intake<Q, S> intake;
    private final Function<S, R> next;
    private final Function<R, String> typeOf;

    /** What the node tells {@link OpenStreams} to end when it leaves: this call, released. */
    private final StreamObserver<R> closer;

    /**
     * News from the hub (store threads) for the event loop. This set's monitor guards it and the
     * three fields after it.
     */
    private final Set<ServiceKey> changed = new HashSet<>();

    private final Set<ServiceKey> appeared = new HashSet<>();
    private boolean everything;
    private boolean drainScheduled;

    /** Set once the call is over for the node; touched on the event loop. */
    private boolean done;

    Stream(
        String method,
        StreamObserver<R> responses,
        Function<Stream<Q, R, S>, S> sessions,
        Intake<Q, S> intake,
        Function<S, R> next,
        Function<R, String> typeOf) {
      this.method = method;
      this.call = (ServerCallStreamObserver<R>) responses;
      this.context = Vertx.currentContext();
      // The stream's: its messages come without a Context.
      this.principal = Access.current();
      this.allowance = Allowance.current();
      this.intake = intake;
      this.next = next;
      this.typeOf = typeOf;
      this.closer =
          new StreamObserver<>() {
            @Override
            public void onNext(R value) {}

            @Override
            public void onError(Throwable status) {
              release();
              Replies.fail(call, status);
            }

            @Override
            public void onCompleted() {}
          };
      this.session = sessions.apply(this);
    }

    Predicate<String> mayRead() {
      return namespace -> principal.may(Role.READ, namespace);
    }

    StreamObserver<Q> open() {
      StatusRuntimeException refused = openStreams.add(closer, context, allowance);
      if (refused != null) {
        Replies.fail(call, GrpcErrors.toStatus(method, refused));
        return new DiscardingObserver<>();
      }
      hub.add(this);
      call.setOnReadyHandler(this::drain);
      call.setOnCancelHandler(this::release);
      // The bridge reports a reset but not a closed connection (see ClientGone).
      ClientGone.current().whenGone(this::release);
      return this;
    }

    @Override
    public void onNext(Q request) {
      if (done) {
        return;
      }
      try {
        if (intake.take(session, request)) {
          allowance.spend(CallKind.READ);
        }
      } catch (StatusRuntimeException e) {
        end(e.getStatus());
        return;
      } catch (LimitExceededException e) {
        end(e.toStatus().getStatus());
        return;
      }
      drain();
    }

    @Override
    public void onError(Throwable cancelled) {
      release();
    }

    @Override
    public void onCompleted() {
      if (!done) {
        release();
        try {
          call.onCompleted();
        } catch (RuntimeException callAlreadyOver) {
          // The client went away meanwhile.
        }
      }
    }

    /** Ends the call with {@code status}, the client's mistake: logged once, rate limited. */
    private void end(Status status) {
      GrpcErrors.toStatus(method, status.asRuntimeException());
      if (status.getCode() == Status.Code.INVALID_ARGUMENT) {
        RequestLog.refused(method, status.getDescription());
      }
      release();
      Replies.fail(call, status.asRuntimeException());
    }

    /** Lets go of everything the stream holds; runs once however the stream ends. */
    private void release() {
      if (done) {
        return;
      }
      done = true;
      hub.remove(this, session.followed());
      openStreams.remove(closer);
    }

    /** Sends what is due while the client takes it; on the event loop. */
    private void drain() {
      if (done) {
        return;
      }
      Set<ServiceKey> changedNow;
      Set<ServiceKey> appearedNow;
      boolean everythingNow;
      synchronized (changed) {
        drainScheduled = false;
        changedNow = Set.copyOf(changed);
        appearedNow = Set.copyOf(appeared);
        everythingNow = everything;
        changed.clear();
        appeared.clear();
        everything = false;
      }
      if (everythingNow) {
        session.everythingChanged();
      }
      changedNow.forEach(session::serviceChanged);
      appearedNow.forEach(session::serviceAppeared);
      while (!done && !call.isCancelled() && call.isReady()) {
        R response;
        try {
          response = next.apply(session);
        } catch (RuntimeException bug) {
          // Off the call's own guard (a push runs from the event loop's task queue): end the
          // call here, logged once, rather than leave a stream that never sends again.
          release();
          Replies.fail(call, GrpcErrors.toStatus(method, bug));
          return;
        }
        if (response == null) {
          return;
        }
        try {
          call.onNext(response);
        } catch (IllegalStateException callOver) {
          release();
          return;
        }
        counters.sent(ResourceType.of(typeOf.apply(response)));
      }
      // Not ready: the ready handler drains again when the client takes more.
    }

    private void scheduleDrain() {
      synchronized (changed) {
        if (drainScheduled) {
          return;
        }
        drainScheduled = true;
      }
      Replies.onContext(context, this::drain);
    }

    @Override
    public void changed(ServiceKey service) {
      synchronized (changed) {
        changed.add(service);
      }
      scheduleDrain();
    }

    @Override
    public void appeared(ServiceKey service) {
      synchronized (changed) {
        appeared.add(service);
      }
      scheduleDrain();
    }

    @Override
    public void everythingChanged() {
      synchronized (changed) {
        everything = true;
      }
      scheduleDrain();
    }

    @Override
    public void follow(ServiceKey service) {
      hub.follow(service, this);
    }

    @Override
    public void unfollow(ServiceKey service) {
      hub.unfollow(service, this);
    }

    @Override
    public void rejected(ResourceType type, String nonce, String detail) {
      counters.rejected(type);
      RequestLog.rejectedByClient(
          "xDS " + type.shortName(),
          "client \""
              + session.clientId()
              + "\" ("
              + principal.name()
              + ") refused response "
              + nonce
              + ": "
              + detail
              + "; it keeps the last version it accepted");
    }

    @Override
    public void accepted(ResourceType type) {
      counters.accepted(type);
    }

    @Override
    public void refusedName(ResourceType type, String name, Status why) {
      RequestLog.refused("xDS " + type.shortName(), why.getDescription());
    }
  }

  /** Takes the requests of a stream refused at its start, which nobody reads. */
  private static final class DiscardingObserver<T> implements StreamObserver<T> {
    @Override
    public void onNext(T value) {}

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
  }
}
