package io.roster.node.view;

import io.roster.node.domain.InstanceEvent;
import io.roster.node.domain.ServiceDelta;
import io.roster.node.domain.ServiceKey;
import io.roster.node.domain.ServiceView;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The last {@value #PER_SERVICE} changes of each service ({@link InstanceEvent}s), as this node saw
 * them in its {@link LocalView}, for the dashboard.
 *
 * <p>Why here and not in the store: the store keeps only what followers need to catch up (records
 * and removals by revision), not what happened (a drain, an expiry and a revival of one instance
 * between two reads are one upsert there). Every node's view hears every change in revision order,
 * so each node can tell the story itself, with no write on any hot path. The price: a node knows
 * only what happened since it started (its first read of each service shows every instance as
 * registered, at its registration time), and changes that a snapshot folded together (a node that
 * fell behind) are told as their net effect.
 *
 * <p>Memory: at most {@value #PER_SERVICE} events per service (about 100 bytes each beyond the
 * strings they share with the records), for the services that exist; the history of a service that
 * has been empty for {@value #FORGET_EMPTY_AFTER_MILLIS} ms is dropped ({@link #forgetGone}).
 *
 * <p>Threading: events are recorded on the store's threads, inside the view's update of their
 * service (so in revision order per service); reads and {@link #forgetGone} on any thread. Each
 * history is guarded by its own monitor.
 */
public final class RecentChanges {

  /** Events kept per service. */
  public static final int PER_SERVICE = 50;

  /** How long the history of a service that has no instance left is kept. */
  static final long FORGET_EMPTY_AFTER_MILLIS = 5 * 60_000;

  private final Clock clock;
  private final Map<ServiceKey, History> histories = new ConcurrentHashMap<>();

  /**
   * @param clock the cluster's clock: times that records carry are of it
   */
  public RecentChanges(LocalView view, Clock clock) {
    this.clock = clock;
    view.onChange(this::viewChanged);
  }

  /** The service's events, newest first; empty for a service this node saw no change of. */
  public List<InstanceEvent> of(ServiceKey service) {
    History history = histories.get(service);
    return history == null ? List.of() : history.newestFirst();
  }

  /** Drops the histories of services empty for a while; call now and then. */
  public void forgetGone(LocalView view) {
    long now = clock.millis();
    histories
        .entrySet()
        .removeIf(
            entry ->
                view.get(entry.getKey()).isEmpty()
                    && entry.getValue().lastMillis() + FORGET_EMPTY_AFTER_MILLIS < now);
  }

  private void viewChanged(ServiceView before, ServiceView after, ServiceDelta delta) {
    long now = clock.millis();
    List<InstanceEvent> events = InstanceEvent.between(before, after, delta, now);
    if (!events.isEmpty()) {
      histories.computeIfAbsent(after.key(), key -> new History()).add(events, now);
    }
  }

  /** One service's events, oldest first, at most {@link #PER_SERVICE}. */
  private static final class History {
    /** Guarded by this. */
    private final Deque<InstanceEvent> events = new ArrayDeque<>();

    /** When an event was last added; guarded by this. */
    private long lastMillis;

    synchronized void add(List<InstanceEvent> added, long nowMillis) {
      for (InstanceEvent event : added) {
        if (events.size() == PER_SERVICE) {
          events.removeFirst();
        }
        events.addLast(event);
      }
      lastMillis = nowMillis;
    }

    synchronized List<InstanceEvent> newestFirst() {
      List<InstanceEvent> copy = new ArrayList<>(events);
      java.util.Collections.reverse(copy);
      return copy;
    }

    synchronized long lastMillis() {
      return lastMillis;
    }
  }
}
