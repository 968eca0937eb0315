package io.roster.node.limits;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.roster.node.domain.InstanceKey;
import io.roster.node.domain.ServiceDelta;
import io.roster.node.domain.ServiceView;
import io.roster.node.view.LocalView;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The most instances one namespace may hold (key {@code limits.instances-per-namespace}), so one
 * team's runaway registrations cannot fill the nodes' memory for everyone.
 *
 * <p>Counted from this node's view, which follows every change: a registration is refused when its
 * namespace already holds the quota, unless it registers an instance that is there already (a
 * restart, a new epoch). The count is this node's, so registrations in flight on other nodes at the
 * same moment may pass the quota by their number; that is the price of not counting through the
 * cluster on every registration.
 *
 * <p>Thread-safe: the counts are updated by view listeners, which run in revision order per
 * service.
 */
public final class InstanceQuota implements LocalView.Listener {

  private final LocalView view;
  private final int perNamespace;
  private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();

  private InstanceQuota(LocalView view, int perNamespace) {
    this.view = view;
    this.perNamespace = perNamespace;
  }

  /**
   * A quota of {@code perNamespace} instances (0: none) over {@code view}; made before the view
   * starts, so that it counts from the first state on.
   */
  public static InstanceQuota over(LocalView view, int perNamespace) {
    InstanceQuota quota = new InstanceQuota(view, perNamespace);
    if (perNamespace > 0) {
      view.onChange(quota);
    }
    return quota;
  }

  /** No quota. */
  public static InstanceQuota none() {
    return new InstanceQuota(null, 0);
  }

  @Override
  public void viewChanged(ServiceView before, ServiceView after, ServiceDelta delta) {
    int change = after.size() - before.size();
    if (change != 0) {
      counts
          .computeIfAbsent(after.key().namespace(), ignored -> new AtomicLong())
          .addAndGet(change);
    }
  }

  /** Instances {@code namespace} holds, as this node's view has them. */
  public long count(String namespace) {
    AtomicLong count = counts.get(namespace);
    return count == null ? 0 : count.get();
  }

  /**
   * Refuses the registration of {@code key} when its namespace is full.
   *
   * @throws StatusRuntimeException RESOURCE_EXHAUSTED saying the quota and what to do
   */
  public void check(InstanceKey key) {
    if (perNamespace == 0) {
      return;
    }
    String namespace = key.namespace();
    long held = count(namespace);
    if (held < perNamespace || view.get(key.serviceKey()).find(key.instanceId()) != null) {
      return;
    }
    throw Status.RESOURCE_EXHAUSTED
        .withDescription(
            "namespace '"
                + namespace
                + "' holds "
                + held
                + " instances, its quota (limits.instances-per-namespace = "
                + perNamespace
                + "): deregister instances it no longer needs, or ask the operators for a larger"
                + " quota; a registration succeeds again once instances have left")
        .asRuntimeException();
  }
}
