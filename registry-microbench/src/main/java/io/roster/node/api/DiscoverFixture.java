package io.roster.node.api;

import io.grpc.stub.StreamObserver;
import io.roster.node.domain.DiscoveryQuery;
import io.roster.node.domain.Incarnation;
import io.roster.node.domain.InstanceKey;
import io.roster.node.domain.InstanceSpec;
import io.roster.node.domain.InstanceStatus;
import io.roster.node.domain.ServiceKey;
import io.roster.node.store.InMemoryRegistryStore;
import io.roster.node.view.LocalView;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.DiscoverResponse;
import java.time.Clock;
import java.util.Map;

/**
 * A node's {@link LocalView} holding one service of {@code instances} instances, and the node's
 * {@link DiscoveryGrpcService} answering from it: the Discover path as a node runs it, minus the
 * transport. Instances look like registry-bench's (an id, a 10.x address, port 8080, one of three
 * zones, a version, one label), all healthy and UP, so an answer is the size the bench's are.
 *
 * <p>The view is filled from the in-memory store; a node fills it from Hazelcast, but Discover
 * reads only the view, which holds the same records either way.
 *
 * <p>In the node's package: the wire's Discover ({@code discoverEncoded}), {@link DiscoverAnswers}
 * and {@link EncodedMessage} are package-private, and are measured as they are rather than widened
 * for a benchmark.
 *
 * <p>Threading: called by one thread at a time (a node calls Discover on an event loop); the view
 * is immutable once filled.
 */
final class DiscoverFixture implements AutoCloseable {

  static final ServiceKey SERVICE = new ServiceKey("bench", "orders");

  /** What registry-bench's discover phase asks: the healthy instances of one service. */
  static final DiscoverRequest REQUEST =
      DiscoverRequest.newBuilder()
          .setNamespace(SERVICE.namespace())
          .setService(SERVICE.service())
          .build();

  /** {@link #REQUEST} as the node validates it. */
  static final DiscoveryQuery QUERY = new DiscoveryQuery(SERVICE, "", Map.of(), false, "");

  /** A registry that lives and dies with the benchmark. */
  private static final Incarnation INCARNATION = Incarnation.fixed(1);

  private final InMemoryRegistryStore store;
  private final LocalView view;
  private final DiscoveryGrpcService discovery;
  private final Answer<EncodedMessage> encoded = new Answer<>();
  private final Answer<DiscoverResponse> decoded = new Answer<>();

  private DiscoverFixture(InMemoryRegistryStore store, LocalView view) {
    this.store = store;
    this.view = view;
    this.discovery =
        new DiscoveryGrpcService(
            view,
            INCARNATION,
            new WatchHub(view, INCARNATION),
            new OpenStreams(),
            1024,
            new OperationCounts());
  }

  /** Registers {@code instances} instances and waits until the view holds them all. */
  static DiscoverFixture start(int instances) {
    InMemoryRegistryStore store = new InMemoryRegistryStore(Clock.systemUTC());
    for (int i = 0; i < instances; i++) {
      store.register(spec(i), 10_000).toCompletableFuture().join();
    }
    LocalView view = new LocalView(store);
    view.start().toCompletableFuture().join();
    int held = view.get(SERVICE).instances().size();
    if (held != instances) {
      store.close();
      throw new IllegalStateException(
          "the view holds " + held + " instances of " + SERVICE + ", expected " + instances);
    }
    return new DiscoverFixture(store, view);
  }

  /** Discover as the gRPC API serves it: the answer's bytes, from the cache once built. */
  EncodedMessage discoverOnTheWire() {
    discovery.discoverEncoded(REQUEST, encoded);
    return encoded.take();
  }

  /** Discover as callers in the node's JVM get it (the HTTP/JSON API): the same bytes, decoded. */
  DiscoverResponse discoverDecoded() {
    discovery.discover(REQUEST, decoded);
    return decoded.take();
  }

  /** The node's Discovery service over this view, for serving it on a transport. */
  DiscoveryGrpcService service() {
    return discovery;
  }

  /** The answer built from the view from scratch, as the cache does on a miss (not encoded). */
  DiscoverResponse buildAnswer() {
    return DiscoverAnswers.build(view.get(SERVICE), QUERY, INCARNATION.current());
  }

  @Override
  public void close() {
    store.close();
  }

  static InstanceSpec spec(int index) {
    return new InstanceSpec(
        new InstanceKey(SERVICE.namespace(), SERVICE.service(), String.format("i-%06d", index)),
        String.format("10.%d.%d.%d", (index >> 16) & 0xff, (index >> 8) & 0xff, index & 0xff),
        8080,
        Map.of(),
        InstanceSpec.DEFAULT_WEIGHT,
        "zone-" + (char) ('a' + index % 3),
        "1.0." + index % 4,
        Map.of("bench", "true"),
        InstanceStatus.UP);
  }

  /** Keeps the one response of a unary call; a failure is the fixture's bug, so it throws. */
  private static final class Answer<T> implements StreamObserver<T> {
    private T response;

    @Override
    public void onNext(T value) {
      response = value;
    }

    @Override
    public void onError(Throwable failure) {
      throw new IllegalStateException("Discover failed", failure);
    }

    @Override
    public void onCompleted() {}

    T take() {
      T taken = response;
      response = null;
      if (taken == null) {
        throw new IllegalStateException("Discover answered nothing");
      }
      return taken;
    }
  }
}
