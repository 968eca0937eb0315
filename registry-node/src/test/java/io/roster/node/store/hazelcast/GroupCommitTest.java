package io.roster.node.store.hazelcast;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The lane logic of group commit on its own, with calls the test completes by hand: when a call
 * goes, what it carries, and who is answered with what.
 */
@Timeout(60)
class GroupCommitTest {

  private final Calls calls = new Calls();

  @Test
  void aWriteGoesOutAtOnceWhenItsLaneIsIdle() {
    GroupCommit<String, String, List<String>> commit = new GroupCommit<>(calls);

    commit.add("lane", "w1", true);

    assertEquals(List.of(List.of("w1")), calls.sent);
  }

  @Test
  void writesArrivingWhileACallIsInFlightRideTheNextOneInArrivalOrder() {
    GroupCommit<String, String, List<String>> commit = new GroupCommit<>(calls);
    commit.add("lane", "w1", true);
    commit.add("lane", "w2", true);
    commit.add("lane", "w3", true);
    assertEquals(1, calls.sent.size(), "one call in flight per lane");

    calls.succeed(0);

    assertEquals(List.of(List.of("w1"), List.of("w2", "w3")), calls.sent);
    assertEquals("w1", calls.answers.get("w1"));
    assertTrue(!calls.answers.containsKey("w2"), "answered only when its own call returns");
    calls.succeed(1);
    assertEquals("w3", calls.answers.get("w3"));
  }

  @Test
  void lanesDoNotWaitForEachOther() {
    GroupCommit<String, String, List<String>> commit = new GroupCommit<>(calls);

    commit.add("a", "w1", true);
    commit.add("b", "w2", true);

    assertEquals(List.of(List.of("w1"), List.of("w2")), calls.sent);
  }

  @Test
  void anIdleLaneSendsAtOnceAgain() {
    GroupCommit<String, String, List<String>> commit = new GroupCommit<>(calls);
    commit.add("lane", "w1", true);
    calls.succeed(0);

    commit.add("lane", "w2", true);

    assertEquals(List.of(List.of("w1"), List.of("w2")), calls.sent);
  }

  @Test
  void aFailedCallFailsItsOwnWritesOnlyAndTheLaneGoesOn() {
    GroupCommit<String, String, List<String>> commit = new GroupCommit<>(calls);
    commit.add("lane", "w1", true);
    commit.add("lane", "w2", true);

    calls.fail(0, new IllegalStateException("member left"));

    assertInstanceOf(IllegalStateException.class, calls.answers.get("w1"));
    assertEquals(2, calls.sent.size(), "what waited went with the next call");
    calls.succeed(1);
    assertEquals("w2", calls.answers.get("w2"));
  }

  @Test
  void aWriterThatThrowsFailsThatBatchOnly() {
    Calls throwingOnce =
        new Calls() {
          @Override
          public CompletionStage<List<String>> write(String lane, List<String> batch) {
            if (sent.isEmpty()) {
              sent.add(List.copyOf(batch));
              pending.add(new CompletableFuture<>());
              throw new IllegalArgumentException("cannot serialize");
            }
            return super.write(lane, batch);
          }
        };
    GroupCommit<String, String, List<String>> commit = new GroupCommit<>(throwingOnce);

    commit.add("lane", "w1", true);
    commit.add("lane", "w2", true);

    assertInstanceOf(IllegalArgumentException.class, throwingOnce.answers.get("w1"));
    assertEquals(List.of(List.of("w1"), List.of("w2")), throwingOnce.sent);
  }

  @Test
  void aWriteThatMayWaitWaitsForTheWindowOrForOneThatMayNot() {
    try (GroupCommit<String, String, List<String>> commit =
        new GroupCommit<>(calls, 60_000, "test-window")) {
      commit.add("lane", "streamed", false);
      assertTrue(calls.sent.isEmpty(), "waits for company");

      commit.add("lane", "waited", true);

      assertEquals(List.of(List.of("streamed", "waited")), calls.sent);
    }
  }

  @Test
  void writesThatMayWaitGoOnceTheWindowHasPassedOrTheLaneIsFull() {
    try (GroupCommit<String, String, List<String>> commit =
        new GroupCommit<>(calls, 50, "test-window")) {
      commit.add("slow", "alone", false);
      await().atMost(Duration.ofSeconds(10)).until(() -> calls.sent.size() == 1);

      List<String> full = new ArrayList<>();
      for (int i = 0; i < GroupCommit.FULL; i++) {
        full.add("f" + i);
      }
      try (GroupCommit<String, String, List<String>> slow =
          new GroupCommit<>(calls, 60_000, "test-window-2")) {
        full.forEach(write -> slow.add("busy", write, false));
      }
      assertEquals(full, calls.sent.get(1));
    }
  }

  /**
   * Many threads adding to a few lanes: every write is sent exactly once, in one call at a time.
   */
  @Test
  void concurrentWritesAreEachSentOnceAndEachLaneHasOneCallInFlight() throws Exception {
    Map<String, Integer> inFlight = new ConcurrentHashMap<>();
    List<String> overlaps = new CopyOnWriteArrayList<>();
    ExecutorService completions = Executors.newFixedThreadPool(2);
    Calls concurrent =
        new Calls() {
          @Override
          public CompletionStage<List<String>> write(String lane, List<String> batch) {
            if (inFlight.merge(lane, 1, Integer::sum) > 1) {
              overlaps.add(lane + ": " + batch);
            }
            sent.add(List.copyOf(batch));
            return CompletableFuture.supplyAsync(
                () -> {
                  inFlight.merge(lane, -1, Integer::sum);
                  return batch;
                },
                completions);
          }
        };
    GroupCommit<String, String, List<String>> commit = new GroupCommit<>(concurrent);
    int threads = 8;
    int perThread = 2_000;
    ExecutorService adders = Executors.newFixedThreadPool(threads);
    CountDownLatch start = new CountDownLatch(1);
    for (int t = 0; t < threads; t++) {
      int thread = t;
      adders.execute(
          () -> {
            try {
              start.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            for (int i = 0; i < perThread; i++) {
              commit.add("lane-" + (i % 3), thread + "/" + i, true);
            }
          });
    }
    start.countDown();
    adders.shutdown();
    assertTrue(adders.awaitTermination(30, TimeUnit.SECONDS));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> concurrent.answers.size() == threads * perThread);
    completions.shutdown();

    assertEquals(List.of(), overlaps);
    assertEquals(threads * perThread, concurrent.sent.stream().mapToInt(List::size).sum());
  }

  /**
   * A writer whose calls the test completes; each write is answered with itself, or the failure.
   */
  static class Calls implements GroupCommit.Writer<String, String, List<String>> {
    final List<List<String>> sent = new CopyOnWriteArrayList<>();
    final List<CompletableFuture<List<String>>> pending = new CopyOnWriteArrayList<>();
    final Map<String, Object> answers = new ConcurrentHashMap<>();

    @Override
    public CompletionStage<List<String>> write(String lane, List<String> batch) {
      sent.add(List.copyOf(batch));
      CompletableFuture<List<String>> call = new CompletableFuture<>();
      pending.add(call);
      return call;
    }

    @Override
    public void answer(List<String> batch, List<String> results, Throwable failure) {
      for (int i = 0; i < batch.size(); i++) {
        answers.put(batch.get(i), failure != null ? failure : results.get(i));
      }
    }

    void succeed(int call) {
      pending.get(call).complete(sent.get(call));
    }

    void fail(int call, Throwable failure) {
      pending.get(call).completeExceptionally(failure);
    }
  }
}
