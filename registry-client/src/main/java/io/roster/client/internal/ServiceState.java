package io.roster.client.internal;

import io.roster.client.ServiceEndpoints;
import io.roster.client.ServiceInstance;
import io.roster.v1.ChangeType;
import io.roster.v1.Instance;
import io.roster.v1.InstanceChange;
import io.roster.v1.ServiceSnapshot;
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

  /** A snapshot arriving in parts: what its parts so far hold, until its last part. */
  private TreeMap<String, ServiceInstance> incoming;

  private int nextPart;

  /** What {@link #apply} did with a message. */
  enum Applied {
    /** What is held changed. */
    CHANGED,
    /** A repeat of what is held: nothing changed. */
    UNCHANGED,
    /** A part of a snapshot that more parts complete: nothing changed yet. */
    PARTIAL,
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
      return applySnapshot(message);
    }
    incoming = null; // a stream that ended between a snapshot's parts: that snapshot is void
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

  /**
   * A snapshot, or one part of one. Sent when asked from revision 0, or flagged reset: either way
   * it replaces what is held, even at a lower revision (the registry lost and rebuilt the service's
   * state). A large service's snapshot comes in parts, one after the other: what is held changes
   * only with the last, so nobody sees half a service, and the revision to resume from stays the
   * one held until then.
   */
  private Applied applySnapshot(WatchResponse message) {
    ServiceSnapshot snapshot = message.getSnapshot();
    if (snapshot.getPart() == 0) {
      incoming = new TreeMap<>();
      nextPart = 0;
    }
    if (incoming == null || snapshot.getPart() != nextPart) {
      // A part without those before it (only a node breaking the protocol sends one): ignore it
      // and what follows until the next part 0.
      incoming = null;
      return Applied.PARTIAL;
    }
    for (Instance instance : snapshot.getInstancesList()) {
      incoming.put(instance.getInstanceId(), Protos.fromProto(instance));
    }
    nextPart++;
    if (snapshot.getMore()) {
      return Applied.PARTIAL;
    }
    instances.clear();
    instances.putAll(incoming);
    incoming = null;
    revision = message.getRevision();
    incarnation = message.getIncarnation();
    return Applied.CHANGED;
  }

  /** An immutable snapshot of what is held now. */
  ServiceEndpoints endpoints() {
    List<ServiceInstance> all = new ArrayList<>(instances.values());
    return ServiceEndpoints.of(namespace, service, revision, all);
  }
}
