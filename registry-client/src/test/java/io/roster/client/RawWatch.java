package io.roster.client;

import static org.awaitility.Awaitility.await;

import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import io.roster.testing.NodeProcess;
import io.roster.v1.ChangeType;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.Instance;
import io.roster.v1.InstanceChange;
import io.roster.v1.WatchRequest;
import io.roster.v1.WatchResponse;
import io.roster.v1.WatchTarget;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A Watch stream opened with the plain generated stub on one node: the tests' independent witness
 * of what the registry says, apart from the client under test. Keeps every version of every
 * instance it saw, and removals as {@code null}.
 *
 * <p>Threading: the stream's callbacks write, the test thread reads; collections are concurrent.
 */
final class RawWatch implements AutoCloseable {

  private final Map<String, List<Optional<Instance>>> history = new ConcurrentHashMap<>();
  private final AtomicReference<Throwable> error = new AtomicReference<>();
  private final Context.CancellableContext context = Context.current().withCancellation();

  private RawWatch() {}

  static RawWatch on(NodeProcess node, String service) {
    RawWatch watch = new RawWatch();
    watch.context.run(
        () ->
            DiscoveryServiceGrpc.newStub(node.channel())
                .watch(
                    WatchRequest.newBuilder()
                        .addTargets(WatchTarget.newBuilder().setService(service))
                        .build(),
                    watch.observer()));
    return watch;
  }

  private StreamObserver<WatchResponse> observer() {
    return new StreamObserver<>() {
      @Override
      public void onNext(WatchResponse message) {
        if (message.hasSnapshot()) {
          for (Instance instance : message.getSnapshot().getInstancesList()) {
            seen(instance.getInstanceId(), Optional.of(instance));
          }
        }
        for (InstanceChange change : message.getChanges().getChangesList()) {
          String id = change.getInstance().getInstanceId();
          seen(
              id,
              change.getType() == ChangeType.CHANGE_TYPE_REMOVED
                  ? Optional.empty()
                  : Optional.of(change.getInstance()));
        }
      }

      @Override
      public void onError(Throwable t) {
        error.set(t);
      }

      @Override
      public void onCompleted() {}
    };
  }

  private void seen(String id, Optional<Instance> version) {
    history.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>()).add(version);
  }

  /** Every version of {@code id} seen, oldest first; empty entries are removals. */
  List<Optional<Instance>> history(String id) {
    return new ArrayList<>(history.getOrDefault(id, List.of()));
  }

  /** The latest version of {@code id}, or empty when it is not listed. */
  Optional<Instance> latest(String id) {
    List<Optional<Instance>> versions = history(id);
    return versions.isEmpty() ? Optional.empty() : versions.get(versions.size() - 1);
  }

  /** Waits until the latest version of {@code id} matches. */
  Instance awaitLatest(String id, java.util.function.Predicate<Instance> condition, String what) {
    return await(id + " " + what)
        .atMost(Duration.ofSeconds(20))
        .failFast("watch stream failed", () -> error.get() != null)
        .until(() -> latest(id).filter(condition).orElse(null), found -> found != null);
  }

  /** Waits until {@code id} was removed. */
  void awaitRemoved(String id) {
    await(id + " removed")
        .atMost(Duration.ofSeconds(20))
        .failFast("watch stream failed", () -> error.get() != null)
        .until(() -> !history(id).isEmpty() && latest(id).isEmpty());
  }

  @Override
  public void close() {
    context.cancel(null);
  }
}
