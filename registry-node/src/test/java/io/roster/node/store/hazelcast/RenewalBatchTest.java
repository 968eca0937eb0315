package io.roster.node.store.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** When a partition's waiting heartbeats are written: a full batch at once, a few soon after. */
class RenewalBatchTest {

  private final RenewalBatcher.Batch batch = new RenewalBatcher.Batch();

  @Test
  void aFullBatchIsWrittenAtTheEndOfItsWindow() {
    add(RenewalBatcher.FULL_BATCH);

    RenewalBatcher.Batch.Taken taken = batch.takeWhenDue();

    assertNotNull(taken);
    assertEquals(RenewalBatcher.FULL_BATCH, taken.renewals().get("default/orders").size());
    assertNull(batch.takeWhenDue(), "nothing left waiting");
  }

  @Test
  void aLoneHeartbeatWaitsForOthersAtMostTheLongestWait() {
    add(1);

    for (int window = 1; window < RenewalBatcher.MAX_WAIT_WINDOWS; window++) {
      assertNull(batch.takeWhenDue(), "window " + window + ": still waiting for company");
    }
    RenewalBatcher.Batch.Taken taken = batch.takeWhenDue();

    assertNotNull(taken, "written at the end of window " + RenewalBatcher.MAX_WAIT_WINDOWS);
    assertEquals(1, taken.answers().get("default/orders").size());
  }

  @Test
  void theWaitStartsAgainAfterAWrite() {
    add(RenewalBatcher.FULL_BATCH);
    batch.takeWhenDue();
    add(1);

    assertNull(batch.takeWhenDue(), "a new lone heartbeat waits again");
  }

  @Test
  void aPartitionWithNothingWaitingWritesNothing() {
    for (int window = 0; window < 2 * RenewalBatcher.MAX_WAIT_WINDOWS; window++) {
      assertNull(batch.takeWhenDue());
    }
  }

  private void add(int heartbeats) {
    for (int i = 0; i < heartbeats; i++) {
      batch.add("default/orders", new RenewLeases.Renewal("i-" + i, 1), new CompletableFuture<>());
    }
  }
}
