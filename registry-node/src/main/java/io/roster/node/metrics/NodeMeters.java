package io.roster.node.metrics;

import com.hazelcast.core.HazelcastInstance;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.roster.node.api.WatchHub;
import io.roster.node.cluster.ClusterMembership;
import io.roster.node.cluster.LeaderRecord;
import io.roster.node.cluster.Leadership;
import io.roster.node.store.hazelcast.HazelcastRegistryStore;
import io.roster.node.view.LocalView;
import io.vertx.core.Vertx;
import java.time.Clock;

/**
 * The node's own gauges beside those its parts register themselves (evictions, limits, streams,
 * TLS, per-call timers): the registry as this node's view holds it ({@link InstanceCounts}), the
 * cluster (members, quorum, leader and epoch, partitions and migrations: {@link PartitionMeters}),
 * Watch queues, how late changes reach the view ({@link ViewPropagation}), and the JVM
 * (Micrometer's binders: memory, GC, threads, CPU, uptime, classes).
 *
 * <p>Every gauge reads what the node already holds, at scrape time, without a call to another
 * member: a scrape costs O(services) plus O(Watch subscriptions) and O(partitions).
 *
 * <p>Threading: bound once at start; gauges are read on the scraping event loop; {@link #close} at
 * stop.
 */
public final class NodeMeters implements AutoCloseable {

  private final JvmGcMetrics gc;

  private NodeMeters(JvmGcMetrics gc) {
    this.gc = gc;
  }

  /** Binds every meter; call once the view has read the registry, so start-up is not timed. */
  public static NodeMeters bind(
      PrometheusMeterRegistry meters,
      Vertx vertx,
      HazelcastInstance hazelcast,
      ClusterMembership membership,
      Leadership leadership,
      LocalView view,
      WatchHub watchHub,
      Clock clusterClock) {
    meters.getPrometheusRegistry().register(new InstanceCounts(view));
    view.onChange(new ViewPropagation(clusterClock, meters));

    Gauge.builder("roster.cluster.members", membership, m -> m.members().size())
        .description("Roster nodes in the cluster as this node sees it")
        .register(meters);
    Gauge.builder("roster.cluster.size", membership, ClusterMembership::expectedSize)
        .description("Nodes the cluster is meant to have (cluster.size)")
        .register(meters);
    Gauge.builder("roster.quorum", membership, m -> m.hasQuorum(m.members().size()) ? 1 : 0)
        .description("1 while this node sees a majority of cluster.size; 0: no evictions")
        .register(meters);
    Gauge.builder("roster.leader", leadership, l -> l.isLocalLeader() ? 1 : 0)
        .description("1 on the node that leads (runs evictions), 0 on the others")
        .register(meters);
    Gauge.builder("roster.leader.epoch", leadership, NodeMeters::epoch)
        .description("The leader's epoch as this node last read it; grows at each new leader")
        .register(meters);
    Gauge.builder(
            "roster.lease.tables.owned",
            hazelcast.getMap(HazelcastRegistryStore.LEASES_MAP),
            leases -> leases.getLocalMapStats().getOwnedEntryCount())
        .description(
            "Services whose lease tables this node's partitions hold: the share of heartbeats it"
                + " writes")
        .register(meters);
    Gauge.builder("roster.watch.queue.messages", watchHub, hub -> hub.queuedMessages()[0])
        .description("Messages queued for Watch callers that have not taken them, all streams")
        .register(meters);
    Gauge.builder("roster.watch.queue.max", watchHub, hub -> hub.queuedMessages()[1])
        .description("Most messages queued for one Watch stream (at most watch.queue-limit)")
        .register(meters);
    FunctionCounter.builder("roster.watch.overflows", watchHub, WatchHub::overflows)
        .description(
            "Times a Watch stream's queue was full and its messages were replaced by snapshots")
        .register(meters);
    new PartitionMeters(hazelcast, vertx, meters);

    new JvmMemoryMetrics().bindTo(meters);
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(meters);
    new JvmThreadMetrics().bindTo(meters);
    new ProcessorMetrics().bindTo(meters);
    new UptimeMetrics().bindTo(meters);
    new ClassLoaderMetrics().bindTo(meters);
    return new NodeMeters(gc);
  }

  private static double epoch(Leadership leadership) {
    LeaderRecord record = leadership.record();
    return record == null ? Double.NaN : record.epoch();
  }

  /** Stops listening to the JVM's GC notifications. */
  @Override
  public void close() {
    gc.close();
  }
}
