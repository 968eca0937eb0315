package io.roster.cli;

import com.google.protobuf.util.Durations;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.roster.v1.DeregisterRequest;
import io.roster.v1.Instance;
import io.roster.v1.KeepAliveRequest;
import io.roster.v1.KeepAliveResponse;
import io.roster.v1.LeaseState;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * {@code register --keepalive}: renews one lease on a KeepAlive stream at the heartbeat interval
 * the node granted, until stopped, then deregisters the instance.
 *
 * <p>Failures it rides out: a broken stream (node leaving, network) is reopened on the next target
 * after a short backoff; a lease the cluster no longer knows (NOT_FOUND, e.g. evicted during a
 * pause) is registered again. Failures that end it: STALE_EPOCH (another process registered the
 * same instance: renewing or deregistering would fight it, exit 4), INVALID (exit 2), DENIED (the
 * caller may not renew leases in the namespace, exit 1), and a stream status that reconnecting
 * cannot fix, such as UNIMPLEMENTED or UNAUTHENTICATED.
 *
 * <p>Threading: runs on the command's thread; stream callbacks and the stop request arrive through
 * {@link StreamEvents}, so no field needs a lock.
 */
final class KeepAliveSession {
  /** Used when a node grants no heartbeat interval: renewing too often beats losing the lease. */
  private static final long FALLBACK_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** Statuses that end the stream for good: another node would answer the same. */
  private static final Set<Status.Code> FATAL =
      EnumSet.of(
          Status.Code.UNIMPLEMENTED,
          Status.Code.INVALID_ARGUMENT,
          Status.Code.UNAUTHENTICATED,
          Status.Code.PERMISSION_DENIED);

  private final RosterCli cli;
  private final Targets targets;
  private final RegisterRequest request;
  private final StreamEvents<KeepAliveResponse> events;

  private RegisterResponse lease;
  private boolean registerPending; // the lease is gone and registering again failed so far
  private StreamObserver<KeepAliveRequest> stream; // null while disconnected
  private int streamNumber;
  private int failures; // stream failures since the last answer

  KeepAliveSession(RosterCli cli, Targets targets, RegisterRequest request) {
    this.cli = cli;
    this.targets = targets;
    this.request = request;
    this.events = new StreamEvents<>(cli.stopSignal());
  }

  /** Keeps {@code first} alive until stopped; returns the exit code. */
  int run(RegisterResponse first) throws InterruptedException {
    lease = first;
    long nextBeatNanos = System.nanoTime() + intervalNanos();
    long reconnectAtNanos = System.nanoTime();
    while (true) {
      if (stream == null && System.nanoTime() - reconnectAtNanos >= 0) {
        if (connect()) {
          nextBeatNanos = System.nanoTime(); // renew at once: a break may have cost time
        } else {
          reconnectAtNanos = System.nanoTime() + backoffNanos();
        }
      }
      long wakeAtNanos = stream == null ? reconnectAtNanos : nextBeatNanos;
      StreamEvents.Event<KeepAliveResponse> event = events.next(wakeAtNanos - System.nanoTime());
      if (event == null) {
        if (stream != null) {
          stream.onNext(
              KeepAliveRequest.newBuilder()
                  .setLeaseId(lease.getLeaseId())
                  .setEpoch(lease.getEpoch())
                  .build());
          nextBeatNanos = System.nanoTime() + intervalNanos();
        }
      } else if (event instanceof StreamEvents.Stopped<KeepAliveResponse>) {
        return stop();
      } else if (event instanceof StreamEvents.Message<KeepAliveResponse> message
          && message.stream() == streamNumber) {
        failures = 0;
        targets.answered();
        int exitCode = onResponse(message.value());
        if (exitCode >= 0) {
          return exitCode;
        }
      } else if (event instanceof StreamEvents.Ended<KeepAliveResponse> ended
          && ended.stream() == streamNumber) {
        onStreamEnded(ended.status());
        reconnectAtNanos = System.nanoTime() + backoffNanos();
      }
    }
  }

