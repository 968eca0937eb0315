package io.roster.node.xds;

import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.core.v3.Locality;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.core.v3.Node;
import io.grpc.xds.shaded.io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.grpc.xds.shaded.io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.grpc.xds.shaded.io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.grpc.xds.shaded.io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.xds.shaded.io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One ADS stream as a test drives it with grpc-java's own stub of the shaded Envoy service: sends
 * requests, takes responses in order, and learns how the stream ended.
 *
 * @param <Q> the request type of the variant
 * @param <R> the response type
 */
public final class RawAds<Q, R> implements AutoCloseable {

  private final BlockingQueue<R> responses = new LinkedBlockingQueue<>();
  private final CompletableFuture<Status> ended = new CompletableFuture<>();
  private volatile ClientCallStreamObserver<Q> requests;

  private RawAds() {}

  /** A state-of-the-world stream. */
  public static RawAds<DiscoveryRequest, DiscoveryResponse> sotw(Channel channel) {
    RawAds<DiscoveryRequest, DiscoveryResponse> ads = new RawAds<>();
    AggregatedDiscoveryServiceGrpc.newStub(channel).streamAggregatedResources(ads.observer());
    return ads;
  }

  /** An incremental stream. */
  public static RawAds<DeltaDiscoveryRequest, DeltaDiscoveryResponse> delta(Channel channel) {
    RawAds<DeltaDiscoveryRequest, DeltaDiscoveryResponse> ads = new RawAds<>();
    AggregatedDiscoveryServiceGrpc.newStub(channel).deltaAggregatedResources(ads.observer());
    return ads;
  }

  /** A client node in {@code zone}, as a bootstrap would name it. */
  public static Node node(String id, String zone) {
    return Node.newBuilder().setId(id).setLocality(Locality.newBuilder().setZone(zone)).build();
  }

  /** A state-of-the-world request. */
  public static DiscoveryRequest request(
      ResourceType type, String version, String nonce, List<String> names) {
    return DiscoveryRequest.newBuilder()
        .setTypeUrl(type.typeUrl())
        .setVersionInfo(version)
        .setResponseNonce(nonce)
        .addAllResourceNames(names)
        .build();
  }

  private ClientResponseObserver<Q, R> observer() {
    return new ClientResponseObserver<>() {
      @Override
      public void beforeStart(ClientCallStreamObserver<Q> stream) {
        requests = stream;
      }

      @Override
      public void onNext(R response) {
        responses.add(response);
      }

      @Override
      public void onError(Throwable failure) {
        ended.complete(Status.fromThrowable(failure));
      }

      @Override
      public void onCompleted() {
        ended.complete(Status.OK);
      }
    };
  }

  public RawAds<Q, R> send(Q request) {
    requests.onNext(request);
    return this;
  }

  /** The next response, failing after {@code bound} (saying how the stream ended, if it did). */
  public R next(Duration bound) {
    try {
      R response = responses.poll(bound.toMillis(), TimeUnit.MILLISECONDS);
      if (response == null) {
        throw new AssertionError(
            "no response within "
                + bound
                + (ended.isDone() ? "; the stream ended: " + ended.join() : ""));
      }
      return response;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** The next response if one comes within {@code wait}, else null. */
  public R poll(Duration wait) {
    try {
      return responses.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** How the stream ended, waiting up to {@code bound}. */
  public Status ended(Duration bound) {
    try {
      return ended.get(bound.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("the stream did not end within " + bound, e);
    }
  }

  public boolean isOpen() {
    return !ended.isDone();
  }

  /** Cancels the stream, as a client that goes away does. */
  @Override
  public void close() {
    if (requests != null && !ended.isDone()) {
      requests.cancel("the test is done with it", null);
    }
  }
}
