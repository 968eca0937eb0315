package io.roster.client.internal;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The client's two threads, both daemons (a forgotten client never keeps a JVM alive):
 *
 * <ul>
 *   <li>{@code control}: owns every piece of mutable state of the KeepAlive and Watch loops; gRPC
 *       callbacks hop onto it, so that state needs no lock. Nothing blocks on it.
 *   <li>{@code events}: calls user listeners, in order, and writes the snapshot file, so a slow
 *       listener or disk never delays a heartbeat.
 * </ul>
 */
final class ClientThreads {

  private static final AtomicInteger clients = new AtomicInteger();

  final ScheduledExecutorService control;
  final ExecutorService events;
  private final Set<Thread> own = ConcurrentHashMap.newKeySet();

  ClientThreads() {
    int n = clients.incrementAndGet();
    control = Executors.newSingleThreadScheduledExecutor(named("roster-client-" + n + "-control"));
    events = Executors.newSingleThreadExecutor(named("roster-client-" + n + "-events"));
  }

  /** Whether the calling thread is one of this client's (a listener runs on one). */
  private boolean isOwnThread() {
    return own.contains(Thread.currentThread());
  }

  void shutdown() {
    control.shutdownNow();
    events.shutdown();
    if (isOwnThread()) {
      return; // closed from a listener: the event thread cannot wait for itself
    }
    try {
      events.awaitTermination(1, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private ThreadFactory named(String name) {
    return runnable -> {
      Thread thread = new Thread(runnable, name);
      thread.setDaemon(true);
      own.add(thread);
      return thread;
    };
  }
}
