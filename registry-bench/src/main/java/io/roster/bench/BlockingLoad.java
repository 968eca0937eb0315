package io.roster.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Drives unary calls the way most users' code does ({@code --calls closed-loop}): {@code threads}
 * platform threads, each making one blocking stub call at a time and the next as soon as it
 * returned, until {@code maxCalls} were started in all or the deadline passed, whichever comes
 * first. Each call's latency is taken around the blocking call, on the calling thread.
 *
 * <p>Paced ({@link #pacedAt}), each thread starts a call at most once per its share of the rate, so
 * a caller that keeps to a limit can be modelled; a thread that fell behind (a slow answer) starts
 * its next call at once, but never sends a burst to catch up. The pause is not timed.
 *
 * <p>Bounded: every call carries a deadline (the caller's stub sets it), so a thread ends at most a
 * call deadline after the load's own deadline; {@link #run} waits that long plus the drain bound
 * given, then interrupts what is left (a blocking call interrupted is cancelled) and says so.
 *
 * <p>Threading: {@link #run} is called from one thread and returns once the caller threads ended;
 * {@link Call} and the success callback run on the caller threads. The counters may be read from
 * any thread (the progress line does).
 *
 * @param <T> the response type
 */
final class BlockingLoad<T> extends CallLoad {

  /**
   * Makes blocking call number {@code index} from caller thread {@code thread} (0 to threads - 1)
   * and returns its answer; a {@link RuntimeException} (a gRPC status) is a failed call.
   */
  interface Call<T> {
    T call(int thread, long index);
  }

  private final int threads;
  private final String name;
  private final AtomicLong next = new AtomicLong();
  private volatile long intervalNanosPerThread;

  /**
   * @param threads caller threads, one call in flight each
   * @param name for the threads' names ({@code bench-<name>-<i>})
   */
  BlockingLoad(int threads, String name) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads is " + threads + ": give at least 1");
    }
    this.threads = threads;
    this.name = name;
  }

  int threads() {
    return threads;
  }

  /**
   * Starts at most {@code callsPerSecond} calls a second over all threads, each thread its share;
   * 0: as fast as the calls return (the default). Call before {@link #run}.
   */
  BlockingLoad<T> pacedAt(double callsPerSecond) {
    if (callsPerSecond < 0) {
      throw new IllegalArgumentException("a rate of " + callsPerSecond + " calls a second");
    }
    intervalNanosPerThread = callsPerSecond == 0 ? 0 : (long) (threads * 1e9 / callsPerSecond);
    return this;
  }

  /**
   * Runs the caller threads; returns when all of them ended, or the drain bound passed.
   *
   * @param maxCalls calls to start at most, over all threads
   * @param deadlineNanos {@link System#nanoTime} after which no call is started
   * @param drainNanos how long after {@code deadlineNanos} to wait for the calls in flight
   * @param stop checked before each call: a stop request ends the loops early
   * @return whether every thread ended (every call started has ended) within the bound
   */
  boolean run(
      long maxCalls,
      long deadlineNanos,
      long drainNanos,
      BooleanSupplier stop,
      Call<T> call,
      UnaryLoad.OnSuccess<T> onSuccess)
      throws InterruptedException {
    long startNanos = System.nanoTime();
    List<Thread> callers = new ArrayList<>(threads);
    for (int t = 0; t < threads; t++) {
      int thread = t;
      Thread caller =
          new Thread(
              () -> loop(thread, maxCalls, deadlineNanos, stop, call, onSuccess),
              "bench-" + name + "-" + t);
      caller.setDaemon(true); // one stuck past every bound must not keep the bench alive
      callers.add(caller);
    }
    callers.forEach(Thread::start);
    long joinBy = deadlineNanos + drainNanos;
    boolean drained = true;
    for (Thread caller : callers) {
      long remaining = joinBy - System.nanoTime();
      if (remaining > 0) {
        TimeUnit.NANOSECONDS.timedJoin(caller, remaining);
      }
      if (caller.isAlive()) {
        drained = false;
      }
    }
    elapsedNanos = System.nanoTime() - startNanos;
    if (!drained) {
      for (Thread caller : callers) {
        caller.interrupt(); // cancels its blocking call; the loop then sees the deadline passed
      }
    }
    return drained;
  }

  private void loop(
      int thread,
      long maxCalls,
      long deadlineNanos,
      BooleanSupplier stop,
      Call<T> call,
      UnaryLoad.OnSuccess<T> onSuccess) {
    long interval = intervalNanosPerThread;
    // Threads start spread over one interval, not all at once.
    long nextStartNanos = System.nanoTime() + interval * thread / threads;
    while (!stop.getAsBoolean()
        && System.nanoTime() - deadlineNanos < 0
        && !Thread.currentThread().isInterrupted()) {
      if (interval > 0 && !waitUntil(nextStartNanos, deadlineNanos)) {
        return;
      }
      long index = next.getAndIncrement();
      if (index >= maxCalls) {
        return;
      }
      started.incrementAndGet();
      long callStart = System.nanoTime();
      nextStartNanos = Math.max(nextStartNanos + interval, callStart);
      T response;
      try {
        response = call.call(thread, index);
      } catch (RuntimeException e) {
        failures.record(e);
        continue;
      }
      latencies.recordNanos(System.nanoTime() - callStart);
      try {
        onSuccess.accept(index, response);
        succeeded.incrementAndGet();
      } catch (RuntimeException e) {
        failures.record(e);
      }
    }
  }

  /** Sleeps until {@code startNanos}; false when the deadline comes first or on an interrupt. */
  private static boolean waitUntil(long startNanos, long deadlineNanos) {
    while (true) {
      long now = System.nanoTime();
      if (now - deadlineNanos >= 0 || Thread.currentThread().isInterrupted()) {
        return false;
      }
      if (now - startNanos >= 0) {
        return true;
      }
      LockSupport.parkNanos(Math.min(startNanos - now, deadlineNanos - now));
    }
  }
}
