package io.roster.client.internal;

import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import io.roster.v1.ClusterServiceGrpc;
import io.roster.v1.ClusterStatusRequest;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.ListServicesRequest;
import io.roster.v1.ListServicesResponse;
import io.roster.v1.ServiceSummary;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The cheap unary calls that tell whether a node behind a silent Watch stream still answers.
 *
 * <p>Threading: stateless; results complete on gRPC threads.
 */
final class NodeProbes {

  /** Services per ListServices page; services past the first page are not checked. */
  static final int LIST_PAGE_SIZE = 1_000;

  private NodeProbes() {}

  /** A ClusterStatus call: answers with nothing but the fact that the node answered. */
  static CompletableFuture<List<ServiceSummary>> alive(Channel channel, Duration timeout) {
    CompletableFuture<List<ServiceSummary>> answer = new CompletableFuture<>();
    ClusterServiceGrpc.newStub(channel)
        .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .clusterStatus(
            ClusterStatusRequest.getDefaultInstance(), completing(answer, s -> List.of()));
    return answer;
  }

  /** A ListServices call: the revision of every service of the namespace with an instance. */
  static CompletableFuture<List<ServiceSummary>> revisions(
      Channel channel, String namespace, Duration timeout) {
    CompletableFuture<List<ServiceSummary>> answer = new CompletableFuture<>();
    DiscoveryServiceGrpc.newStub(channel)
        .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .listServices(
            ListServicesRequest.newBuilder()
                .setNamespace(namespace)
                .setPageSize(LIST_PAGE_SIZE)
                .build(),
            completing(answer, ListServicesResponse::getServicesList));
    return answer;
  }

  private static <T, R> StreamObserver<T> completing(
      CompletableFuture<R> future, Function<T, R> map) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        future.complete(map.apply(value));
      }

      @Override
      public void onError(Throwable t) {
        future.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        future.complete(null);
      }
    };
  }
}
