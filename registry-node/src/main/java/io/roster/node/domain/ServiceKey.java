package io.roster.node.domain;

/**
 * Identifies one service: the unit of partitioning, ordering and revisions. All instances of a
 * service live together, so a read of one service touches one place and its changes are ordered.
 */
public record ServiceKey(String namespace, String service) implements Comparable<ServiceKey> {

  /** The key as stored: {@code namespace/service}. Names never contain '/'. */
  public String asString() {
    return namespace + "/" + service;
  }

  public static ServiceKey parse(String stored) {
    int slash = stored.indexOf('/');
    if (slash <= 0 || slash == stored.length() - 1) {
      throw new IllegalArgumentException("not a service key: " + stored);
    }
    return new ServiceKey(stored.substring(0, slash), stored.substring(slash + 1));
  }

  @Override
  public int compareTo(ServiceKey other) {
    int byNamespace = namespace.compareTo(other.namespace);
    return byNamespace != 0 ? byNamespace : service.compareTo(other.service);
  }

  @Override
  public String toString() {
    return asString();
  }
}
