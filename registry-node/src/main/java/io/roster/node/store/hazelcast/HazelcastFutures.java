package io.roster.node.store.hazelcast;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Gives Hazelcast's futures a pool of Roster's own to run their dependents on.
 *
 * <p>Hazelcast runs the dependent actions of its futures ({@code thenApply}, {@code whenComplete}
 * ...) on the JDK's default async pool. On a 2-core machine the common fork-join pool has a
 * parallelism of one, so the JDK starts a new thread for every such action: thousands a second
 * under load, and registrations ran at a few hundred a second. Running them on the Hazelcast thread
 * that completed the operation is not allowed either: those threads may not make remote calls, and
 * a dependent often starts the next operation. So a future passed through {@link #direct} completes
 * on this small fixed pool; its dependents are short (map a result, start the next operation, hand
 * an answer to an event loop) and never block.
 */
public final class HazelcastFutures {

  /** Threads for dependents: enough that one slow dependent never queues the others. */
  private static final int THREADS = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());

  private static final ExecutorService CALLBACKS = newPool();

  private HazelcastFutures() {}

  public static <T> CompletableFuture<T> direct(CompletionStage<T> hazelcastFuture) {
    CompletableFuture<T> direct = new CompletableFuture<>();
    hazelcastFuture.whenCompleteAsync(
        (value, failure) -> {
          if (failure != null) {
            direct.completeExceptionally(failure);
          } else {
            direct.complete(value);
          }
        },
        CALLBACKS);
    return direct;
  }

  /** The pool itself, for work that must leave Hazelcast's threads the same way. */
  public static Executor callbacks() {
    return CALLBACKS;
  }

  private static ExecutorService newPool() {
    AtomicInteger count = new AtomicInteger();
    return Executors.newFixedThreadPool(
        THREADS,
        runnable -> {
          Thread thread = new Thread(runnable, "roster-store-callback-" + count.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        });
  }
}
