package io.roster.node.dns;

import io.roster.node.domain.ServiceKey;
import io.roster.node.domain.ServiceView;
import io.roster.node.view.LocalView;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds a service by a DNS name's labels. DNS compares names without regard to case (and resolvers
 * may mix the case of a query on purpose, for spoofing protection), while service names keep
 * theirs: {@code Orders} is found as {@code orders.service.roster.}. Of two services whose names
 * differ only in case, a query spelled exactly like one finds that one; otherwise the one seen
 * last.
 *
 * <p>Threading: {@link #find} runs on event loops and never blocks; the index is kept current by
 * the view's listener, on the store's threads.
 */
final class ServiceIndex {

  private final LocalView view;

  /** Every service ever seen, by its key in lower case; entries of gone services stay (few). */
  private final Map<ServiceKey, ServiceKey> byFoldedKey = new ConcurrentHashMap<>();

  ServiceIndex(LocalView view) {
    this.view = view;
    view.onChange((before, after, delta) -> remember(after.key()));
    view.all().forEach(service -> remember(service.key()));
  }

  /** The service's view; an empty one when no such service is known. */
  ServiceView find(String namespace, String service) {
    ServiceKey asWritten = new ServiceKey(namespace, service);
    ServiceView exact = view.get(asWritten);
    if (!exact.isEmpty()) {
      return exact;
    }
    ServiceKey known = byFoldedKey.get(folded(asWritten));
    return known != null ? view.get(known) : exact;
  }

  private void remember(ServiceKey key) {
    byFoldedKey.put(folded(key), key);
  }

  private static ServiceKey folded(ServiceKey key) {
    return new ServiceKey(
        key.namespace().toLowerCase(Locale.ROOT), key.service().toLowerCase(Locale.ROOT));
  }
}
