package io.roster.node.cluster;

import com.hazelcast.cluster.Cluster;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * Hazelcast's cluster time: every member's wall clock corrected by its offset to the master's. A
 * lease expiry written on one node is compared with "now" on another, so both must read one clock.
 */
public final class ClusterClock extends Clock {

  private final Cluster cluster;

  public ClusterClock(Cluster cluster) {
    this.cluster = cluster;
  }

  @Override
  public long millis() {
    return cluster.getClusterTime();
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
    throw new UnsupportedOperationException("the cluster clock is UTC only");
  }
}
