package io.roster.node.domain;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The authoritative state of one service: its instances, its revision and its recent removals.
 *
 * <p>Every change moves the revision by one, so revisions order a service's changes and a follower
 * can ask for exactly what it missed ({@link #changesSince}). Removals are remembered for the last
 * {@link #MAX_REMOVALS_RETAINED} of them; a follower further behind gets a snapshot instead.
 *
 * <p>What a change costs does not grow with the service: the instances are indexed by the revision
 * at which each last changed, so {@link #changesSince} walks back from the newest change to the
 * revision asked for and touches only what changed after it, O(k log n) for k changes among n
 * instances. It runs on the partition owner once per node that follows the service (three times a
 * change on three nodes); scanning every instance there made a register into a service of 10,000
 * instances cost milliseconds. The index is not serialized: a replica rebuilds it from the
 * instances when it reads the state.
 *
 * <p>Not thread-safe: the store serializes calls per service (a Hazelcast partition thread, or a
 * lock in the in-memory store). Time comes in as arguments, so the logic is deterministic: a backup
 * replica applying the same call reaches the same state.
 */
public final class ServiceState {

  /** Removals kept per service for deltas; older followers get a snapshot. */
  public static final int MAX_REMOVALS_RETAINED = 1024;

  /**
   * Revision first; the id only orders the instances a merge gave one revision (every other change
   * gives its instance a revision of its own).
   */
  private static final Comparator<InstanceRecord> BY_REVISION =
      Comparator.comparingLong(InstanceRecord::revision).thenComparing(InstanceRecord::instanceId);

  private final ServiceKey key;
  private long revision;
  private final TreeMap<String, InstanceRecord> instances;

  /**
   * The same records as {@link #instances}, by revision (then id): each change is its last entry.
   */
  private final TreeSet<InstanceRecord> byRevision = new TreeSet<>(BY_REVISION);

  private final ArrayDeque<Removal> removals;

  /** Highest revision whose removal was forgotten; deltas from before it are impossible. */
  private long compactedRevision;

  /**
   * When the newest change was committed, on the cluster clock; 0 when not known (a state written
   * before it was kept, or merged after a healed partition). Followers measure how late they apply
   * a change against it.
   */
  private long committedAtMillis;

  public ServiceState(ServiceKey key) {
    this(key, 0, List.of(), List.of(), 0);
  }

  /** Rebuilds a state, e.g. after deserialization. */
  public ServiceState(
      ServiceKey key,
      long revision,
      Collection<InstanceRecord> instances,
      Collection<Removal> removals,
      long compactedRevision) {
    this(key, revision, instances, removals, compactedRevision, 0);
  }

  /** Rebuilds a state with the commit time of its newest change. */
  public ServiceState(
      ServiceKey key,
      long revision,
      Collection<InstanceRecord> instances,
      Collection<Removal> removals,
      long compactedRevision,
      long committedAtMillis) {
    this.key = key;
    this.revision = revision;
    this.instances = new TreeMap<>();
    for (InstanceRecord record : instances) {
      put(record);
    }
    this.removals = new ArrayDeque<>(removals);
    this.compactedRevision = compactedRevision;
    this.committedAtMillis = committedAtMillis;
  }

  public ServiceKey key() {
    return key;
  }

  public long revision() {
    return revision;
  }

  public Collection<InstanceRecord> instances() {
    return Collections.unmodifiableCollection(instances.values());
  }

  public Collection<Removal> removals() {
    return Collections.unmodifiableCollection(removals);
  }

  public long compactedRevision() {
    return compactedRevision;
  }

  /** When the newest change was committed (cluster clock); 0 when not known. */
  public long committedAtMillis() {
    return committedAtMillis;
  }

  /**
   * The changes made since the last commit are committed at {@code nowMillis} (cluster clock): the
   * store calls it once per write of the state, with a time the backup replica is handed too.
   */
  public void committed(long nowMillis) {
    committedAtMillis = nowMillis;
  }

  public boolean isEmpty() {
    return instances.isEmpty();
  }

  public InstanceRecord get(String instanceId) {
    return instances.get(instanceId);
  }

  /**
   * Registers an instance or registers it again. The new epoch is the new revision: it is higher
   * than every epoch the instance had before, even across a removal, so a process that was replaced
   * can never renew or remove its successor's registration.
   */
  /**
   * Whether registering {@code spec} would take its instance id from another owner: the id is held
   * by a registration whose owner is set and is not {@code spec}'s.
   */
  public boolean ownedByAnother(InstanceSpec spec) {
    InstanceRecord held = instances.get(spec.key().instanceId());
    return held != null
        && !held.spec().owner().isEmpty()
        && !held.spec().owner().equals(spec.owner());
  }

  public InstanceRecord register(InstanceSpec spec, long nowMillis) {
    long next = ++revision;
    InstanceRecord record =
        new InstanceRecord(
            spec, spec.initialStatus(), LeaseCondition.ok(nowMillis), next, next, nowMillis);
    put(record);
    return record;
  }

  /** Removes an instance; {@code epoch} 0 removes whatever epoch is current. */
  public MutationResult deregister(String instanceId, long epoch) {
    InstanceRecord current = instances.get(instanceId);
    MutationResult refused = checkEpoch(current, epoch);
    if (refused != null) {
      return refused;
    }
    long next = ++revision;
    instances.remove(instanceId);
    byRevision.remove(current);
    removals.addLast(new Removal(next, instanceId));
    while (removals.size() > MAX_REMOVALS_RETAINED) {
      compactedRevision = removals.removeFirst().revision();
    }
    return new MutationResult(MutationResult.Outcome.APPLIED, next, current.epoch());
  }

  /** Sets whether an instance takes work; {@code epoch} 0 matches any epoch. */
  public MutationResult setStatus(String instanceId, InstanceStatus status, long epoch) {
    InstanceRecord current = instances.get(instanceId);
    MutationResult refused = checkEpoch(current, epoch);
    if (refused != null) {
      return refused;
    }
    if (current.status() == status) {
      return new MutationResult(MutationResult.Outcome.UNCHANGED, revision, current.epoch());
    }
    long next = ++revision;
    put(current.withStatus(status, next));
    return new MutationResult(MutationResult.Outcome.APPLIED, next, current.epoch());
  }

  /**
   * Records the registry's view of an instance's heartbeats. Applies only a condition newer (by
   * lease sequence) than the one held, so an expiry and a revival that cross on the way land in the
   * order they happened on the lease; a no-op when health does not change.
   */
  public MutationResult setLease(String instanceId, long epoch, LeaseCondition lease) {
    InstanceRecord current = instances.get(instanceId);
    MutationResult refused = checkEpoch(current, epoch);
    if (refused != null) {
      return refused;
    }
    if (lease.seq() <= current.lease().seq()) {
      return new MutationResult(MutationResult.Outcome.UNCHANGED, revision, current.epoch());
    }
    if (current.lease().healthy() == lease.healthy()) {
      // Health stays, but the newer sequence is recorded (as a change, so backups and followers
      // hold it too): an older condition still on its way can then not apply after it.
      LeaseCondition held = current.lease();
      long next = ++revision;
      put(
          current.withLease(
              new LeaseCondition(
                  held.healthy(), held.reason(), held.message(), held.sinceMillis(), lease.seq()),
              next));
      return new MutationResult(MutationResult.Outcome.APPLIED, next, current.epoch());
    }
    long next = ++revision;
    put(current.withLease(lease, next));
    return new MutationResult(MutationResult.Outcome.APPLIED, next, current.epoch());
  }

  /**
   * What changed after {@code sinceRevision}: the instances changed since, and the removals since,
   * each ordered by revision. A full snapshot when the removals needed are forgotten, or when the
   * caller claims a revision this service never reached (its view came from a lost state).
   *
   * <p>Walks back from the newest change and stops at the first one not after {@code
   * sinceRevision}: O(k log n) for k changes, whatever the number n of instances.
   */
  public ServiceDelta changesSince(long sinceRevision) {
    if (sinceRevision == 0 || sinceRevision < compactedRevision || sinceRevision > revision) {
      return snapshot();
    }
    List<InstanceRecord> upserts = new ArrayList<>();
    for (Iterator<InstanceRecord> newest = byRevision.descendingIterator(); newest.hasNext(); ) {
      InstanceRecord record = newest.next();
      if (record.revision() <= sinceRevision) {
        break;
      }
      upserts.add(record);
    }
    List<Removal> removed = new ArrayList<>();
    for (Iterator<Removal> newest = removals.descendingIterator(); newest.hasNext(); ) {
      Removal removal = newest.next();
      if (removal.revision() <= sinceRevision) {
        break;
      }
      removed.add(removal);
    }
    Collections.reverse(upserts);
    Collections.reverse(removed);
    return new ServiceDelta(key, revision, false, upserts, removed, committedAtMillis);
  }

  public ServiceDelta snapshot() {
    return new ServiceDelta(
        key, revision, true, new ArrayList<>(instances.values()), List.of(), committedAtMillis);
  }

  /**
   * Folds in the state the other side of a healed network partition kept for this service: every
   * instance either side holds survives, the newer registration (then the newer change) winning
   * where both hold one. The result gets a revision above both sides' and forgets its removals, so
   * every follower reads it as a fresh snapshot instead of a difference it could misread.
   */
  public void mergeFrom(ServiceState other) {
    for (InstanceRecord theirs : other.instances.values()) {
      InstanceRecord ours = instances.get(theirs.instanceId());
      if (ours == null
          || theirs.epoch() > ours.epoch()
          || (theirs.epoch() == ours.epoch() && theirs.revision() > ours.revision())) {
        instances.put(theirs.instanceId(), theirs);
      }
    }
    revision = Math.max(revision, other.revision) + 1;
    long merged = revision;
    instances.replaceAll(
        (id, record) ->
            new InstanceRecord(
                record.spec(),
                record.status(),
                record.lease(),
                record.epoch(),
                merged,
                record.registeredAtMillis()));
    byRevision.clear();
    byRevision.addAll(instances.values());
    removals.clear();
    compactedRevision = revision;
    // Not timed: both sides' changes are older than the merge, and none is the merge's own.
    committedAtMillis = 0;
  }

  /** A copy that shares no mutable structure with this state. */
  public ServiceState copy() {
    return new ServiceState(
        key, revision, instances.values(), removals, compactedRevision, committedAtMillis);
  }

  /** Holds {@code record} as its instance's current one, in both maps. */
  private void put(InstanceRecord record) {
    InstanceRecord replaced = instances.put(record.instanceId(), record);
    if (replaced != null) {
      byRevision.remove(replaced);
    }
    byRevision.add(record);
  }

  private MutationResult checkEpoch(InstanceRecord current, long epoch) {
    if (current == null) {
      return new MutationResult(MutationResult.Outcome.NOT_FOUND, revision, 0);
    }
    if (epoch != 0 && epoch != current.epoch()) {
      return new MutationResult(MutationResult.Outcome.STALE_EPOCH, revision, current.epoch());
    }
    return null;
  }
}
