package io.roster.node.xds;

import static org.awaitility.Awaitility.await;

import io.roster.node.domain.Incarnation;
import io.roster.node.domain.InstanceKey;
import io.roster.node.domain.InstanceSpec;
import io.roster.node.domain.InstanceStatus;
import io.roster.node.domain.ServiceKey;
import io.roster.node.domain.ServiceView;
import io.roster.node.store.InMemoryRegistryStore;
import io.roster.node.view.LocalView;
import io.roster.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * An in-memory registry and the node's view of it, for the xDS session tests: what a node's
 * sessions read, with no cluster and no gRPC.
 */
final class Registry implements AutoCloseable {

  final ManualClock clock = new ManualClock();
  final InMemoryRegistryStore store = new InMemoryRegistryStore(clock);
  final LocalView view = new LocalView(store);
  final XdsCatalog catalog =
      new XdsCatalog(
          new XdsCatalog.Views() {
            @Override
            public ServiceView get(ServiceKey service) {
              return view.get(service);
            }

            @Override
            public Iterable<ServiceView> all() {
              return view.all();
            }
          },
          Incarnation.fixed(42));

  Registry() {
    done(view.start());
  }

  /** Registers an instance and waits until the view holds it; returns the service's revision. */
  long register(ServiceKey service, String id, String host, int weight, String zone) {
    InstanceSpec spec =
        new InstanceSpec(
            new InstanceKey(service.namespace(), service.service(), id),
            host,
            8080,
            Map.of(),
            weight,
            zone,
            "",
            Map.of(),
            InstanceStatus.UP);
    return awaitView(service, done(store.register(spec, 60_000)).record().revision());
  }

  long setStatus(ServiceKey service, String id, InstanceStatus status) {
    return awaitView(
        service,
        done(store.setStatus(
                new InstanceKey(service.namespace(), service.service(), id), status, 0))
            .revision());
  }

  private long awaitView(ServiceKey service, long revision) {
    await().atMost(Duration.ofSeconds(10)).until(() -> view.get(service).revision() >= revision);
    return revision;
  }

  @Override
  public void close() {
    store.close();
  }

  static <T> T done(CompletionStage<T> stage) {
    return stage.toCompletableFuture().join();
  }

  /** What a session reports, and which services it follows. */
  static final class Recorder implements AdsSession.Following, AdsSession.Reporter {
    final List<ServiceKey> following = new ArrayList<>();
    final List<String> rejected = new ArrayList<>();
    final List<String> refused = new ArrayList<>();
    int accepted;

    @Override
    public void follow(ServiceKey service) {
      following.add(service);
    }

    @Override
    public void unfollow(ServiceKey service) {
      following.remove(service);
    }

    @Override
    public void rejected(ResourceType type, String nonce, String detail) {
      rejected.add(type.shortName() + " " + nonce + " " + detail);
    }

    @Override
    public void accepted(ResourceType type) {
      accepted++;
    }

    @Override
    public void refusedName(ResourceType type, String name, io.grpc.Status why) {
      refused.add(name + ": " + why.getCode());
    }
  }
}
