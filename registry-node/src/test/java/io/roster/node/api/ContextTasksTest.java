package io.roster.node.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Tasks handed to an event loop: in order, all of them, and one wake-up for a burst. */
@Timeout(30)
class ContextTasksTest {

  private final ExecutorService loop = Executors.newSingleThreadExecutor();
  private final AtomicInteger wakeUps = new AtomicInteger();
  private final ContextTasks tasks =
      new ContextTasks(
          task -> {
            wakeUps.incrementAndGet();
            loop.execute(task);
          });

  @AfterEach
  void stop() {
    loop.shutdownNow();
  }

  @Test
  void aBurstRunsInOrderWithOneWakeUpWhileTheLoopIsBusy() throws Exception {
    CountDownLatch busy = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    List<Integer> ran = new ArrayList<>();
    tasks.add(
        () -> {
          busy.countDown();
          await(release);
        });
    await(busy);
    for (int i = 0; i < 1_000; i++) {
      int n = i;
      tasks.add(() -> ran.add(n));
    }
    CountDownLatch done = new CountDownLatch(1);
    tasks.add(done::countDown);
    release.countDown();
    assertTrue(done.await(10, TimeUnit.SECONDS));

    List<Integer> expected = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      expected.add(i);
    }
    assertEquals(expected, ran);
    assertTrue(wakeUps.get() <= 2, "1,002 tasks woke the loop " + wakeUps.get() + " times");
  }

  @Test
  void aTaskThatThrowsDoesNotStopTheOnesAfterIt() throws Exception {
    CountDownLatch after = new CountDownLatch(1);
    tasks.add(
        () -> {
          throw new IllegalStateException("a bug in one answer");
        });
    tasks.add(after::countDown);
    assertTrue(after.await(10, TimeUnit.SECONDS));
  }

  private static void await(CountDownLatch latch) {
    try {
      assertTrue(latch.await(10, TimeUnit.SECONDS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
