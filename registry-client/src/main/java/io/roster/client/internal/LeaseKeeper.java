package io.roster.client.internal;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.roster.client.InstanceStatus;
import io.roster.client.Registration;
import io.roster.client.RegistrationState;
import io.roster.client.RosterClientOptions;
import io.roster.client.RosterException;
import io.roster.client.ServiceInstance;
import io.roster.v1.KeepAliveRequest;
import io.roster.v1.KeepAliveResponse;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Keeps every lease of one client alive on one KeepAlive stream, as etcd's lease keep-alive does:
 * each lease renewed at the interval its registry node granted (a third of the TTL), all on one
 * stream to one node.
 *
 * <p>Failures it rides out:
 *
 * <ul>
 *   <li>the stream breaks (node killed, leaving, network): it reopens on the next node after an
 *       exponential backoff with jitter, and renews every lease at once there;
 *   <li>the stream stays open but stops answering (a hung node keeps its sockets open): a heartbeat
 *       unanswered after its round deadline (the call timeout, at most the heartbeat interval)
 *       counts as a broken stream, so the move happens well before the lease could expire;
 *   <li>NOT_FOUND (evicted during a pause, or the registry restarted empty): registers again, which
 *       gives a new epoch.
 * </ul>
 *
 * <p>STALE_EPOCH means another process registered the same instance since: renewing or
 * deregistering would fight it, so the registration is LOST and left alone. A refused credential
 * (the stream ends UNAUTHENTICATED or PERMISSION_DENIED, or a renewal is answered DENIED) is not
 * retried either: every node would answer the same, so the registration is LOST with the reason and
 * the option to fix.
 *
 * <p>Threading: all state is confined to the client's control thread; public entry points hop onto
 * it and gRPC callbacks are handed to it. Nothing here blocks.
 */
final class LeaseKeeper {

  private static final System.Logger log = System.getLogger(LeaseKeeper.class.getName());

  /** How often leases are checked for a due heartbeat or an overdue answer. */
  static final long TICK_MILLIS = 50;

  /** Never renew more often than this, whatever a node grants. */
  static final long MIN_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

  /** Statuses that end a stream for good: every node would answer the same. */
  private static final Set<Status.Code> FATAL =
      EnumSet.of(
          Status.Code.UNIMPLEMENTED,
          Status.Code.INVALID_ARGUMENT,
          Status.Code.UNAUTHENTICATED,
          Status.Code.PERMISSION_DENIED);

  private final RosterClientOptions options;
  private final RegistryNodes nodes;
  private final ClientThreads threads;
  private final Backoff backoff;
  private final RegistryCalls calls;

  // Everything below: control thread only.
  private final Map<String, LeasedRegistration> byLease = new HashMap<>();
  private StreamObserver<KeepAliveRequest> stream; // null while disconnected
  private int streamNode;
  private int generation; // of the current stream: callbacks of older ones are ignored
  private int failures; // streams broken in a row, for the backoff
  private long brokenSinceNanos; // when the first of those broke
  private CompletableFuture<Integer> reconnect; // the wait before the next stream, see streamBroken
  private ScheduledFuture<?> ticker;

  LeaseKeeper(
      RosterClientOptions options, RegistryNodes nodes, ClientThreads threads, Backoff backoff) {
    this.options = options;
    this.nodes = nodes;
    this.threads = threads;
    this.backoff = backoff;
    this.calls = new RegistryCalls(nodes, options.namespace());
  }

  /** Bound of one call with failover over every node. */
  Duration callBudget() {
    return options.callTimeout().multipliedBy(nodes.size()).plusSeconds(1);
  }

  /** Bound of a close: set DRAINING, drain, deregister. */
  Duration closeBudget() {
    return callBudget().multipliedBy(2).plus(options.drainDelay());
  }

