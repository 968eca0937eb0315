package io.roster.node.api;

import io.vertx.core.Context;
import io.vertx.core.internal.ContextInternal;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tasks handed to one Vert.x context from other threads, run there in the order given, with one
 * wake-up of its event loop for all that arrive while it has not drained them yet.
 *
 * <p>Answers complete in bursts on Hazelcast threads: a renewal call answers every heartbeat it
 * carried, a view change reaches every Watch stream of the service. Scheduling each answer on its
 * own woke the event loop once per answer (a write to its wake-up descriptor, a return from its
 * poll), about a thousand times a second per node for a fleet at rest; now a burst for one event
 * loop costs one.
 *
 * <p>Threading: {@link #add} from any thread; tasks run on the context, one at a time.
 */
final class ContextTasks {

  private static final Logger log = LoggerFactory.getLogger(ContextTasks.class);
  private static final Object KEY = new Object();

  private final Executor context;
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();

  /**
   * @param context runs a task on the context (each call wakes its event loop)
   */
  ContextTasks(Executor context) {
    this.context = context;
  }

  /** The tasks of {@code context}, made on first use and kept with the context. */
  static ContextTasks of(Context context) {
    return (ContextTasks)
        ((ContextInternal) context)
            .contextData()
            .computeIfAbsent(
                KEY, k -> new ContextTasks(task -> context.runOnContext(ignored -> task.run())));
  }

  /** Runs {@code task} on the context, after every task added before it. */
  void add(Runnable task) {
    tasks.add(task);
    if (scheduled.compareAndSet(false, true)) {
      context.execute(this::drain);
    }
  }

  private void drain() {
    // Cleared first: a task added from now on either is polled below or schedules a new drain.
    scheduled.set(false);
    Runnable task;
    while ((task = tasks.poll()) != null) {
      try {
        task.run();
      } catch (RuntimeException e) {
        // Each task answers its own call and catches what it expects; one that throws must not
        // keep the tasks queued after it from running.
        log.error("a task handed to an event loop failed", e);
      }
    }
  }
}
