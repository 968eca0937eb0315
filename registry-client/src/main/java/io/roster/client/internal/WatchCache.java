package io.roster.client.internal;

import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.roster.client.RosterClientOptions;
import io.roster.client.RosterException;
import io.roster.client.ServiceEndpoints;
import io.roster.client.ServiceListener;
import io.roster.client.Subscription;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.ServiceSummary;
import io.roster.v1.WatchRequest;
import io.roster.v1.WatchResponse;
import io.roster.v1.WatchTarget;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The client's cache of endpoints: every followed service on one Watch stream, one immutable
 * snapshot per service, resumed by revision on another node when the stream breaks.
 *
 * <p><b>One stream for all services</b>, rather than one per service: a node holds one stream per
 * client however many services it follows, and the client has one liveness signal and one failover
 * path, so all its services go stale (or live) together. Following one more service restarts the
 * stream with every service resumed from the revision held; the node sends nothing for those that
 * are up to date, so the restart costs one request. The API allows 256 services per stream; so does
 * the client.
 *
 * <p><b>Liveness.</b> A Watch stream is silent while nothing changes, and a hung node keeps its
 * sockets open; so the stream's node is probed every {@value #PROBE_INTERVAL_MILLIS} ms (a
 * ClusterStatus call with the call timeout), and a failed probe counts as a broken stream. After a
 * reconnection the first probe is a ListServices instead: a service whose revision there is lower
 * than the one held lost its state in the registry (every node restarted), which a resume from the
 * revision held would never notice, so it is followed again from a fresh snapshot.
 *
 * <p><b>Staleness.</b> A snapshot is live (age zero) while the stream that brought it is connected
 * and confirmed; otherwise its age runs from the last moment a node confirmed it. Past the maximum
 * staleness (default: never) {@link #discover} throws and listeners are told once.
 *
 * <p><b>Refused credentials.</b> A stream or probe answered UNAUTHENTICATED or PERMISSION_DENIED is
 * not reopened on the next node as a broken one would be: every node would answer the same, and
 * callers would wait out a timeout for an error they can only fix by changing the client's token or
 * the nodes' access file. Services with nothing held fail their discovers at once with the reason
 * and listeners hear it ({@link ServiceListener#onStale}); what is held is still served, ageing.
 * The next {@link #discover} of a service with nothing held, or the next {@link #watch}, opens the
 * stream again, so a token fixed meanwhile (a token file is read again) is taken up then.
 *
 * <p>Threading: mutable state is confined to the client's control thread. {@link #services} and
 * each entry's volatile fields are read by any thread, so {@link #discover} answers from memory
 * without a lock or a thread hop. Listeners run on the events executor, in revision order.
 */
final class WatchCache {

  private static final System.Logger log = System.getLogger(WatchCache.class.getName());

  static final int MAX_SERVICES = 256;
  static final long PROBE_INTERVAL_MILLIS = 5_000;
  private static final long SAVE_DELAY_MILLIS = 1_000;
  private static final long STALENESS_CHECK_MILLIS = 1_000;
  private static final Pattern SERVICE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  private final RosterClientOptions options;
  private final RegistryNodes nodes;
  private final ClientThreads threads;
  private final Backoff backoff;
  private final Map<String, FollowedService> services = new ConcurrentHashMap<>();

  /** Whether the current stream is open and a node confirmed it; read by any thread. */
  private volatile boolean connected;

  /**
   * Why the last stream was refused (UNAUTHENTICATED, PERMISSION_DENIED) while no stream has been
   * opened since; null otherwise. Written on control, read by any thread.
   */
  private volatile RosterException refused;

  // Control thread only.
  private ClientCallStreamObserver<WatchRequest> call;
  private int generation;
  private int streamNode;
  private int failures;
  private boolean revisionCheckDue;
  private boolean restartQueued;
  private boolean saveQueued;
  private boolean closed;
  private final List<String> unanswered = new ArrayList<>(); // why, since a node last answered
  private long brokenSinceNanos; // when the first of the failures in a row happened
  private CompletableFuture<Integer> reopen; // the wait before the next stream, see streamBroken
  private ScheduledFuture<?> probe;
  private ScheduledFuture<?> stalenessCheck;

  WatchCache(
      RosterClientOptions options, RegistryNodes nodes, ClientThreads threads, Backoff backoff) {
    this.options = options;
    this.nodes = nodes;
    this.threads = threads;
    this.backoff = backoff;
  }

  /** Loads the snapshot file, if any, and follows its services. Called once, at creation. */
  void loadSnapshotFile() {
    Path file = options.snapshotFile().orElse(null);
    if (file == null) {
      return;
    }
    List<SnapshotFile.Saved> saved;
    try {
      saved = SnapshotFile.load(file, options.namespace());
    } catch (IOException | RuntimeException e) {
      log.log(System.Logger.Level.WARNING, "ignoring snapshot file {0}: {1}", file, e.toString());
      return;
    }
    long nowNanos = System.nanoTime();
    long nowMillis = System.currentTimeMillis();
    for (SnapshotFile.Saved entry : saved) {
      if (services.size() >= MAX_SERVICES) {
        break;
      }
      FollowedService followed =
          new FollowedService(
              entry.endpoints().service(), ServiceState.of(entry.endpoints()), threads.events);
      followed.current = entry.endpoints();
      followed.confirmedNanos =
          nowNanos
              - TimeUnit.MILLISECONDS.toNanos(Math.max(0, nowMillis - entry.confirmedAtMillis()));
      followed.fresh = true; // the registry may have restarted since: take a fresh snapshot
      followed.firstData.complete(null);
      services.put(followed.service, followed);
    }
    if (!services.isEmpty()) {
      log.log(
          System.Logger.Level.INFO,
          "loaded the endpoints of {0} services from {1}",
          services.size(),
          file);
      threads.control.execute(this::queueRestart);
    }
  }

  /** The endpoints of {@code service}, waiting for its first snapshot if need be. Any thread. */
  ServiceEndpoints discover(String service) {
    FollowedService followed = follow(service);
    if (followed.current == null) {
      Duration wait = options.callTimeout().multipliedBy(2);
      try {
        CompletableFuture<Void> firstData =
            refused == null
                ? followed.firstData
                : tryAgainAfterRefusal(() -> followed.firstData)
                    .get(wait.toNanos(), TimeUnit.NANOSECONDS);
        firstData.get(wait.toNanos(), TimeUnit.NANOSECONDS);
      } catch (TimeoutException e) {
        throw new RosterException(
            RosterException.Code.UNAVAILABLE,
            "no registry node sent the endpoints of "
                + service
                + " within "
                + wait.toMillis()
                + " ms (nodes "
                + options.nodes()
                + ")");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new RosterException(
            RosterException.Code.CANCELLED, "interrupted waiting for the endpoints of " + service);
      } catch (ExecutionException e) {
        throw Errors.toRoster(e, "discover " + service);
      }
    }
    return withAge(followed, true);
  }

  /** Follows {@code service} for {@code listener}. Any thread. */
  Subscription watch(String service, ServiceListener listener) {
    FollowedService followed = follow(service);
    CompletableFuture<Subscription> added = new CompletableFuture<>();
    // Added on control, where updates are published, so the first delivery and later ones stay in
    // order.
    threads.control.execute(
        () ->
            added.complete(
                followed.addListener(
                    listener, followed.current == null ? null : withAge(followed, false))));
    if (refused != null) {
      tryAgainAfterRefusal(() -> null);
    }
    return () -> added.thenAccept(Subscription::close);
  }

  /**
   * Opens the stream again if it is still refused, on control; completes there with {@code then}'s
   * value, taken after the stream opened (so a discover waits for the new attempt's first data).
   */
  private <T> CompletableFuture<T> tryAgainAfterRefusal(Supplier<T> then) {
    CompletableFuture<T> done = new CompletableFuture<>();
    threads.control.execute(
        () -> {
          if (refused != null && !closed) {
            open();
          }
          done.complete(then.get());
        });
    return done;
  }

  /** Stops the stream and the timers; on control. The caller saves the snapshot file. */
  void shutdown() {
    closed = true;
    cancel(probe);
    if (reopen != null) {
      reopen.cancel(false);
      reopen = null;
    }
    cancel(stalenessCheck);
    // What the live stream held was confirmed until now. Without this, services that were live
    // keep the confirmation time of an older break (or 0, the machine's boot in nanoTime terms),
    // and the file saved next says they are that old.
    markUnconfirmed(System.nanoTime());
    endStream();
  }

  /** Saves the snapshot file now, on the calling thread. */
  void saveNow(List<SnapshotFile.Saved> services) {
    options
        .snapshotFile()
        .ifPresent(
            file -> {
              try {
                SnapshotFile.save(file, options.namespace(), services);
              } catch (IOException | RuntimeException e) {
                log.log(System.Logger.Level.WARNING, "cannot save snapshot file {0}: {1}", file, e);
              }
            });
  }

  /** What to save: every service held, with when it was last confirmed; on control. */
  List<SnapshotFile.Saved> toSave() {
    long nowNanos = System.nanoTime();
    long nowMillis = System.currentTimeMillis();
    List<SnapshotFile.Saved> saved = new ArrayList<>();
    for (FollowedService followed : services.values()) {
      ServiceEndpoints current = followed.current;
      if (current != null) {
        long ageMillis = TimeUnit.NANOSECONDS.toMillis(followed.ageNanos(nowNanos, connected));
        saved.add(new SnapshotFile.Saved(current, nowMillis - ageMillis));
      }
    }
    return saved;
  }

  private FollowedService follow(String service) {
    FollowedService followed = services.get(service);
    if (followed != null) {
      return followed;
    }
    if (service == null || !SERVICE_NAME.matcher(service).matches()) {
      // Checked here: the node would refuse the whole Watch stream, every other service with it.
      throw new RosterException(
          RosterException.Code.INVALID_ARGUMENT,
          "service '"
              + service
              + "' must be 1-128 letters, digits, '.', '_' and '-', starting with a letter or"
              + " digit");
    }
    synchronized (services) {
      followed = services.get(service);
      if (followed == null) {
        if (services.size() >= MAX_SERVICES) {
          throw new RosterException(
              RosterException.Code.RESOURCE_EXHAUSTED,
              "a client follows at most "
                  + MAX_SERVICES
                  + " services; "
                  + service
                  + " is one more");
        }
        followed =
            new FollowedService(
                service, new ServiceState(options.namespace(), service), threads.events);
        services.put(service, followed);
        threads.control.execute(this::queueRestart);
      }
      return followed;
    }
  }

  private ServiceEndpoints withAge(FollowedService followed, boolean enforceMaxStaleness) {
    ServiceEndpoints current = followed.current;
    long ageNanos = followed.ageNanos(System.nanoTime(), connected);
    if (ageNanos == 0) {
      return current;
    }
    Duration age = Duration.ofMillis(Math.max(1, TimeUnit.NANOSECONDS.toMillis(ageNanos)));
    if (enforceMaxStaleness && tooStale(age)) {
      throw staleError(followed.service, age);
    }
    return current.withAge(age);
  }

  private boolean tooStale(Duration age) {
    return options.maxStaleness().map(max -> age.compareTo(max) > 0).orElse(false);
  }

  private RosterException staleError(String service, Duration age) {
    return new RosterException(
        RosterException.Code.UNAVAILABLE,
        "the endpoints of "
            + service
            + " were last confirmed by a registry node "
            + age.toMillis()
            + " ms ago, more than the maximum staleness of "
            + options.maxStaleness().map(Duration::toMillis).orElse(0L)
            + " ms");
  }

  // ---- control thread from here on ----

  private void queueRestart() {
    if (restartQueued || closed) {
      return;
    }
    restartQueued = true;
    // Coalesces a burst of new services (many discover calls at start) into one restart.
    threads.control.execute(
        () -> {
          restartQueued = false;
          if (reopen != null) {
            return; // reconnecting after a failure: the new stream will include everything
          }
          markUnconfirmed(System.nanoTime());
          endStream();
          open();
        });
  }

  private void open() {
    reopen = null;
    if (closed || services.isEmpty()) {
      return;
    }
    if (refused != null) {
      for (FollowedService followed : services.values()) {
        followed.tryAgain(); // the discovers that come from now on wait for this attempt
      }
      refused = null; // after: a discover that reads it null finds the new futures
    }
    int streamGeneration = ++generation;
    connected = false;
    WatchRequest.Builder request = WatchRequest.newBuilder().setNamespace(options.namespace());
    for (FollowedService followed : services.values()) {
      long from = followed.fresh ? 0 : followed.state.revision();
      followed.fresh = false;
      followed.resumed = from > 0;
      request.addTargets(
          WatchTarget.newBuilder()
              .setService(followed.service)
              .setFromRevision(from)
              .setIncarnation(from == 0 ? 0 : followed.state.incarnation()));
    }
    DiscoveryServiceGrpc.newStub(nodes.channelToTry(streamNode))
        .watch(request.build(), observer(streamGeneration));
    if (stalenessCheck == null && options.maxStaleness().isPresent()) {
      stalenessCheck =
          threads.control.scheduleWithFixedDelay(
              this::checkStaleness,
              STALENESS_CHECK_MILLIS,
              STALENESS_CHECK_MILLIS,
              TimeUnit.MILLISECONDS);
    }
    probe(streamGeneration);
  }

  private ClientResponseObserver<WatchRequest, WatchResponse> observer(int streamGeneration) {
    return new ClientResponseObserver<>() {
      @Override
      public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
        call = requestStream; // called on the control thread, inside watch()
      }

      @Override
      public void onNext(WatchResponse message) {
        threads.control.execute(() -> onMessage(streamGeneration, message));
      }

      @Override
      public void onError(Throwable t) {
        Status status = Status.fromThrowable(t);
        threads.control.execute(
            () -> {
              String reason =
                  "watch stream to " + nodes.node(streamNode) + " ended: " + nodes.explain(status);
              if (isRefusal(status)) {
                onRefused(streamGeneration, status.getCode(), reason);
              } else {
                onEnded(streamGeneration, reason);
              }
            });
      }

      @Override
      public void onCompleted() {
        threads.control.execute(
            () ->
                onEnded(
                    streamGeneration,
                    "watch stream to " + nodes.node(streamNode) + " ended by the node"));
      }
    };
  }

  private void onMessage(int streamGeneration, WatchResponse message) {
    if (streamGeneration != generation) {
      return;
    }
    confirmed();
    FollowedService followed = services.get(message.getService());
    if (followed == null) {
      return;
    }
    ServiceState.Applied applied = followed.state.apply(message);
    if (applied == ServiceState.Applied.OTHER_INCARNATION) {
      // A node sends a reset snapshot before changes of a new incarnation; should one not, what is
      // held cannot be patched with revisions that count from 0 again.
      log.log(
          System.Logger.Level.WARNING,
          "{0}: changes of registry incarnation {1} while incarnation {2} is held; following it"
              + " again from a snapshot",
          followed.service,
          Long.toUnsignedString(message.getIncarnation()),
          Long.toUnsignedString(followed.state.incarnation()));
      followed.fresh = true;
      queueRestart();
      return;
    }
    if (applied == ServiceState.Applied.PARTIAL) {
      return; // the service is whole again with the snapshot's last part
    }
    followed.synced = true;
    if (applied == ServiceState.Applied.CHANGED || followed.current == null) {
      followed.publish();
      queueSave();
    }
  }

  private void onEnded(int streamGeneration, String reason) {
    if (streamGeneration != generation) {
      return;
    }
    streamBroken(reason, System.nanoTime());
  }

  private static boolean isRefusal(Status status) {
    return status.getCode() == Status.Code.UNAUTHENTICATED
        || status.getCode() == Status.Code.PERMISSION_DENIED;
  }

  /**
   * The node refused the client's credentials: ends the stream without reopening it, fails the
   * discovers waiting for a first snapshot and tells the listeners of services with nothing held.
   */
  private void onRefused(int streamGeneration, Status.Code code, String reason) {
    if (streamGeneration != generation || closed) {
      return;
    }
    if (connected) {
      markUnconfirmed(System.nanoTime());
    }
    endStream();
    RosterException error =
        Errors.toRoster(code, reason + "; the stream opens again at the next discover or watch");
    refused = error;
    log.log(System.Logger.Level.WARNING, error.getMessage());
    for (FollowedService followed : services.values()) {
      if (followed.current == null) {
        followed.refused(error);
      }
    }
  }

  private void confirmed() {
    if (connected) {
      return;
    }
    connected = true;
    if (failures > 0) {
      log.log(
          System.Logger.Level.INFO,
          "watch stream to {0} answers, after {1} failures in {2} ms",
          nodes.node(streamNode),
          failures,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - brokenSinceNanos));
    }
    failures = 0;
    unanswered.clear();
    for (FollowedService followed : services.values()) {
      if (followed.resumed) {
        followed.synced = true; // resumed from its revision: the node sends only what is new
      }
    }
  }

  /**
   * Ends the stream and reconnects to the next node after the backoff.
   *
   * @param confirmedUntilNanos until when the stream is known to have been good
   */
  private void streamBroken(String reason, long confirmedUntilNanos) {
    boolean wasConnected = connected;
    if (wasConnected) {
      markUnconfirmed(confirmedUntilNanos);
    }
    endStream();
    if (failures++ == 0) {
      brokenSinceNanos = System.nanoTime();
    }
    revisionCheckDue = true;
    reportUnavailableWhereNothingIsHeld(reason);
    int next = (streamNode + 1) % nodes.size();
    long delay = backoff.delayNanos(failures);
    log.log(
        failures == 1 ? System.Logger.Level.INFO : System.Logger.Level.DEBUG,
        "{0}; serving cached endpoints, reconnecting to {1} in {2} ms (attempt {3})",
        reason,
        nodes.node(next),
        TimeUnit.NANOSECONDS.toMillis(delay),
        failures);
    // Sooner to a node whose connection comes back meanwhile: see RegistryNodes.reconnectWait.
    CompletableFuture<Integer> wait = nodes.reconnectWait(next, delay, threads.control);
    reopen = wait;
    wait.thenAcceptAsync(
        node -> {
          if (reopen == wait) { // else: shut down meanwhile
            streamNode = node;
            open();
          }
        },
        threads.control);
  }

  /**
   * Once every node has failed in a row, tells the listeners of services the client holds nothing
   * of yet why they wait, once per service until it gets an update. Without it they would wait
   * silently, and a grpc-java channel on such a service would fail its calls with nothing but a
   * deadline.
   */
  private void reportUnavailableWhereNothingIsHeld(String reason) {
    unanswered.add(reason);
    if (unanswered.size() > nodes.size()) {
      unanswered.remove(0);
    }
    if (unanswered.size() < nodes.size()) {
      return;
    }
    for (FollowedService followed : services.values()) {
      if (followed.current == null) {
        followed.reportStale(
            new RosterException(
                RosterException.Code.UNAVAILABLE,
                "no registry node answered the watch of "
                    + followed.service
                    + ", retrying ("
                    + String.join("; ", unanswered)
                    + ")"));
      }
    }
  }

  /** The services live until now become stale from {@code confirmedUntilNanos}. */
  private void markUnconfirmed(long confirmedUntilNanos) {
    for (FollowedService followed : services.values()) {
      if (followed.synced && connected) {
        followed.confirmedNanos = confirmedUntilNanos;
      }
      followed.synced = false;
    }
    connected = false;
  }

  private void endStream() {
    cancel(probe);
    probe = null;
    if (call != null) {
      call.cancel("the client moves to another stream", null);
      call = null;
    }
    generation++;
  }

  private void probe(int streamGeneration) {
    if (streamGeneration != generation || closed) {
      return;
    }
    long sentNanos = System.nanoTime();
    boolean checkRevisions = revisionCheckDue;
    CompletableFuture<List<ServiceSummary>> answer =
        checkRevisions
            ? NodeProbes.revisions(
                nodes.channelToTry(streamNode), options.namespace(), options.callTimeout())
            : NodeProbes.alive(nodes.channelToTry(streamNode), options.callTimeout());
    answer.whenCompleteAsync(
        (summaries, failure) -> {
          if (streamGeneration != generation || closed) {
            return;
          }
          if (failure != null) {
            Status status = Status.fromThrowable(failure);
            if (isRefusal(status)) {
              onRefused(
                  streamGeneration,
                  status.getCode(),
                  "node " + nodes.node(streamNode) + " refused a probe: " + nodes.explain(status));
              return;
            }
            streamBroken(
                "node "
                    + nodes.node(streamNode)
                    + " did not answer a liveness probe: "
                    + Errors.toRoster(failure, "probe").getMessage(),
                sentNanos);
            return;
          }
          confirmed();
          if (checkRevisions) {
            revisionCheckDue = false;
            followAgainWhereRevisionWentBack(summaries);
          }
          probe =
              threads.control.schedule(
                  () -> probe(streamGeneration), PROBE_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
        },
        threads.control);
  }

  /** Services whose registry revision is below the one held lost their state: start afresh. */
  private void followAgainWhereRevisionWentBack(List<ServiceSummary> summaries) {
    boolean any = false;
    for (ServiceSummary summary : summaries) {
      FollowedService followed = services.get(summary.getService());
      if (followed != null && summary.getRevision() < followed.state.revision()) {
        log.log(
            System.Logger.Level.WARNING,
            "{0} is at revision {1} in the registry, below the {2} held: its state was lost"
                + " (every node restarted?); following it again from a snapshot",
            summary.getService(),
            summary.getRevision(),
            followed.state.revision());
        followed.fresh = true;
        any = true;
      }
    }
    if (any) {
      queueRestart();
    }
  }

  private void checkStaleness() {
    long now = System.nanoTime();
    for (FollowedService followed : services.values()) {
      if (followed.current != null) {
        Duration age = Duration.ofNanos(followed.ageNanos(now, connected));
        if (tooStale(age)) {
          followed.reportStale(staleError(followed.service, age));
        }
      }
    }
  }

  private void queueSave() {
    if (saveQueued || options.snapshotFile().isEmpty()) {
      return;
    }
    saveQueued = true;
    threads.control.schedule(
        () -> {
          saveQueued = false;
          List<SnapshotFile.Saved> saved = toSave();
          threads.events.execute(() -> saveNow(saved));
        },
        SAVE_DELAY_MILLIS,
        TimeUnit.MILLISECONDS);
  }

  private static void cancel(ScheduledFuture<?> future) {
    if (future != null) {
      future.cancel(false);
    }
  }
}