  /** Registers {@code instance} and starts renewing its lease. Any thread. */
  CompletableFuture<Registration> register(ServiceInstance instance) {
    RegisterRequest.Builder request = RegisterRequest.newBuilder();
    request.setInstance(
        Protos.toProto(instance).toBuilder().setNamespace(options.namespace()).clearHealth());
    options.leaseTtl().ifPresent(ttl -> request.setLeaseTtl(Protos.toProto(ttl)));
    RegisterRequest built = request.build();
    return calls
        .register(built)
        .thenApplyAsync(
            answer -> {
              LeasedRegistration registration =
                  new LeasedRegistration(this, threads.events, accepted(built, answer));
              add(registration, built, answer);
              return registration;
            },
            threads.control);
  }

  /** Sets the status of {@code registration} on the registry. Any thread. */
  CompletableFuture<Void> setStatus(LeasedRegistration registration, InstanceStatus status) {
    return calls
        .setStatus(registration.instance(), registration.leaseId, status)
        .thenAcceptAsync(answer -> registration.statusSet(status), threads.control);
  }

  /**
   * Starts closing {@code registration}: DRAINING, the drain delay (heartbeats go on), then no more
   * heartbeats and Deregister with its epoch. Any thread; idempotent.
   */
  void close(LeasedRegistration registration) {
    threads.control.execute(
        () -> {
          if (registration.closing) {
            return;
          }
          registration.closing = true;
          if (registration.state() == RegistrationState.LOST) {
            registration.closed(); // owned by another process now: leave it alone
            return;
          }
          CompletableFuture<Boolean> drained =
              options.drainDelay().isZero()
                  ? CompletableFuture.completedFuture(false)
                  : setStatus(registration, InstanceStatus.DRAINING)
                      .handle(
                          (ok, failure) -> {
                            if (failure != null) {
                              log.log(
                                  System.Logger.Level.WARNING,
                                  "cannot mark {0} DRAINING, deregistering at once: {1}",
                                  registration,
                                  Errors.toRoster(failure, "SetStatus").getMessage());
                            }
                            return failure == null;
                          });
          drained.thenAccept(
              wait ->
                  threads.control.schedule(
                      () -> deregister(registration),
                      wait ? options.drainDelay().toNanos() : 0,
                      TimeUnit.NANOSECONDS));
        });
  }

  /** Closes every registration still open; completes when all are closed. Any thread. */
  CompletableFuture<Void> closeAll() {
    CompletableFuture<List<LeasedRegistration>> open = new CompletableFuture<>();
    threads.control.execute(() -> open.complete(new ArrayList<>(byLease.values())));
    return open.thenCompose(
        registrations ->
            CompletableFuture.allOf(
                registrations.stream()
                    .map(LeasedRegistration::closeAsync)
                    .toArray(CompletableFuture<?>[]::new)));
  }

  /** Stops the stream and the ticker; on control. */
  void shutdown() {
    if (ticker != null) {
      ticker.cancel(false);
    }
    if (reconnect != null) {
      reconnect.cancel(false);
      reconnect = null; // a wait that ended just before is ignored too (see streamBroken)
    }
    endStream();
  }

  // ---- control thread from here on ----

