package io.roster.client.internal;

import io.roster.client.ServiceEndpoints;
import io.roster.client.ServiceInstance;
import io.roster.v1.ChangeType;
import io.roster.v1.Instance;
import io.roster.v1.InstanceChange;
import io.roster.v1.WatchResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * What the client holds of one service, built from Watch messages: a snapshot replaces everything,
 * changes are applied in order, and a message at or below the revision held is a repeat and
 * ignored. Revisions compare only within one incarnation of the registry (every node restarting
 * starts a new one, counting from 0): changes of another incarnation than the one held are not
 * applied, and the caller must take a fresh snapshot.
 *
 * <p>Threading: not thread-safe; the watch cache uses it on its control thread only. What it hands
 * out ({@link #endpoints()}) is immutable.
 */
final class ServiceState {

  private final String namespace;
  private final String service;
  private final TreeMap<String, ServiceInstance> instances = new TreeMap<>();
  private long revision;
  private long incarnation;

  /** What {@link #apply} did with a message. */
  enum Applied {
    /** What is held changed. */
    CHANGED,
    /** A repeat of what is held: nothing changed. */
    UNCHANGED,
    /** Changes of another incarnation than the one held: not applied; take a fresh snapshot. */
    OTHER_INCARNATION
  }

  ServiceState(String namespace, String service) {
    this.namespace = namespace;
    this.service = service;
  }

  /** A state holding {@code endpoints}, e.g. loaded from the snapshot file. */
  static ServiceState of(ServiceEndpoints endpoints) {
    ServiceState state = new ServiceState(endpoints.namespace(), endpoints.service());
    for (ServiceInstance instance : endpoints.instances()) {
      state.instances.put(instance.instanceId(), instance);
    }
    state.revision = endpoints.revision();
    return state;
  }

  long revision() {
    return revision;
  }

  /** The incarnation {@link #revision} belongs to; 0 before the first message (or from a file). */
  long incarnation() {
    return incarnation;
  }

  /** Applies one Watch message for this service. */
  Applied apply(WatchResponse message) {
    if (message.hasSnapshot()) {
      // Sent when asked from revision 0, or flagged reset: either way it replaces what is held,
      // even at a lower revision (the registry lost and rebuilt the service's state).
      instances.clear();
      for (Instance instance : message.getSnapshot().getInstancesList()) {
        instances.put(instance.getInstanceId(), Protos.fromProto(instance));
      }
      revision = message.getRevision();
      incarnation = message.getIncarnation();
      return Applied.CHANGED;
    }
    if (message.getIncarnation() != incarnation
        && message.getIncarnation() != 0
        && incarnation != 0) {
      return Applied.OTHER_INCARNATION;
    }
    if (message.getRevision() <= revision) {
      return Applied.UNCHANGED;
    }
    for (InstanceChange change : message.getChanges().getChangesList()) {
      String id = change.getInstance().getInstanceId();
      if (change.getType() == ChangeType.CHANGE_TYPE_REMOVED) {
        instances.remove(id);
      } else {
        instances.put(id, Protos.fromProto(change.getInstance()));
      }
    }
    revision = message.getRevision();
    return Applied.CHANGED;
  }

  /** An immutable snapshot of what is held now. */
  ServiceEndpoints endpoints() {
    List<ServiceInstance> all = new ArrayList<>(instances.values());
    return ServiceEndpoints.of(namespace, service, revision, all);
  }
}
