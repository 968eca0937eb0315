package io.roster.node.store.hazelcast;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Takes Hazelcast's futures off the common fork-join pool.
 *
 * <p>Hazelcast runs the dependent actions of its futures ({@code thenApply}, {@code whenComplete}
 * ...) on {@code ForkJoinPool.commonPool()}. On a 2-core machine that pool has one thread, so every
 * continuation of every store call in the node queued behind one thread: registrations ran at a few
 * hundred a second. A future passed through {@link #direct} completes on the Hazelcast thread that
 * completed the operation, and its dependents run there: they are all short (map a result, start
 * the next operation, hand an answer to an event loop).
 */
public final class HazelcastFutures {

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
        Runnable::run);
    return direct;
  }
}
