package io.roster.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class BlockingLoadTest {

  @Test
  void makesEachCallOnceOverAllThreadsAndCountsFailures() throws InterruptedException {
    BlockingLoad<Long> load = new BlockingLoad<>(4, "test");
    AtomicIntegerArray calls = new AtomicIntegerArray(100);
    Set<String> threadNames = ConcurrentHashMap.newKeySet();
    boolean drained =
        load.run(
            100,
            System.nanoTime() + TimeUnit.SECONDS.toNanos(20),
            TimeUnit.SECONDS.toNanos(1),
            () -> false,
            (thread, index) -> {
              calls.incrementAndGet((int) index);
              threadNames.add(Thread.currentThread().getName());
              if (index % 10 == 0) {
                throw Status.NOT_FOUND.withDescription("gone").asRuntimeException();
              }
              return index;
            },
            (index, response) -> assertEquals(index, response));
    assertTrue(drained);
    for (int i = 0; i < 100; i++) {
      assertEquals(1, calls.get(i), "call " + i);
    }
    assertEquals(100, load.started());
    assertEquals(90, load.succeeded());
    assertEquals(10, load.failed());
    assertEquals(0, load.inFlight());
    assertEquals(90, load.latencies().count());
    assertTrue(load.failureSummary().startsWith("{NOT_FOUND=10}"), load.failureSummary());
    assertTrue(threadNames.stream().allMatch(name -> name.startsWith("bench-test-")));
  }

  @Test
  void pacedStartsNoMoreCallsThanItsRate() throws InterruptedException {
    BlockingLoad<Long> load = new BlockingLoad<Long>(2, "test").pacedAt(100);
    boolean drained =
        load.run(
            Long.MAX_VALUE,
            System.nanoTime() + TimeUnit.SECONDS.toNanos(1),
            TimeUnit.SECONDS.toNanos(5),
            () -> false,
            (thread, index) -> index,
            (index, response) -> {});
    assertTrue(drained);
    // 100 a second for a second: each thread starts once per 20 ms, the two 10 ms apart; a busy
    // machine may wake them late, which only makes fewer.
    assertTrue(load.started() <= 102, "started " + load.started());
    assertTrue(load.started() >= 20, "started " + load.started());
  }

  @Test
  void stopsAtItsDeadlineWhateverTheCount() throws InterruptedException {
    BlockingLoad<Long> load = new BlockingLoad<>(2, "test");
    long start = System.nanoTime();
    boolean drained =
        load.run(
            Long.MAX_VALUE,
            start + TimeUnit.MILLISECONDS.toNanos(300),
            TimeUnit.SECONDS.toNanos(5),
            () -> false,
            (thread, index) -> {
              sleepMillis(5);
              return index;
            },
            (index, response) -> {});
    assertTrue(drained);
    assertTrue(load.succeeded() > 0);
    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
  }

  @Test
  void reportsThreadsStillBlockedAfterTheDrainBound() throws InterruptedException {
    BlockingLoad<Long> load = new BlockingLoad<>(1, "test");
    boolean drained =
        load.run(
            1,
            System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100),
            TimeUnit.MILLISECONDS.toNanos(100),
            () -> false,
            (thread, index) -> {
              sleepMillis(10_000); // a call ignoring its deadline; interrupted by the load
              return index;
            },
            (index, response) -> {});
    assertFalse(drained);
    assertEquals(1, load.inFlight() + load.failed());
  }

  private static void sleepMillis(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
    }
  }
}
