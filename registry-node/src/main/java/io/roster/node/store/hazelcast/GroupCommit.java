package io.roster.node.store.hazelcast;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit: writes are queued per lane, each lane has at most one call in flight, and every
 * write that arrived while it was in flight rides the next call, sent as soon as it returns. A
 * write whose caller waits goes out at once when its lane is idle: no fixed wait, and under load
 * calls grow instead of multiplying. What a lane is (a member, a service) is the caller's choice.
 *
 * <p>With a window, a write may also be queued as one that need not go at once: it waits up to the
 * window for company, unless {@value #FULL} wait on its lane (then the window would only cap the
 * rate, not save calls), or until a write that must go at once arrives on its lane.
 *
 * <p>A lane exists only while it has a call in flight or writes waiting, so lanes for many keys
 * cost nothing once idle. Every decision about a lane is taken inside the lane map's atomic per-key
 * update, which is the lane's only lock.
 *
 * <p>Threading: {@link #add} is called from any thread and may send from it; the window runs on one
 * scheduler thread; a call's completion (on whatever thread completes its stage, for Hazelcast its
 * own threads) sends what waited meanwhile and then has the writer answer the calls' writes.
 *
 * @param <L> what names a lane
 * @param <T> one queued write, with whatever it needs to be answered
 * @param <R> what one call answers for all the writes it carried
 */
final class GroupCommit<L, T, R> implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(GroupCommit.class);

  /** Writes waiting on one lane that make a call worth sending without waiting longer. */
  static final int FULL = 128;

  /** Sends a lane's writes as one call, and answers them. */
  interface Writer<L, T, R> {
    /**
     * Starts one call carrying {@code batch}, the writes of {@code lane} in arrival order. May
     * throw: that is the call's failure.
     */
    CompletionStage<R> write(L lane, List<T> batch);

    /**
     * Answers every write of {@code batch}, each with its part of {@code results}, or all with
     * {@code failure} when the call failed. Must not throw: a write left unanswered waits forever.
     */
    void answer(List<T> batch, R results, Throwable failure);
  }

  private final Writer<L, T, R> writer;
  private final long windowNanos;
  private final Map<L, Lane<T>> lanes = new ConcurrentHashMap<>();
  private final ScheduledExecutorService window;

  /** Every write goes out at once when its lane is idle. */
  GroupCommit(Writer<L, T, R> writer) {
    this.writer = writer;
    this.windowNanos = 0;
    this.window = null;
  }

  /**
   * Writes {@linkplain #add added} as not urgent wait up to {@code windowMillis} for company, on a
   * scheduler thread of this name.
   */
  GroupCommit(Writer<L, T, R> writer, long windowMillis, String windowThreadName) {
    if (windowMillis <= 0) {
      throw new IllegalArgumentException("window of " + windowMillis + " ms: must be positive");
    }
    this.writer = writer;
    this.windowNanos = TimeUnit.MILLISECONDS.toNanos(windowMillis);
    this.window =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread thread = new Thread(runnable, windowThreadName);
              thread.setDaemon(true);
              return thread;
            });
    window.scheduleWithFixedDelay(
        this::windowTick, windowMillis, windowMillis, TimeUnit.MILLISECONDS);
  }

  /**
   * Queues a write on a lane, and sends the lane's call now if it is due.
   *
   * @param atOnce whether the write goes as soon as its lane is idle; without a window, always
   */
  void add(L lane, T write, boolean atOnce) {
    List<T> due = update(lane, current -> current.add(write, atOnce || window == null));
    if (due != null) {
      send(lane, due);
    }
  }

  private void windowTick() {
    try {
      for (L lane : lanes.keySet()) {
        // Whatever waits, when nothing is in flight (else the call in flight sends it when it
        // returns, if it has waited a window by then).
        List<T> due = update(lane, Lane::takeIfIdle);
        if (due != null) {
          send(lane, due);
        }
      }
    } catch (RuntimeException e) {
      log.warn("group commit window failed; the writes waiting go with the next call", e);
    }
  }

  private void send(L lane, List<T> batch) {
    CompletableFuture<R> call;
    try {
      call = writer.write(lane, batch).toCompletableFuture();
    } catch (RuntimeException e) {
      call = CompletableFuture.failedFuture(e);
    }
    call.whenComplete(
        (results, failure) -> {
          // The lane is free again before the answers go out: what waited meanwhile leaves now.
          List<T> next = update(lane, current -> current.done(windowNanos));
          if (next != null) {
            send(lane, next);
          }
          writer.answer(batch, results, failure);
        });
  }

  /**
   * Applies one decision to a lane, atomically for that lane, creating it when absent and dropping
   * it once idle; answers the batch the decision took, if any.
   */
  private List<T> update(L lane, Function<Lane<T>, List<T>> decision) {
    var taken =
        new Object() {
          List<T> batch;
        };
    lanes.compute(
        lane,
        (key, current) -> {
          Lane<T> updated = current != null ? current : new Lane<>();
          taken.batch = decision.apply(updated);
          return updated.idle() ? null : updated;
        });
    return taken.batch;
  }

  @Override
  public void close() {
    if (window != null) {
      window.shutdownNow();
    }
  }

  /** Writes waiting on one lane, and whether its call is in flight; changed only in update. */
  private static final class Lane<T> {
    private List<T> waiting = new ArrayList<>();
    private boolean inFlight;
    private boolean callerWaits;
    private long oldestNanos;

    /** Queues a write; answers the batch to send now, if it is due. */
    List<T> add(T write, boolean atOnce) {
      if (waiting.isEmpty()) {
        oldestNanos = System.nanoTime();
      }
      waiting.add(write);
      callerWaits |= atOnce;
      return due() && !inFlight ? take() : null;
    }

    /** The call in flight returned: answers what to send next, if anything is due. */
    List<T> done(long windowNanos) {
      inFlight = false;
      if (waiting.isEmpty()) {
        return null;
      }
      return due() || System.nanoTime() - oldestNanos >= windowNanos ? take() : null;
    }

    List<T> takeIfIdle() {
      return inFlight || waiting.isEmpty() ? null : take();
    }

    boolean idle() {
      return !inFlight && waiting.isEmpty();
    }

    /** Whether what waits should go as soon as nothing is in flight. */
    private boolean due() {
      return callerWaits || waiting.size() >= FULL;
    }

    private List<T> take() {
      List<T> taken = waiting;
      waiting = new ArrayList<>();
      inFlight = true;
      callerWaits = false;
      return taken;
    }
  }
}
