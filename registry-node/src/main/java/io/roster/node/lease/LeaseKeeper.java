package io.roster.node.lease;

import io.roster.node.domain.InstanceKey;
import io.roster.node.domain.InstanceRecord;
import io.roster.node.domain.LeaseCondition;
import io.roster.node.domain.RenewResult;
import io.roster.node.domain.RenewalPace;
import io.roster.node.store.RegistryStore;
import io.roster.node.view.LocalView;
import java.time.Clock;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renews leases for the API, and heals an instance marked unhealthy whose heartbeats are back.
 *
 * <p>A renewal of a lease the leader declared expired revives it; the instance record must then be
 * marked healthy again. That second write can be lost (this node dies in between), so every renewal
 * also checks the local view: an instance shown unhealthy for a lease that is now renewed at a
 * newer sequence is marked healthy again. The check is a map lookup; the write happens only when
 * something is to heal.
 *
 * <p>Threading: called from any thread; never blocks.
 */
public final class LeaseKeeper {

  private static final Logger log = LoggerFactory.getLogger(LeaseKeeper.class);

  private final RegistryStore store;
  private final LocalView view;
  private final Clock clock;

  public LeaseKeeper(RegistryStore store, LocalView view, Clock clock) {
    this.store = store;
    this.view = view;
    this.clock = clock;
  }

  public CompletionStage<RenewResult> renew(InstanceKey key, long epoch, RenewalPace pace) {
    return store
        .renew(key, epoch, pace)
        .whenComplete(
            (result, failure) -> {
              if (failure == null && result.outcome() == RenewResult.Outcome.RENEWED) {
                healIfMarkedUnhealthy(key, result);
              }
            });
  }

  private void healIfMarkedUnhealthy(InstanceKey key, RenewResult result) {
    InstanceRecord shown = view.get(key.serviceKey()).find(key.instanceId());
    boolean shownUnhealthy =
        shown != null
            && shown.epoch() == result.currentEpoch()
            && !shown.lease().healthy()
            && shown.lease().seq() < result.seq();
    if (!result.revived() && !shownUnhealthy) {
      return;
    }
    store
        .setLeaseCondition(
            key, result.currentEpoch(), LeaseCondition.revived(clock.millis(), result.seq()))
        .whenComplete(
            (healed, failure) -> {
              if (failure != null) {
                log.debug("marking {} healthy again failed; its next heartbeat retries", key);
              }
            });
  }
}
