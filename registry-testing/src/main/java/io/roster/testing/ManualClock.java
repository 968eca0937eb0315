package io.roster.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/** A clock that moves only when told, so lease and eviction tests run instantly and never sleep. */
public final class ManualClock extends Clock {

  private final AtomicLong millis;

  public ManualClock(long startMillis) {
    this.millis = new AtomicLong(startMillis);
  }

  /** Starts at an arbitrary fixed instant (2026-01-01T00:00:00Z). */
  public ManualClock() {
    this(1_767_225_600_000L);
  }

  public void advance(Duration duration) {
    millis.addAndGet(duration.toMillis());
  }

  public void advanceMillis(long delta) {
    millis.addAndGet(delta);
  }

  @Override
  public long millis() {
    return millis.get();
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis());
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException("ManualClock is UTC only");
  }
}
