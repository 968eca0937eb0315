package io.roster.node.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.replicatedmap.ReplicatedMap;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every node's own figures (operations served, open streams), published by each node for the others
 * every {@value #PUBLISH_INTERVAL_MILLIS} ms, so the dashboard of any node shows the rates of all.
 *
 * <p>Why a Hazelcast {@link ReplicatedMap} keyed by member: every member holds a full copy, so a
 * read is a look-up in memory, whatever the number of dashboards polling; a write is one small
 * entry a second per node, sent to each member. The alternatives cost more or tell less: asking
 * every member on each page refresh (a remote call per member per poll, and a hung member stalls
 * the page), or adding the figures to the registry's maps (they would then need quorum, and a node
 * cut off from its majority could not tell its own). Each entry carries its own time and a TTL of
 * {@value #ENTRY_TTL_SECONDS} s, so a member that died or hung shows as stale, then disappears; a
 * node that leaves removes its own.
 *
 * <p>Rates are over the last {@value #WINDOW_SAMPLES} publications (about 5 s): steady enough to
 * read, recent enough to follow a change.
 *
 * <p>Threading: publishes on a thread of its own (a replicated map's put waits for its partition's
 * owner); reads on any thread.
 */
public final class NodeStatsBoard implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(NodeStatsBoard.class);

  /** The replicated map, keyed by member id. */
  public static final String MAP = "roster-node-stats";

  static final long PUBLISH_INTERVAL_MILLIS = 1_000;

  /** Figures older than this are shown as stale: several publications were missed. */
  public static final long STALE_AFTER_MILLIS = 5_000;

  static final int WINDOW_SAMPLES = 5;
  static final long ENTRY_TTL_SECONDS = 60;

  private final ReplicatedMap<String, long[]> board;
  private final String localId;
  private final Clock clock;
  private final Supplier<long[]> totals;
  private final LongSupplier streamsOpen;

  /** The last samples, oldest first; touched by the publishing thread only. */
  private final Deque<NodeStats> samples = new ArrayDeque<>();

  private final ScheduledExecutorService publisher =
      Executors.newSingleThreadScheduledExecutor(
          runnable -> {
            Thread thread = new Thread(runnable, "roster-node-stats");
            thread.setDaemon(true);
            return thread;
          });

  private boolean failureLogged;

  /**
   * @param totals this node's operation totals, always in the same order
   */
  public NodeStatsBoard(
      HazelcastInstance hazelcast, Clock clock, Supplier<long[]> totals, LongSupplier streamsOpen) {
    this.board = hazelcast.getReplicatedMap(MAP);
    this.localId = hazelcast.getCluster().getLocalMember().getUuid().toString();
    this.clock = clock;
    this.totals = totals;
    this.streamsOpen = streamsOpen;
  }

  /** Publishes now, then every {@value #PUBLISH_INTERVAL_MILLIS} ms. */
  public void start() {
    publisher.scheduleWithFixedDelay(
        this::publish, 0, PUBLISH_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
  }

  /** What each member published last, by member id; members that never did are absent. */
  public Map<String, NodeStats> all() {
    Map<String, NodeStats> all = new HashMap<>();
    for (Map.Entry<String, long[]> entry : board.entrySet()) {
      NodeStats stats = NodeStats.fromArray(entry.getValue());
      if (stats != null) {
        all.put(entry.getKey(), stats);
      }
    }
    return all;
  }

  private void publish() {
    try {
      long now = clock.millis();
      long[] current = totals.get();
      NodeStats oldest = samples.isEmpty() ? null : samples.peekFirst();
      NodeStats stats =
          new NodeStats(
              now,
              oldest == null ? now : oldest.atMillis(),
              streamsOpen.getAsLong(),
              current,
              oldest == null ? current : oldest.totals());
      samples.addLast(stats);
      if (samples.size() > WINDOW_SAMPLES) {
        samples.removeFirst();
      }
      board.put(localId, stats.toArray(), ENTRY_TTL_SECONDS, TimeUnit.SECONDS);
    } catch (RuntimeException e) {
      // A node leaving or cut off; the next publication tries again.
      if (!failureLogged) {
        failureLogged = true;
        log.warn("publishing this node's figures failed (logged once): {}", e.toString());
      }
    }
  }

  /** Stops publishing and removes this node's entry, so others stop showing it at once. */
  @Override
  public void close() {
    publisher.shutdownNow();
    try {
      publisher.awaitTermination(5, TimeUnit.SECONDS);
      board.remove(localId);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      log.debug("removing this node's figures failed: {}", e.toString());
    }
  }
}
