package io.roster.bench;

import io.roster.v1.InstanceStatus;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Status changes at a steady rate, open loop, on a thread of its own: each tick sets the next
 * instance UP or DRAINING in turn through one node, at most {@value #IN_FLIGHT} calls unanswered (a
 * tick finding none free is skipped and counted, so a slow node lowers the rate instead of building
 * a queue). Stops by itself at its deadline, or when {@link #stop} is called.
 */
final class StatusChurn {
  static final int IN_FLIGHT = 64;

  private final BenchContext context;
  private final int writer;
  private final List<RegisteredLease> instances;
  private final long periodNanos;
  private final long deadlineNanos;
  private final Semaphore slots = new Semaphore(IN_FLIGHT);
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong answered = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong skipped = new AtomicLong();
  private final Thread thread;
  private volatile boolean stopped;
  private volatile long startNanos;
  private volatile long endNanos;

  StatusChurn(
      BenchContext context,
      int writer,
      List<RegisteredLease> instances,
      int perSecond,
      long boundMillis) {
    this.context = context;
    this.writer = writer;
    this.instances = List.copyOf(instances);
    this.periodNanos = TimeUnit.SECONDS.toNanos(1) / perSecond;
    this.deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(boundMillis);
    this.thread = new Thread(this::run, "status-churn");
    thread.setDaemon(true);
  }

  void start() {
    startNanos = System.nanoTime();
    thread.start();
  }

  /** Stops sending and waits for the thread (not for the calls still unanswered). */
  void stop() throws InterruptedException {
    stopped = true;
    thread.join(TimeUnit.SECONDS.toMillis(5));
    endNanos = System.nanoTime();
  }

  /** Changes answered per second between {@link #start} and {@link #stop}. */
  double answeredPerSecond() {
    long elapsed = endNanos - startNanos;
    return elapsed <= 0 ? 0 : answered.get() * 1e9 / elapsed;
  }

  long answered() {
    return answered.get();
  }

  long failed() {
    return failed.get();
  }

  long skipped() {
    return skipped.get();
  }

  private void run() {
    boolean[] draining = new boolean[instances.size()];
    long next = System.nanoTime();
    while (!stopped && !context.stopRequested() && next - deadlineNanos < 0) {
      long wait = next - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      next += periodNanos;
      if (!slots.tryAcquire()) {
        skipped.incrementAndGet();
        continue;
      }
      int index = (int) (sent.getAndIncrement() % instances.size());
      draining[index] = !draining[index];
      InstanceStatus status =
          draining[index]
              ? InstanceStatus.INSTANCE_STATUS_DRAINING
              : InstanceStatus.INSTANCE_STATUS_UP;
      PropagationPhase.setStatus(context, writer, instances.get(index), status)
          .whenComplete(
              (at, error) -> {
                slots.release();
                (error == null ? answered : failed).incrementAndGet();
              });
    }
  }
}
