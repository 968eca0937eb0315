package io.roster.node.api;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.BindableService;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.roster.node.access.Access;
import io.roster.node.access.Role;
import io.roster.node.domain.DiscoveryQuery;
import io.roster.node.domain.Incarnation;
import io.roster.node.domain.InvalidArgumentException;
import io.roster.node.domain.ServiceKey;
import io.roster.node.domain.ServiceView;
import io.roster.node.limits.Allowance;
import io.roster.node.view.LocalView;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.DiscoverResponse;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.ListServicesRequest;
import io.roster.v1.ListServicesResponse;
import io.roster.v1.ServiceSummary;
import io.roster.v1.WatchRequest;
import io.roster.v1.WatchResponse;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code roster.v1.DiscoveryService}, answered from the node's {@link LocalView}: no network hop,
 * no lock, and the same view the Watch streams follow ({@link WatchHub}).
 *
 * <p>Discover answers come from {@link DiscoverAnswers}, encoded once per service view and query
 * shape. On the wire ({@link #bindService}) they are sent as those bytes: {@link UnaryCall} writes
 * a kept answer's array as it is, and the Discover method descriptor's response marshaller writes
 * them unchanged too ({@link EncodedMessage}) for any transport that goes through it. Callers see
 * the {@code DiscoverResponse} of the .proto, byte for byte what the generated marshaller would
 * have written. {@link #discover} (the HTTP/JSON API, in-JVM callers) decodes the same bytes, so
 * every path gives the same answer.
 *
 * <p>Threading: methods are called on Vert.x event loops, possibly several at once; Discover and
 * ListServices answer before returning; Watch streams are then written on the event loop of their
 * call ({@link WatchStream}).
 */
public final class DiscoveryGrpcService
    implements DiscoveryServiceGrpc.AsyncService, BindableService {

  static final int DEFAULT_PAGE_SIZE = 100;
  static final int MAX_PAGE_SIZE = 1000;
  static final int MAX_WATCH_TARGETS = 256;

  private final LocalView view;
  private final Incarnation incarnation;
  private final WatchHub hub;
  private final OpenStreams openStreams;
  private final int watchQueueLimit;
  private final DiscoverAnswers answers;
  private final DiscoverPages pages;
  private final OperationCounts operations;

  public DiscoveryGrpcService(
      LocalView view,
      Incarnation incarnation,
      WatchHub hub,
      OpenStreams openStreams,
      int watchQueueLimit,
      OperationCounts operations) {
    this.operations = operations;
    this.view = view;
    this.incarnation = incarnation;
    this.hub = hub;
    this.openStreams = openStreams;
    this.watchQueueLimit = watchQueueLimit;
    this.answers = new DiscoverAnswers(view, incarnation, DiscoverAnswers.DEFAULT_MAX_BYTES);
    this.pages = new DiscoverPages(view, incarnation);
  }

  /**
   * The service as the generated binding defines it, except Discover, which answers with
   * pre-encoded bytes. The service descriptor keeps the .proto's schema, so reflection and the
   * Vert.x bridge see the same service.
   */
  @Override
  public ServerServiceDefinition bindService() {
    ServerServiceDefinition generated = DiscoveryServiceGrpc.bindService(this);
    MethodDescriptor<DiscoverRequest, DiscoverResponse> discover =
        DiscoveryServiceGrpc.getDiscoverMethod();
    MethodDescriptor<DiscoverRequest, EncodedMessage> encodedDiscover =
        discover.toBuilder(discover.getRequestMarshaller(), EncodedMessage.MARSHALLER).build();
    ServiceDescriptor.Builder descriptor =
        ServiceDescriptor.newBuilder(generated.getServiceDescriptor().getName())
            .setSchemaDescriptor(generated.getServiceDescriptor().getSchemaDescriptor())
            .addMethod(encodedDiscover);
    List<ServerMethodDefinition<?, ?>> others = new ArrayList<>();
    for (ServerMethodDefinition<?, ?> method : generated.getMethods()) {
      if (!method.getMethodDescriptor().getFullMethodName().equals(discover.getFullMethodName())) {
        descriptor.addMethod(method.getMethodDescriptor());
        others.add(method);
      }
    }
    ServerServiceDefinition.Builder definition =
        ServerServiceDefinition.builder(descriptor.build())
            .addMethod(encodedDiscover, ServerCalls.asyncUnaryCall(this::discoverEncoded));
    for (ServerMethodDefinition<?, ?> method : others) {
      definition.addMethod(method);
    }
    return definition.build();
  }

  /** Discover as the wire serves it: the answer's bytes, sent as they are. */
  void discoverEncoded(DiscoverRequest request, StreamObserver<EncodedMessage> observer) {
    operations.count(OperationCounts.Operation.DISCOVER);
    DiscoveryQuery query = query(request, observer);
    if (query == null) {
      return;
    }
    if (!paged(request)) {
      Replies.answer(observer, answers.answer(query));
      return;
    }
    DiscoverResponse page = page(request, query, observer);
    if (page != null) {
      Replies.answer(observer, EncodedMessage.of(page));
    }
  }

  /** Discover for callers in this JVM (the HTTP/JSON API): the wire's answer, decoded. */
  @Override
  public void discover(DiscoverRequest request, StreamObserver<DiscoverResponse> observer) {
    operations.count(OperationCounts.Operation.DISCOVER);
    DiscoveryQuery query = query(request, observer);
    if (query == null) {
      return;
    }
    if (paged(request)) {
      DiscoverResponse page = page(request, query, observer);
      if (page != null) {
        Replies.answer(observer, page);
      }
      return;
    }
    DiscoverResponse response;
    try {
      response = DiscoverResponse.parseFrom(answers.answer(query).bytes());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("an encoded Discover answer does not decode", e);
    }
    Replies.answer(observer, response);
  }

  /**
   * Whether the request asks for a page. Unpaged answers are the common case, kept encoded per view
   * ({@link DiscoverAnswers}); pages are built per call.
   */
  private static boolean paged(DiscoverRequest request) {
    return request.getPageSize() != 0 || !request.getPageToken().isEmpty();
  }

  /** The page asked for, or null after failing the call. */
  private DiscoverResponse page(
      DiscoverRequest request, DiscoveryQuery query, StreamObserver<?> observer) {
    try {
      int pageSize =
          ProtoMapper.pageSize("page_size", request.getPageSize(), DiscoverPages.MAX_PAGE_SIZE);
      return pages.page(query, pageSize, request.getPageToken());
    } catch (InvalidArgumentException | StatusRuntimeException e) {
      Replies.fail(observer, GrpcErrors.toStatus("Discover", e));
      return null;
    }
  }

  /**
   * The validated query of a caller that may read its namespace, or null after failing the call
   * (INVALID_ARGUMENT, PERMISSION_DENIED).
   */
  private static DiscoveryQuery query(DiscoverRequest request, StreamObserver<?> observer) {
    try {
      DiscoveryQuery query = ProtoMapper.toQuery(request);
      Access.require(Role.READ, query.service().namespace(), "Discover");
      return query;
    } catch (InvalidArgumentException | StatusRuntimeException e) {
      Replies.fail(observer, GrpcErrors.toStatus("Discover", e));
      return null;
    }
  }

  @Override
  public void listServices(
      ListServicesRequest request, StreamObserver<ListServicesResponse> observer) {
    ProtoMapper.ServicesPage page;
    try {
      page = ProtoMapper.toServicesPage(request);
      Access.require(Role.READ, page.namespace(), "ListServices");
    } catch (InvalidArgumentException | StatusRuntimeException e) {
      Replies.fail(observer, GrpcErrors.toStatus("ListServices", e));
      return;
    }
    List<ServiceView> matching = new ArrayList<>();
    for (ServiceView service : view.all()) {
      ServiceKey key = service.key();
      if (key.namespace().equals(page.namespace())
          && !service.isEmpty()
          && key.service().compareTo(page.after()) > 0) {
        matching.add(service);
      }
    }
    matching.sort((a, b) -> a.key().compareTo(b.key()));
    ListServicesResponse.Builder response =
        ListServicesResponse.newBuilder().setIncarnation(incarnation.current());
    int pageSize = page.pageSize();
    for (ServiceView service : matching.subList(0, Math.min(pageSize, matching.size()))) {
      response.addServices(
          ServiceSummary.newBuilder()
              .setService(service.key().service())
              .setInstanceCount(service.size())
              .setHealthyCount(service.healthyCount())
              .setRevision(service.revision()));
    }
    if (matching.size() > pageSize) {
      // The token is the last name returned: pages stay stable while services come and go.
      response.setNextPageToken(matching.get(pageSize - 1).key().service());
    }
    Replies.answer(observer, response.build());
  }

  @Override
  public void watch(WatchRequest request, StreamObserver<WatchResponse> observer) {
    Map<ServiceKey, WatchHub.From> fromRevisions;
    try {
      fromRevisions = ProtoMapper.toWatchTargets(request);
      // Every target is of the request's namespace, and there is at least one.
      Access.require(Role.READ, fromRevisions.keySet().iterator().next().namespace(), "Watch");
    } catch (InvalidArgumentException | StatusRuntimeException e) {
      Replies.fail(observer, GrpcErrors.toStatus("Watch", e));
      return;
    }
    List<ServiceKey> services = new ArrayList<>(fromRevisions.keySet());
    Context context = Vertx.currentContext();
    StatusRuntimeException refused = openStreams.add(observer, context, Allowance.current());
    if (refused != null) {
      Replies.fail(observer, GrpcErrors.toStatus("Watch", refused));
      return;
    }
    ServerCallStreamObserver<WatchResponse> call =
        (ServerCallStreamObserver<WatchResponse>) observer;
    WatchStream stream = new WatchStream(call, context, hub, watchQueueLimit, services);
    // A call ends by completing (the node ends it), by a cancel (the client reset the stream) or
    // by its client going away without a word (the connection closed, which the bridge does not
    // report as a cancel): each way it must leave the open streams and the hub, or the node keeps
    // its stream, queue, subscriptions and handlers for good.
    Runnable release =
        () -> {
          stream.close();
          openStreams.remove(observer);
        };
    call.setOnCloseHandler(release);
    call.setOnCancelHandler(release);
    ClientGone.current().whenGone(release);
    stream.start(fromRevisions);
  }
}