  private void add(LeasedRegistration registration, RegisterRequest request, RegisterResponse r) {
    registration.leased(accepted(request, r), request, r.getLeaseId(), interval(r));
    registration.nextBeatNanos = System.nanoTime() + registration.intervalNanos;
    byLease.put(r.getLeaseId(), registration);
    // Each registration has a lease id of its own: find an earlier one of the same instance.
    LeasedRegistration replaced = null;
    for (LeasedRegistration other : byLease.values()) {
      if (other != registration && sameInstance(other, registration)) {
        replaced = other;
        break;
      }
    }
    if (replaced != null) {
      byLease.remove(replaced.leaseId);
      // The same instance registered twice by this client: the newer epoch owns it.
      replaced.closing = true;
      replaced.moveTo(
          RegistrationState.LOST, "registered again by this client, epoch " + r.getEpoch());
      replaced.closed();
    }
    if (ticker == null) {
      ticker =
          threads.control.scheduleWithFixedDelay(
              this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }
    if (stream == null && reconnect == null) {
      streamNode = nodes.preferred(); // the node that just answered
      connect();
    }
  }

  private void tick() {
    if (stream == null) {
      return;
    }
    long now = System.nanoTime();
    long callTimeoutNanos = options.callTimeout().toNanos();
    for (LeasedRegistration registration : byLease.values()) {
      Long oldest = registration.unanswered.peekFirst();
      long roundDeadline = Math.min(callTimeoutNanos, registration.intervalNanos);
      if (oldest != null && now - oldest > roundDeadline) {
        streamBroken(
            "node "
                + nodes.node(streamNode)
                + " did not answer a heartbeat within "
                + TimeUnit.NANOSECONDS.toMillis(roundDeadline)
                + " ms");
        return;
      }
    }
    for (LeasedRegistration registration : byLease.values()) {
      if (!registration.registeringAgain && now - registration.nextBeatNanos >= 0) {
        heartbeat(registration, now);
      }
    }
  }

  private void heartbeat(LeasedRegistration registration, long now) {
    stream.onNext(
        KeepAliveRequest.newBuilder()
            .setLeaseId(registration.leaseId)
            .setEpoch(registration.epoch())
            .build());
    registration.unanswered.addLast(now);
    registration.nextBeatNanos = now + registration.intervalNanos;
  }

  private void connect() {
    reconnect = null;
    if (byLease.isEmpty() || stream != null) {
      return;
    }
    int streamGeneration = ++generation;
    stream =
        RegistryServiceGrpc.newStub(nodes.channelToTry(streamNode))
            .keepAlive(observer(streamGeneration));
    long now = System.nanoTime();
    for (LeasedRegistration registration : byLease.values()) {
      registration.unanswered.clear();
      registration.answersToSkip = 0;
      if (!registration.registeringAgain) {
        heartbeat(registration, now); // renew at once: the break may have cost time
      }
    }
  }

  private StreamObserver<KeepAliveResponse> observer(int streamGeneration) {
    return new StreamObserver<>() {
      @Override
      public void onNext(KeepAliveResponse response) {
        threads.control.execute(() -> onAnswer(streamGeneration, response));
      }

      @Override
      public void onError(Throwable t) {
        threads.control.execute(() -> onEnded(streamGeneration, Status.fromThrowable(t)));
      }

      @Override
      public void onCompleted() {
        threads.control.execute(
            () -> onEnded(streamGeneration, Status.UNAVAILABLE.withDescription("ended by node")));
      }
    };
  }

  private void onAnswer(int streamGeneration, KeepAliveResponse answer) {
    if (streamGeneration != generation) {
      return;
    }
    if (failures > 0) {
      log.log(
          System.Logger.Level.INFO,
          "keepalive stream to {0} answers, after {1} broken streams in {2} ms",
          nodes.node(streamNode),
          failures,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - brokenSinceNanos));
      failures = 0;
    }
    LeasedRegistration registration = byLease.get(answer.getLeaseId());
    if (registration == null) {
      return; // closed meanwhile
    }
    if (registration.answersToSkip > 0) {
      registration.answersToSkip--;
      return;
    }
    registration.unanswered.pollFirst();
    switch (answer.getState()) {
      case LEASE_STATE_ACTIVE ->
          registration.moveTo(RegistrationState.ACTIVE, "renewed on " + nodes.node(streamNode));
      case LEASE_STATE_NOT_FOUND ->
          registerAgain(
              registration, "the registry no longer knows the lease (" + answer.getMessage() + ")");
      case LEASE_STATE_STALE_EPOCH -> {
        if (answer.getEpoch() > registration.epoch()) {
          lose(
              registration,
              "another process registered this instance with epoch "
                  + answer.getEpoch()
                  + ": "
                  + answer.getMessage());
        } // else: the answer to a heartbeat of an epoch this client has itself replaced
      }
      case LEASE_STATE_INVALID -> lose(registration, "the registry refused the lease: " + answer);
      case LEASE_STATE_DENIED ->
          // Every node would answer the same: renewing on would only let the lease run out.
          lose(
              registration,
              "the registry refused to renew the lease: "
                  + nodes.explain(Status.PERMISSION_DENIED.withDescription(answer.getMessage())));
      case LEASE_STATE_THROTTLED -> {
        // Over the node's renewal rate for this client: not renewed this time, the stream stays.
        // Sent again after the node's delay, or at the usual time if that comes first.
        long retryNanos = Math.max(MIN_INTERVAL_NANOS, Protos.toNanos(answer.getRetryAfter()));
        registration.nextBeatNanos =
            Math.min(registration.nextBeatNanos, System.nanoTime() + retryNanos);
        log.log(
            System.Logger.Level.DEBUG,
            "renewing {0} was throttled, sent again in {1} ms: {2}",
            registration,
            TimeUnit.NANOSECONDS.toMillis(retryNanos),
            answer.getMessage());
      }
      default -> {} // a state this client does not know yet: renewing goes on
    }
  }

