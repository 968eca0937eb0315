package io.roster.bench;

import io.grpc.stub.StreamObserver;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Drives unary calls pipelined from one thread ({@code --calls pipelined}): asynchronous stubs, at
 * most {@code concurrency} calls in flight, a new one started as soon as one returns, until {@code
 * maxCalls} were started or the deadline passed, whichever comes first. Then waits, for at most the
 * call deadline, for the calls still in flight. {@link BlockingLoad} is the other way, one blocking
 * call per thread.
 *
 * <p>Threading: {@link #run} issues every call from the caller's thread; completions arrive on gRPC
 * threads and only count, record and release a slot. The counters may be read from any thread (the
 * progress line does).
 *
 * @param <T> the response type
 */
final class UnaryLoad<T> extends CallLoad {

  /** Starts call number {@code index}; the observer must get exactly one outcome. */
  interface Call<T> {
    void start(long index, StreamObserver<T> observer);
  }

  /** What to do with a response (on a gRPC thread); e.g. remember a lease. */
  interface OnSuccess<T> {
    void accept(long index, T response);
  }

  private final int concurrency;

  UnaryLoad(int concurrency) {
    if (concurrency < 1) {
      throw new IllegalArgumentException("concurrency must be at least 1");
    }
    this.concurrency = concurrency;
  }

  /**
   * Runs the loop; returns when every call started has ended, or the drain bound passed.
   *
   * @param maxCalls calls to start at most
   * @param deadlineNanos {@link System#nanoTime} after which no call is started
   * @param drainNanos how long to wait for the calls in flight once starting stopped
   * @param stop checked before each call: a stop request ends the loop early
   * @return whether every call started has ended
   */
  boolean run(
      long maxCalls,
      long deadlineNanos,
      long drainNanos,
      BooleanSupplier stop,
      Call<T> call,
      OnSuccess<T> onSuccess)
      throws InterruptedException {
    Semaphore slots = new Semaphore(concurrency);
    long startNanos = System.nanoTime();
    long index = 0;
    while (index < maxCalls && !stop.getAsBoolean()) {
      long remaining = deadlineNanos - System.nanoTime();
      if (remaining <= 0) {
        break;
      }
      // Bounded waits, so a stop request or the deadline is seen while every slot is taken.
      if (!slots.tryAcquire(
          Math.min(remaining, TimeUnit.MILLISECONDS.toNanos(100)), TimeUnit.NANOSECONDS)) {
        continue;
      }
      long callIndex = index++;
      started.incrementAndGet();
      Outcome outcome = new Outcome(callIndex, System.nanoTime(), slots, onSuccess);
      try {
        call.start(callIndex, outcome);
      } catch (RuntimeException e) {
        outcome.onError(e);
      }
    }
    boolean drained = slots.tryAcquire(concurrency, drainNanos, TimeUnit.NANOSECONDS);
    elapsedNanos = System.nanoTime() - startNanos;
    return drained;
  }

  /** One call's outcome: records it and frees its slot, exactly once. */
  private final class Outcome implements StreamObserver<T> {
    private final long index;
    private final long startNanos;
    private final Semaphore slots;
    private final OnSuccess<T> onSuccess;
    private T response;

    Outcome(long index, long startNanos, Semaphore slots, OnSuccess<T> onSuccess) {
      this.index = index;
      this.startNanos = startNanos;
      this.slots = slots;
      this.onSuccess = onSuccess;
    }

    @Override
    public void onNext(T value) {
      response = value;
    }

    @Override
    public void onError(Throwable error) {
      failures.record(error);
      slots.release();
    }

    @Override
    public void onCompleted() {
      latencies.recordNanos(System.nanoTime() - startNanos);
      try {
        onSuccess.accept(index, response);
        succeeded.incrementAndGet();
      } catch (RuntimeException e) {
        onError(e);
        return; // onError released the slot
      }
      slots.release();
    }
  }
}