  /** Opens a stream to the current target, registering first if the lease was lost. */
  private boolean connect() {
    if (registerPending) {
      try {
        lease = targets.call(RegistryServiceGrpc::newBlockingStub, s -> s.register(request));
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE) {
          throw e;
        }
        failures++;
        cli.err().println("roster: cannot register again: " + targets.explain(e.getStatus()));
        return false;
      }
      registerPending = false;
      cli.print(lease);
    }
    streamNumber++;
    stream =
        RegistryServiceGrpc.newStub(targets.channel()).keepAlive(events.observer(streamNumber));
    return true;
  }

  /** Handles one answer; returns an exit code to end with, or -1 to go on. */
  private int onResponse(KeepAliveResponse response) {
    if (!response.getLeaseId().equals(lease.getLeaseId())
        || response.getState() == LeaseState.LEASE_STATE_ACTIVE) {
      return -1; // renewed, or an answer about a lease replaced since
    }
    cli.print(response);
    switch (response.getState()) {
      case LEASE_STATE_NOT_FOUND:
        // Evicted (e.g. this process was paused past its TTL): register again and renew the new
        // one.
        registerPending = true;
        closeStream();
        return -1;
      case LEASE_STATE_STALE_EPOCH:
        // Another process registered this instance since: it owns the lease now, so neither renew
        // nor deregister it.
        closeStream();
        return cli.fail(Status.FAILED_PRECONDITION.withDescription(response.getMessage()));
      case LEASE_STATE_INVALID:
        closeStream();
        return cli.fail(Status.INVALID_ARGUMENT.withDescription(response.getMessage()));
      case LEASE_STATE_DENIED:
        // Every target would answer the same: renewing on would only let the lease run out.
        closeStream();
        return cli.fail(
            targets.explained(Status.PERMISSION_DENIED.withDescription(response.getMessage())));
      case LEASE_STATE_THROTTLED:
        // Over the node's renewal rate: printed; the next heartbeat, at its time, renews.
        return -1;
      default:
        return -1; // a state this CLI does not know yet: printed, and renewing goes on
    }
  }

  private void onStreamEnded(Status status) {
    stream = null;
    if (FATAL.contains(status.getCode())) {
      throw targets.explained(status).asRuntimeException();
    }
    failures++;
    String from = targets.address();
    String why = targets.explain(status);
    targets.advance();
    cli.err()
        .printf(
            "roster: keepalive stream to %s ended (%s: %s); reconnecting to %s in %d ms%n",
            from,
            status.getCode(),
            why,
            targets.address(),
            TimeUnit.NANOSECONDS.toMillis(backoffNanos()));
  }

  /** Ends the stream and deregisters the instance; its answer is the last line printed. */
  private int stop() {
    closeStream();
    Instance instance = request.getInstance();
    DeregisterRequest deregister =
        DeregisterRequest.newBuilder()
            .setKey(
                RegistryCommands.key(
                    instance.getNamespace(), instance.getService(), lease.getInstanceId()))
            .setEpoch(lease.getEpoch()) // never remove a successor that registered meanwhile
            // Proves the registration is this command's: a node that checks callers requires it
            // of any caller that is not an admin.
            .setLeaseId(lease.getLeaseId())
            .build();
    cli.print(targets.call(RegistryServiceGrpc::newBlockingStub, s -> s.deregister(deregister)));
    return 0;
  }

  private void closeStream() {
    if (stream != null) {
      stream.onCompleted();
      stream = null;
      streamNumber++; // what the closed stream still sends is stale
    }
  }

  private long intervalNanos() {
    long nanos = Durations.toNanos(lease.getHeartbeatInterval());
    return nanos > 0 ? nanos : FALLBACK_INTERVAL_NANOS;
  }

  private long backoffNanos() {
    return failures == 0 ? 0 : TimeUnit.MILLISECONDS.toNanos(Targets.backoffMillis(failures));
  }
}
