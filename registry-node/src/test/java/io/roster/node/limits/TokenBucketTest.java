package io.roster.node.limits;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TokenBucketTest {

  private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

  @Test
  void aQuietBucketAllowsItsBurstThenOneCallPerTokenEarned() {
    TokenBucket bucket = new TokenBucket(10, 20, 0);
    for (int i = 0; i < 20; i++) {
      assertEquals(0, bucket.take(0), "call " + i + " of the burst");
    }
    // Empty: the next token comes in a tenth of a second, and the refusal says so.
    assertEquals(SECOND / 10, bucket.take(0));
    assertEquals(SECOND / 20, bucket.take(SECOND / 20));
    assertEquals(0, bucket.take(SECOND / 10));
    assertEquals(SECOND / 10, bucket.take(SECOND / 10));
  }

  @Test
  void aLongSilenceRefillsNoMoreThanTheCapacity() {
    TokenBucket bucket = new TokenBucket(100, 5, 0);
    for (int i = 0; i < 5; i++) {
      bucket.take(0);
    }
    long later = 3600 * SECOND;
    for (int i = 0; i < 5; i++) {
      assertEquals(0, bucket.take(later));
    }
    assertEquals(SECOND / 100, bucket.take(later));
  }

  @Test
  void aTokenGivenBackIsTakenAgainButNeverBeyondTheCapacity() {
    TokenBucket bucket = new TokenBucket(1, 2, 0);
    bucket.take(0);
    bucket.take(0);
    bucket.giveBack();
    assertEquals(0, bucket.take(0));
    assertEquals(SECOND, bucket.take(0));
    bucket.giveBack();
    bucket.giveBack();
    bucket.giveBack();
    assertEquals(0, bucket.take(0));
    assertEquals(0, bucket.take(0));
    assertEquals(SECOND, bucket.take(0), "three given back, two held");
  }

  @Test
  void aClockGoingBackNeitherRefillsNorBreaksTheBucket() {
    TokenBucket bucket = new TokenBucket(1, 1, SECOND);
    assertEquals(0, bucket.take(SECOND));
    assertEquals(SECOND, bucket.take(0));
  }

  @Test
  void aBucketWithoutRateOrRoomIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new TokenBucket(0, 10, 0));
    assertThrows(IllegalArgumentException.class, () -> new TokenBucket(5, 0.5, 0));
  }
}