  private void onEnded(int streamGeneration, Status status) {
    if (streamGeneration != generation || stream == null) {
      return;
    }
    String reason =
        "keepalive stream to " + nodes.node(streamNode) + " ended: " + nodes.explain(status);
    if (FATAL.contains(status.getCode())) {
      stream = null;
      generation++;
      for (LeasedRegistration registration : new ArrayList<>(byLease.values())) {
        lose(registration, reason);
      }
      return;
    }
    streamBroken(reason);
  }

  /**
   * Ends the stream and reconnects to the next node after the backoff, or sooner to a node whose
   * connection comes back meanwhile (see {@link RegistryNodes#reconnectWait}).
   */
  private void streamBroken(String reason) {
    endStream();
    if (failures++ == 0) {
      brokenSinceNanos = System.nanoTime();
    }
    int next = (streamNode + 1) % nodes.size();
    for (LeasedRegistration registration : byLease.values()) {
      registration.moveTo(RegistrationState.RECONNECTING, reason);
    }
    long delay = retryDelayNanos(failures);
    log.log(
        failures == 1 ? System.Logger.Level.INFO : System.Logger.Level.DEBUG,
        "{0}; reconnecting to {1} in {2} ms (attempt {3})",
        reason,
        nodes.node(next),
        TimeUnit.NANOSECONDS.toMillis(delay),
        failures);
    CompletableFuture<Integer> wait = nodes.reconnectWait(next, delay, threads.control);
    reconnect = wait;
    wait.thenAcceptAsync(
        node -> {
          if (reconnect == wait) { // else: shut down, or superseded meanwhile
            streamNode = node;
            connect();
          }
        },
        threads.control);
  }

  /**
   * The backoff, its doubling stopped at half the shortest heartbeat interval (a sixth of the TTL):
   * once a node answers again, every lease is renewed, or registered again, within a third of its
   * TTL, however long the outage was.
   */
  private long retryDelayNanos(int failuresInARow) {
    long shortestIntervalNanos = Long.MAX_VALUE;
    for (LeasedRegistration registration : byLease.values()) {
      shortestIntervalNanos = Math.min(shortestIntervalNanos, registration.intervalNanos);
    }
    return backoff.delayNanos(failuresInARow, shortestIntervalNanos / 2);
  }

  private void endStream() {
    if (stream != null) {
      try {
        stream.onError(Status.CANCELLED.withDescription("client moves on").asRuntimeException());
      } catch (RuntimeException alreadyOver) {
        // The call ended on its own meanwhile.
      }
      stream = null;
    }
    generation++; // whatever the old stream still delivers is stale
  }

