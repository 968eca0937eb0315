package io.roster.node.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.roster.node.domain.ServiceDelta;
import io.roster.node.domain.ServiceView;
import io.roster.node.view.LocalView;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * {@code roster_view_propagation_seconds}: how long after a service's change was committed (the
 * partition owner's cluster time, {@code ServiceState#committedAtMillis}) this node's view applied
 * it. A change applied with others counts once, for the newest of them: the moment the view held
 * it. A lost change event shows as a delay up to the next resync ({@code view.resync-interval-ms}).
 *
 * <p>Cluster time is each member's wall clock corrected by its offset to the master's: a delay
 * below zero (clocks corrected differently for a moment) counts as zero. A change whose commit time
 * is not known (a state merged after a partition healed) is not counted.
 *
 * <p>Threading: a {@link LocalView.Listener}: runs on store threads inside the view's update.
 */
final class ViewPropagation implements LocalView.Listener {

  /** The API's latency buckets, and longer ones: a lost event waits for the next resync. */
  private static final Duration[] BUCKETS = {
    Duration.ofMillis(1),
    Duration.ofMillis(5),
    Duration.ofMillis(10),
    Duration.ofMillis(25),
    Duration.ofMillis(50),
    Duration.ofMillis(100),
    Duration.ofMillis(250),
    Duration.ofMillis(500),
    Duration.ofSeconds(1),
    Duration.ofMillis(2_500),
    Duration.ofSeconds(5),
    Duration.ofSeconds(10),
    Duration.ofSeconds(30),
    Duration.ofSeconds(60)
  };

  private final Clock clusterClock;
  private final Timer delay;

  ViewPropagation(Clock clusterClock, MeterRegistry meters) {
    this.clusterClock = clusterClock;
    this.delay =
        Timer.builder("roster.view.propagation")
            .description(
                "How long after a change was committed this node's view applied it (cluster"
                    + " clock)")
            .serviceLevelObjectives(BUCKETS)
            .register(meters);
  }

  @Override
  public void viewChanged(ServiceView before, ServiceView after, ServiceDelta delta) {
    long committed = delta.committedAtMillis();
    if (committed <= 0) {
      return;
    }
    long millis = Math.max(0, clusterClock.millis() - committed);
    delay.record(millis, TimeUnit.MILLISECONDS);
  }
}
