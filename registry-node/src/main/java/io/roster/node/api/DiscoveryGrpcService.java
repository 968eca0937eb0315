package io.roster.node.api;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.roster.node.domain.DiscoveryQuery;
import io.roster.node.domain.InstanceRecord;
import io.roster.node.domain.InstanceValidator;
import io.roster.node.domain.InvalidArgumentException;
import io.roster.node.domain.ServiceKey;
import io.roster.node.domain.ServiceView;
import io.roster.node.view.LocalView;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.DiscoverResponse;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.ListServicesRequest;
import io.roster.v1.ListServicesResponse;
import io.roster.v1.ServiceSummary;
import io.roster.v1.WatchRequest;
import io.roster.v1.WatchResponse;
import io.roster.v1.WatchTarget;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code roster.v1.DiscoveryService}, answered from the node's {@link LocalView}: no network hop,
 * no lock, and the same view the Watch streams follow ({@link WatchHub}).
 *
 * <p>Threading: methods are called on a Vert.x event loop; Discover and ListServices answer before
 * returning; Watch streams are then written on the same event loop ({@link WatchStream}).
 */
public final class DiscoveryGrpcService extends DiscoveryServiceGrpc.DiscoveryServiceImplBase {

  static final int DEFAULT_PAGE_SIZE = 100;
  static final int MAX_PAGE_SIZE = 1000;
  static final int MAX_WATCH_TARGETS = 256;

  private final LocalView view;
  private final WatchHub hub;
  private final OpenStreams openStreams;
  private final int watchQueueLimit;

  public DiscoveryGrpcService(
      LocalView view, WatchHub hub, OpenStreams openStreams, int watchQueueLimit) {
    this.view = view;
    this.hub = hub;
    this.openStreams = openStreams;
    this.watchQueueLimit = watchQueueLimit;
  }

  @Override
  public void discover(DiscoverRequest request, StreamObserver<DiscoverResponse> observer) {
    DiscoveryQuery query;
    try {
      query =
          new DiscoveryQuery(
              ProtoMapper.toServiceKey(
                  "namespace", request.getNamespace(), "service", request.getService()),
              InstanceValidator.zone("preferred_zone", request.getPreferredZone()),
              ProtoMapper.selector(request.getMetadataSelectorMap()),
              request.getIncludeUnhealthy(),
              InstanceValidator.version("version", request.getVersion()));
    } catch (InvalidArgumentException e) {
      Replies.fail(observer, GrpcErrors.toStatus("Discover", e));
      return;
    }
    ServiceView service = view.get(query.service());
    ServiceView.Selection selection = service.select(query);
    DiscoverResponse.Builder response =
        DiscoverResponse.newBuilder()
            .setRevision(service.revision())
            .setZoneFallback(selection.zoneFallback());
    for (InstanceRecord record : selection.instances()) {
      response.addInstances(ProtoMapper.toProto(record));
    }
    Replies.answer(observer, response.build());
  }

  @Override
  public void listServices(
      ListServicesRequest request, StreamObserver<ListServicesResponse> observer) {
    String namespace;
    int pageSize;
    try {
      namespace = InstanceValidator.namespace("namespace", request.getNamespace());
      if (request.getPageSize() > MAX_PAGE_SIZE) {
        throw new InvalidArgumentException(
            "page_size", "must be at most " + MAX_PAGE_SIZE + ", got " + request.getPageSize());
      }
      if (!request.getPageToken().isEmpty()) {
        InstanceValidator.service("page_token", request.getPageToken());
      }
      pageSize = request.getPageSize() == 0 ? DEFAULT_PAGE_SIZE : request.getPageSize();
    } catch (InvalidArgumentException e) {
      Replies.fail(observer, GrpcErrors.toStatus("ListServices", e));
      return;
    }
    List<ServiceView> matching = new ArrayList<>();
    for (ServiceView service : view.all()) {
      ServiceKey key = service.key();
      if (key.namespace().equals(namespace)
          && !service.instances().isEmpty()
          && key.service().compareTo(request.getPageToken()) > 0) {
        matching.add(service);
      }
    }
    matching.sort((a, b) -> a.key().compareTo(b.key()));
    ListServicesResponse.Builder response = ListServicesResponse.newBuilder();
    for (ServiceView service : matching.subList(0, Math.min(pageSize, matching.size()))) {
      response.addServices(
          ServiceSummary.newBuilder()
              .setService(service.key().service())
              .setInstanceCount(service.instances().size())
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
    List<ServiceKey> services = new ArrayList<>();
    Map<ServiceKey, Long> fromRevisions = new HashMap<>();
    try {
      String namespace = InstanceValidator.namespace("namespace", request.getNamespace());
      if (request.getTargetsCount() < 1 || request.getTargetsCount() > MAX_WATCH_TARGETS) {
        throw new InvalidArgumentException(
            "targets",
            "must name 1-" + MAX_WATCH_TARGETS + " services, got " + request.getTargetsCount());
      }
      for (int i = 0; i < request.getTargetsCount(); i++) {
        WatchTarget target = request.getTargets(i);
        ServiceKey key =
            new ServiceKey(
                namespace,
                InstanceValidator.service("targets[" + i + "].service", target.getService()));
        if (fromRevisions.containsKey(key)) {
          throw new InvalidArgumentException(
              "targets[" + i + "].service", "names " + key.service() + " a second time");
        }
        services.add(key);
        fromRevisions.put(key, target.getFromRevision());
      }
    } catch (InvalidArgumentException e) {
      Replies.fail(observer, GrpcErrors.toStatus("Watch", e));
      return;
    }
    Context context = Vertx.currentContext();
    if (!openStreams.add(observer, context)) {
      Replies.fail(
          observer,
          Status.UNAVAILABLE
              .withDescription("this node is shutting down: watch on another node")
              .asRuntimeException());
      return;
    }
    ServerCallStreamObserver<WatchResponse> call =
        (ServerCallStreamObserver<WatchResponse>) observer;
    WatchStream stream = new WatchStream(call, context, hub, watchQueueLimit, services);
    call.setOnCloseHandler(() -> openStreams.remove(observer));
    stream.start(fromRevisions);
  }
}
