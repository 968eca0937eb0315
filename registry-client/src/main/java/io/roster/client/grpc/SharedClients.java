package io.roster.client.grpc;

import io.roster.client.RosterClient;
import io.roster.client.RosterClientOptions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The clients that resolvers create themselves (for targets that name registry nodes, or none), one
 * per set of nodes and namespace, shared by every channel that asks for it and closed when the last
 * of them shuts down: a client holds streams to the registry, so one per channel would multiply
 * them.
 *
 * <p>Threading: thread-safe; guarded by the class monitor.
 */
final class SharedClients {

  private record Key(List<String> nodes, String namespace) {}

  private static final class Entry {
    final RosterClient client;
    int users;

    Entry(RosterClient client) {
      this.client = client;
    }
  }

  private static final Map<Key, Entry> clients = new HashMap<>();

  private SharedClients() {}

  /** A client for {@code options}' nodes and namespace; give it back with {@link #release}. */
  static synchronized RosterClient acquire(RosterClientOptions options) {
    Key key = new Key(options.nodes(), options.namespace());
    Entry entry = clients.get(key);
    if (entry == null) {
      entry = new Entry(RosterClient.create(options));
      clients.put(key, entry);
    }
    entry.users++;
    return entry.client;
  }

  static synchronized void release(RosterClient client) {
    clients
        .entrySet()
        .removeIf(
            e -> {
              if (e.getValue().client != client || --e.getValue().users > 0) {
                return false;
              }
              client.close();
              return true;
            });
  }
}
