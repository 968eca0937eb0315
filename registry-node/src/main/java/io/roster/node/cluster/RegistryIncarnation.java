package io.roster.node.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.roster.node.domain.Incarnation;
import io.roster.node.store.hazelcast.HazelcastRegistryStore;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry's incarnation, kept in Hazelcast ({@value HazelcastConfigFactory#META_MAP}, one copy
 * on every member): set by the first node of a cluster that forms with no data, to that moment in
 * milliseconds since the Unix epoch, and read by every node that joins it after.
 *
 * <p>Revisions count per service from 0 in each incarnation, so a caller holding a revision of an
 * earlier one (every node restarted while it waited) must start over from a snapshot; callers learn
 * the incarnation with every answer and give it back when they resume.
 *
 * <p>A new incarnation is also declared while the cluster runs when registry data was lost (every
 * replica of a partition gone at once): the services of that partition count from 0 again, and
 * callers must start over. Nodes compare their incarnation with the cluster's on {@link #refresh}
 * (periodically and when membership moves) and adopt a different one; a node of a side that merged
 * into a larger cluster adopts the larger side's that way. If the entry itself is gone, the node
 * puts its own back.
 *
 * <p>Threading: {@link #current} from any thread; {@link #refresh} and the partition-lost handler
 * never block their caller (an asynchronous read; the rare writes run on the common pool);
 * listeners are called on Hazelcast or common-pool threads.
 */
public final class RegistryIncarnation implements Incarnation {

  private static final Logger log = LoggerFactory.getLogger(RegistryIncarnation.class);
  static final String KEY = "incarnation";

  private final IMap<String, Long> meta;
  private final Clock clock;
  private final List<LongConsumer> listeners = new CopyOnWriteArrayList<>();
  private volatile long current;

  private RegistryIncarnation(IMap<String, Long> meta, Clock clock, long current) {
    this.meta = meta;
    this.clock = clock;
    this.current = current;
  }

  /**
   * Reads the cluster's incarnation, or sets it when there is none (this node formed the cluster
   * with no data). Blocks: call once, at start, before answering callers.
   *
   * @param clock the cluster's clock
   */
  public static RegistryIncarnation join(HazelcastInstance hazelcast, Clock clock) {
    IMap<String, Long> meta = hazelcast.getMap(HazelcastConfigFactory.META_MAP);
    long proposed = Math.max(1, clock.millis());
    Long existing = meta.putIfAbsent(KEY, proposed);
    RegistryIncarnation incarnation =
        new RegistryIncarnation(meta, clock, existing != null ? existing : proposed);
    if (existing == null) {
      log.info("registry incarnation {}: this node formed the registry with no data", proposed);
    } else {
      log.info("registry incarnation {}", existing);
    }
    hazelcast
        .getMap(HazelcastRegistryStore.SERVICES_MAP)
        .addPartitionLostListener(event -> incarnation.dataLost(event.getPartitionId()));
    return incarnation;
  }

  @Override
  public long current() {
    return current;
  }

  /** Calls {@code listener} with the new incarnation each time this node adopts another one. */
  public void onChange(LongConsumer listener) {
    listeners.add(listener);
  }

  /** Compares with the cluster's incarnation and adopts it when it differs; never blocks. */
  public void refresh() {
    meta.getAsync(KEY)
        .whenComplete(
            (stored, failure) -> {
              if (failure != null) {
                return; // the next refresh tries again
              }
              if (stored == null) {
                long mine = current;
                offCallerThread(
                    () -> {
                      Long raced = meta.putIfAbsent(KEY, mine);
                      if (raced != null) {
                        adopt(raced, "another node put it back first");
                      }
                    });
              } else {
                adopt(stored, "the cluster holds it");
              }
            });
  }

  /** Registry data of {@code partition} was lost: its services count from 0 again. */
  private void dataLost(int partition) {
    long seen = current;
    long next = Math.max(clock.millis(), seen + 1);
    log.warn(
        "every replica of partition {} of the registry was lost at once; declaring incarnation {}"
            + " so that callers start over from a snapshot",
        partition,
        next);
    offCallerThread(
        () -> {
          if (meta.replace(KEY, seen, next)) {
            adopt(next, "registry data was lost");
          } else {
            refresh(); // another node declared one first, or the entry is gone
          }
        });
  }

  /**
   * Runs a blocking map call (IMap has no asynchronous putIfAbsent or replace) off the caller's
   * thread, which may be an event loop or a Hazelcast event thread; both are rare (a lost entry,
   * lost data). A failure is logged, and the next refresh tries again.
   */
  private static void offCallerThread(Runnable call) {
    CompletableFuture.runAsync(call)
        .exceptionally(
            failure -> {
              log.warn("could not update the registry incarnation: {}", failure.toString());
              return null;
            });
  }

  private void adopt(long incarnation, String why) {
    long previous;
    synchronized (this) {
      previous = current;
      if (incarnation == previous) {
        return;
      }
      current = incarnation;
    }
    log.warn("registry incarnation {} replaces {} on this node: {}", incarnation, previous, why);
    for (LongConsumer listener : listeners) {
      listener.accept(incarnation);
    }
  }
}
