package io.roster.node.view;

import io.roster.node.domain.ServiceDelta;
import io.roster.node.domain.ServiceKey;
import io.roster.node.domain.ServiceView;
import io.roster.node.store.RegistryStore;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's copy of every service, kept current from the store's change events, so Discover is
 * answered from memory without a network hop.
 *
 * <p>How it stays current: each change event names a service; the view then reads only what changed
 * after the revision it holds ({@link RegistryStore#changesSince}). At most one read per service is
 * in flight; events arriving meanwhile mark the service dirty and cause one more read, so a burst
 * of changes costs a few reads, not one each. Events can be lost when a member dies, so {@link
 * #resync} compares every revision with the store, at start, on membership changes and
 * periodically.
 *
 * <p>Threading: {@link #refresh} and {@link #resync} may be called from any thread and never block.
 * Readers ({@link #get}, {@link #all}) never lock: each service's view is an immutable {@link
 * ServiceView} replaced whole. Listeners run on the store's threads and must not block.
 */
public final class LocalView {

  private static final Logger log = LoggerFactory.getLogger(LocalView.class);

  private final RegistryStore store;
  private final Map<ServiceKey, ServiceView> views = new ConcurrentHashMap<>();
  private final Map<ServiceKey, Fetch> fetches = new ConcurrentHashMap<>();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();

  public LocalView(RegistryStore store) {
    this.store = store;
  }

  /** Starts following the store; completes once every service has been read once. */
  public CompletionStage<Void> start() {
    store.onServiceChanged(this::refresh);
    return resync();
  }

  /** The view of a service; an empty view at revision 0 for a service never seen. */
  public ServiceView get(ServiceKey key) {
    ServiceView view = views.get(key);
    return view != null ? view : ServiceView.empty(key);
  }

  /** Every service's view. */
  public Collection<ServiceView> all() {
    return views.values();
  }

  /**
   * Hears every change of a service's view, in revision order per service. It runs while the
   * service's view is being replaced: it must be quick, must not block, and must not call back into
   * this view.
   */
  public void onChange(Listener listener) {
    listeners.add(listener);
  }

  /** Hears the changes of every service's view. */
  @FunctionalInterface
  public interface Listener {
    /**
     * {@code after} replaced {@code before}. It is {@code before.apply(delta)}, except when the
     * store lost the service's state: then {@code delta} is a snapshot, applied to an empty view.
     * The delta names everything that may differ, so a listener need not compare whole views.
     */
    void viewChanged(ServiceView before, ServiceView after, ServiceDelta delta);
  }

  /** Catches up one service with the store. */
  public void refresh(ServiceKey key) {
    Fetch fetch = fetches.computeIfAbsent(key, k -> new Fetch());
    synchronized (fetch) {
      if (fetch.inFlight) {
        fetch.dirty = true;
        return;
      }
      fetch.inFlight = true;
      fetch.dirty = false;
    }
    fetchFrom(key, fetch);
  }

  /**
   * Compares every service's revision with the store and catches up those behind. Completes when
   * the revisions were compared and the reads they called for have finished.
   */
  public CompletionStage<Void> resync() {
    return store
        .revisions()
        .thenCompose(
            revisions -> {
              List<CompletableFuture<Void>> reads = new ArrayList<>();
              revisions.forEach(
                  (key, revision) -> {
                    if (get(key).revision() != revision) {
                      reads.add(read(key));
                    }
                  });
              return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new));
            });
  }

  private CompletableFuture<Void> read(ServiceKey key) {
    long since = get(key).revision();
    return store
        .changesSince(key, since)
        .thenAccept(delta -> apply(key, since, delta))
        .toCompletableFuture();
  }

  private void fetchFrom(ServiceKey key, Fetch fetch) {
    long since = get(key).revision();
    store
        .changesSince(key, since)
        .whenComplete(
            (delta, failure) -> {
              if (failure != null) {
                // The periodic resync catches the service up; logging each failed read would
                // flood the log while a member is leaving.
                log.debug("reading changes of {} failed: {}", key, failure.toString());
              } else {
                apply(key, since, delta);
              }
              boolean again;
              synchronized (fetch) {
                again = fetch.dirty && failure == null;
                fetch.dirty = false;
                fetch.inFlight = again;
              }
              if (again) {
                fetchFrom(key, fetch);
              }
            });
  }

  private void apply(ServiceKey key, long since, ServiceDelta delta) {
    // A store behind the revision we asked from lost this service's state (more members died at
    // once than it keeps backups for): its snapshot is the truth now, even though it is older.
    boolean storeWentBack = delta.revision() < since;
    views.compute(
        key,
        (k, current) -> {
          ServiceView before = current != null ? current : ServiceView.empty(k);
          ServiceView after =
              storeWentBack ? ServiceView.empty(k).apply(delta) : before.apply(delta);
          if (after != before) {
            // Inside the update: listeners of one service hear its changes in revision order.
            notifyListeners(before, after, delta);
          }
          return after;
        });
  }

  private void notifyListeners(ServiceView before, ServiceView after, ServiceDelta delta) {
    for (Listener listener : listeners) {
      try {
        listener.viewChanged(before, after, delta);
      } catch (RuntimeException e) {
        log.warn("view listener failed on {}", after.key(), e);
      }
    }
  }

  /** Single-flight state of one service's reads; guarded by its own monitor. */
  private static final class Fetch {
    boolean inFlight;
    boolean dirty;
  }
}