  private void registerAgain(LeasedRegistration registration, String why) {
    if (registration.registeringAgain || registration.closing) {
      return;
    }
    registration.registeringAgain = true;
    // Heartbeats already sent for the lost lease will be answered NOT_FOUND too: not news.
    registration.answersToSkip += registration.unanswered.size();
    registration.unanswered.clear();
    registration.moveTo(RegistrationState.RECONNECTING, why + "; registering again");
    RegisterRequest request = registration.request;
    calls
        .register(request)
        .whenCompleteAsync(
            (answer, failure) -> {
              if (registration.closing || registration.isClosed()) {
                return;
              }
              if (failure == null) {
                if (registration.registerFailures > 0) {
                  log.log(
                      System.Logger.Level.INFO,
                      "{0} registered again after {1} failed attempts",
                      registration,
                      registration.registerFailures);
                }
                registration.registeringAgain = false;
                registration.registerFailures = 0;
                byLease.remove(registration.leaseId);
                add(registration, request, answer);
                registration.moveTo(
                    RegistrationState.ACTIVE, "registered again with epoch " + answer.getEpoch());
                return;
              }
              RosterException error = Errors.toRoster(failure, "Register again");
              if (error.code() == RosterException.Code.UNAVAILABLE
                  || error.code() == RosterException.Code.DEADLINE_EXCEEDED
                  // A rate or the namespace's quota: passes; the lease is already lost anyway.
                  || error.code() == RosterException.Code.RESOURCE_EXHAUSTED) {
                long delay =
                    Math.max(
                        retryDelayNanos(++registration.registerFailures),
                        error.retryAfter().map(Duration::toNanos).orElse(0L));
                log.log(
                    registration.registerFailures == 1
                        ? System.Logger.Level.INFO
                        : System.Logger.Level.DEBUG,
                    "registering {0} again failed (attempt {1}), retrying in {2} ms: {3}",
                    registration,
                    registration.registerFailures,
                    TimeUnit.NANOSECONDS.toMillis(delay),
                    error.getMessage());
                threads.control.schedule(
                    () -> {
                      registration.registeringAgain = false;
                      registerAgain(registration, error.getMessage());
                    },
                    delay,
                    TimeUnit.NANOSECONDS);
              } else {
                lose(registration, error.getMessage());
              }
            },
            threads.control);
  }

  private static boolean sameInstance(LeasedRegistration a, LeasedRegistration b) {
    return a.instance().service().equals(b.instance().service())
        && a.instance().instanceId().equals(b.instance().instanceId());
  }

  private void lose(LeasedRegistration registration, String reason) {
    byLease.remove(registration.leaseId);
    registration.moveTo(RegistrationState.LOST, reason);
    if (registration.closing) {
      registration.closed();
    }
    if (byLease.isEmpty()) {
      endStream();
    }
  }

  private void deregister(LeasedRegistration registration) {
    byLease.remove(registration.leaseId); // no more heartbeats, and their answers are ignored
    if (byLease.isEmpty()) {
      endStream();
    }
    if (registration.state() == RegistrationState.LOST) {
      registration.closed();
      return;
    }
    calls
        // With its lease id, so its epoch: never removes a successor.
        .deregister(registration.instance(), registration.leaseId)
        .whenCompleteAsync(
            (answer, failure) -> {
              String reason = "deregistered";
              if (failure != null) {
                RosterException error = Errors.toRoster(failure, "Deregister");
                reason =
                    switch (error.code()) {
                      case NOT_FOUND -> "already gone from the registry";
                      case FAILED_PRECONDITION -> "registered again by another process since";
                      default -> "not deregistered, its lease runs out: " + error.getMessage();
                    };
              }
              registration.moveTo(RegistrationState.CLOSED, reason);
              registration.closed();
            },
            threads.control);
  }

  private ServiceInstance accepted(RegisterRequest request, RegisterResponse answer) {
    return Protos.fromProto(
        request.getInstance().toBuilder()
            .setInstanceId(answer.getInstanceId())
            .setEpoch(answer.getEpoch())
            .setRevision(answer.getRevision())
            .setHealth(io.roster.v1.HealthState.HEALTH_STATE_HEALTHY)
            .build());
  }

  private static Duration interval(RegisterResponse answer) {
    long nanos = Protos.toNanos(answer.getHeartbeatInterval());
    if (nanos <= 0) {
      nanos = Protos.toNanos(answer.getGrantedTtl()) / 3;
    }
    return Duration.ofNanos(nanos > 0 ? nanos : TimeUnit.SECONDS.toNanos(1));
  }
}
