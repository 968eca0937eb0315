package io.roster.client.internal;

import io.roster.client.RosterException;
import io.roster.client.ServiceEndpoints;
import io.roster.client.ServiceListener;
import io.roster.client.Subscription;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;

/**
 * One service the {@link WatchCache} follows: what it holds of it, since when, and who listens.
 *
 * <p>Threading: the fields marked "control" are touched on the client's control thread only; the
 * volatile ones are written there and read by any thread ({@code discover} reads them without a
 * lock). Listeners are called on the events executor, in the order deliveries were queued.
 */
final class FollowedService {

  private static final System.Logger log = System.getLogger(FollowedService.class.getName());

  final String service;
  final ServiceState state; // control

  /**
   * Completes with the first snapshot; fails when the registry refused the client's credentials,
   * and is replaced by a new one when the stream is opened again (both on control).
   */
  volatile CompletableFuture<Void> firstData = new CompletableFuture<>();

  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final Executor events;

  /** The latest snapshot, null until the first one; age zero (the cache adds the age). */
  volatile ServiceEndpoints current;

  /** When a node last confirmed {@link #current}; meaningful while not {@link #synced}. */
  volatile long confirmedNanos;

  /** Whether the current stream brought this service up to date. */
  volatile boolean synced;

  /** control: follow from revision 0 on the next stream (loaded from file, or state lost). */
  boolean fresh;

  /** control: followed on the current stream from the revision held. */
  boolean resumed;

  /** control: listeners were told it is too stale, since the last update. */
  boolean staleReported;

  FollowedService(String service, ServiceState state, Executor events) {
    this.service = service;
    this.state = state;
    this.events = events;
  }

  /** How old {@link #current} is now: zero while live on a connected stream. */
  long ageNanos(long nowNanos, boolean streamConnected) {
    return streamConnected && synced ? 0 : Math.max(0, nowNanos - confirmedNanos);
  }

  /** control: adds a listener and tells it what is held now (given by the cache, with its age). */
  Subscription addListener(ServiceListener delegate, ServiceEndpoints now) {
    Listener listener = new Listener(delegate);
    listeners.add(listener);
    if (now != null) {
      deliver(listener, now);
    }
    return () -> {
      listener.closed = true;
      listeners.remove(listener);
    };
  }

  /** control: publishes what {@link #state} holds now to every listener. */
  void publish() {
    ServiceEndpoints endpoints = state.endpoints();
    current = endpoints;
    staleReported = false;
    firstData.complete(null);
    for (Listener listener : listeners) {
      deliver(listener, endpoints);
    }
  }

  /** control: the registry refused the client's credentials while nothing of this is held. */
  void refused(RosterException error) {
    firstData.completeExceptionally(error);
    reportStale(error);
  }

  /** control: a new stream is opened after a refusal; discovers from now on wait for it. */
  void tryAgain() {
    if (firstData.isCompletedExceptionally()) {
      firstData = new CompletableFuture<>();
      staleReported = false;
    }
  }

  /** control: tells every listener the endpoints are too stale to serve, once per update. */
  void reportStale(RosterException error) {
    if (staleReported) {
      return;
    }
    staleReported = true;
    for (Listener listener : listeners) {
      events.execute(
          () -> {
            if (!listener.closed) {
              listener.delegate.onStale(error);
            }
          });
    }
  }

  private void deliver(Listener listener, ServiceEndpoints endpoints) {
    events.execute(
        () -> {
          if (listener.closed) {
            return;
          }
          try {
            listener.delegate.onUpdate(endpoints);
          } catch (RuntimeException e) {
            log.log(System.Logger.Level.WARNING, "a listener of " + service + " failed", e);
          }
        });
  }

  /** A listener with its own "closed" mark, so a delivery queued before close never runs. */
  private static final class Listener {
    final ServiceListener delegate;
    volatile boolean closed;

    Listener(ServiceListener delegate) {
      this.delegate = delegate;
    }
  }
}
