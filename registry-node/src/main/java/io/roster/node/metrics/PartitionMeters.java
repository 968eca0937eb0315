package io.roster.node.metrics;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.partition.MigrationListener;
import com.hazelcast.partition.MigrationState;
import com.hazelcast.partition.Partition;
import com.hazelcast.partition.PartitionService;
import com.hazelcast.partition.ReplicaMigrationEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import java.util.UUID;

/**
 * The Hazelcast partitions behind the registry: how many, how many this member owns, whether this
 * member's backups are in sync (safe to lose a member), and migrations (from a {@link
 * MigrationListener}).
 *
 * <p>Migration events come from the member that coordinates them (the oldest) and reach every
 * member's listener: each node reports the cluster's migrations, so sum them over nodes no more
 * than one takes {@code max}.
 *
 * <p>Whether the member is safe is asked of Hazelcast off the event loop every {@value
 * #SAFETY_CHECK_MILLIS} ms ({@code isLocalMemberSafe} may wait on other members) and the last
 * answer is reported: never a blocking call at scrape time.
 *
 * <p>Threading: listener methods on Hazelcast event threads; gauges read volatile fields or the
 * local partition table at scrape.
 */
final class PartitionMeters implements MigrationListener {

  static final long SAFETY_CHECK_MILLIS = 5_000;

  private final PartitionService partitions;
  private final UUID localMember;
  private final Counter completed;
  private final Counter failed;
  private volatile boolean migrating;
  private volatile long remaining;
  private volatile boolean safe;

  PartitionMeters(HazelcastInstance hazelcast, Vertx vertx, MeterRegistry meters) {
    this.partitions = hazelcast.getPartitionService();
    this.localMember = hazelcast.getCluster().getLocalMember().getUuid();
    this.completed =
        Counter.builder("roster.cluster.migrations.completed")
            .description(
                "Partition replica migrations completed in the cluster (seen by this node)")
            .register(meters);
    this.failed =
        Counter.builder("roster.cluster.migrations.failed")
            .description("Partition replica migrations that failed (seen by this node)")
            .register(meters);
    Gauge.builder("roster.cluster.migrations.active", this, m -> m.migrating ? 1 : 0)
        .description("1 while the cluster migrates partitions (a member joined or left)")
        .register(meters);
    Gauge.builder("roster.cluster.migrations.remaining", this, m -> m.remaining)
        .description("Migrations planned and not yet done in the current migration process")
        .register(meters);
    Gauge.builder("roster.cluster.partitions", partitions, p -> p.getPartitions().size())
        .description("Partitions the registry's data is spread over")
        .register(meters);
    Gauge.builder("roster.cluster.partitions.local", this, PartitionMeters::ownedHere)
        .description("Partitions whose primary copy this node holds")
        .register(meters);
    Gauge.builder("roster.cluster.safe", this, m -> m.safe ? 1 : 0)
        .description(
            "1 when every partition this node owns has its backups in sync: losing a member"
                + " loses nothing (checked every 5 s)")
        .register(meters);
    partitions.addMigrationListener(this);
    checkSafety(vertx);
    vertx.setPeriodic(SAFETY_CHECK_MILLIS, id -> checkSafety(vertx));
  }

  private void checkSafety(Vertx vertx) {
    vertx
        .executeBlocking(partitions::isLocalMemberSafe, false)
        .onComplete(answer -> safe = answer.succeeded() && Boolean.TRUE.equals(answer.result()));
  }

  private int ownedHere() {
    int owned = 0;
    for (Partition partition : partitions.getPartitions()) {
      if (partition.getOwner() != null && localMember.equals(partition.getOwner().getUuid())) {
        owned++;
      }
    }
    return owned;
  }

  @Override
  public void migrationStarted(MigrationState state) {
    migrating = true;
    remaining = state.getRemainingMigrations();
  }

  @Override
  public void migrationFinished(MigrationState state) {
    migrating = false;
    remaining = 0;
  }

  @Override
  public void replicaMigrationCompleted(ReplicaMigrationEvent event) {
    completed.increment();
    remaining = event.getMigrationState().getRemainingMigrations();
  }

  @Override
  public void replicaMigrationFailed(ReplicaMigrationEvent event) {
    failed.increment();
    remaining = event.getMigrationState().getRemainingMigrations();
  }
}
