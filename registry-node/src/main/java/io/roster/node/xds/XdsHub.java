package io.roster.node.xds;

import io.roster.node.domain.ServiceDelta;
import io.roster.node.domain.ServiceKey;
import io.roster.node.domain.ServiceView;
import io.roster.node.view.LocalView;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tells the xDS streams on this node that a service they follow changed: one listener on the node's
 * {@link LocalView}, whichever node made the change, so a change reaches every stream as a push,
 * with no polling. Each stream then builds what it sends from the view itself (the shared {@link
 * EndpointAssignments}), so the hub carries names, never resources.
 *
 * <p>Threading: {@link Watcher} methods run on store threads inside the view's update and must only
 * hand the news to their stream's own thread; follow and unfollow from any thread.
 */
public final class XdsHub {

  /** A stream's side of the hub. */
  public interface Watcher {
    /** {@code service} changed (or, for {@link #appeared}, became known). */
    void changed(ServiceKey service);

    /** A service became known on this node: streams following every Cluster want it. */
    void appeared(ServiceKey service);

    /** The registry's incarnation changed: every version the stream sent is of the old one. */
    void everythingChanged();
  }

  private final Map<ServiceKey, Set<Watcher>> byService = new ConcurrentHashMap<>();
  private final Set<Watcher> watchers = ConcurrentHashMap.newKeySet();
  private final LocalView view;

  /**
   * Each service's view as the hub last heard of it. The view calls its listeners while it replaces
   * a service's view, before readers of the view see the new one: a stream told of a change,
   * reading the view at once on its own thread, could read the view before the change, find nothing
   * new, and send nothing (a drain that never reached a client was seen so). Streams therefore read
   * the views the hub holds ({@link #views}), which are never older than the news.
   */
  private final Map<ServiceKey, ServiceView> current = new ConcurrentHashMap<>();

  /** Create before the view's first read, so the hub hears of every service. */
  public XdsHub(LocalView view) {
    this.view = view;
    view.onChange(this::viewChanged);
  }

  /** The views streams read: each service's, never older than the news the hub gave. */
  public XdsCatalog.Views views() {
    return new XdsCatalog.Views() {
      @Override
      public ServiceView get(ServiceKey service) {
        ServiceView heard = current.get(service);
        return heard != null ? heard : view.get(service);
      }

      @Override
      public Iterable<ServiceView> all() {
        return current.values();
      }
    };
  }

  /** Starts telling {@code watcher} of services appearing and of incarnation changes. */
  public void add(Watcher watcher) {
    watchers.add(watcher);
  }

  /** Stops telling {@code watcher} anything; call when its stream ends. */
  public void remove(Watcher watcher, Iterable<ServiceKey> followed) {
    watchers.remove(watcher);
    for (ServiceKey service : followed) {
      unfollow(service, watcher);
    }
  }

  public void follow(ServiceKey service, Watcher watcher) {
    byService.computeIfAbsent(service, key -> ConcurrentHashMap.newKeySet()).add(watcher);
  }

  public void unfollow(ServiceKey service, Watcher watcher) {
    byService.computeIfPresent(
        service,
        (key, following) -> {
          following.remove(watcher);
          return following.isEmpty() ? null : following;
        });
  }

  /** Streams on this node, for the gauge. */
  public int streams() {
    return watchers.size();
  }

  /** The node adopted another incarnation of the registry. */
  public void incarnationChanged() {
    for (Watcher watcher : watchers) {
      watcher.everythingChanged();
    }
  }

  private void viewChanged(ServiceView before, ServiceView after, ServiceDelta delta) {
    current.put(after.key(), after); // in revision order: the view calls this inside its update
    Set<Watcher> following = byService.get(after.key());
    if (following != null) {
      for (Watcher watcher : following) {
        watcher.changed(after.key());
      }
    }
    if (before.revision() == 0 && after.revision() > 0) {
      for (Watcher watcher : watchers) {
        watcher.appeared(after.key());
      }
    }
  }
}
