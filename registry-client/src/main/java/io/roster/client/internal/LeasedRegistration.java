package io.roster.client.internal;

import io.roster.client.InstanceStatus;
import io.roster.client.Registration;
import io.roster.client.RegistrationListener;
import io.roster.client.RegistrationState;
import io.roster.client.RosterException;
import io.roster.client.ServiceInstance;
import io.roster.client.Subscription;
import io.roster.v1.RegisterRequest;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;

/**
 * One registration's lease as {@link LeaseKeeper} renews it, and its public handle.
 *
 * <p>Threading: the fields marked "control" are touched only on the client's control thread (by the
 * keeper). {@link #instance} and {@link #state} are volatile, read by any thread and written on
 * control. Listeners are called on the events executor, in order.
 */
final class LeasedRegistration implements Registration {

  private static final System.Logger log = System.getLogger(LeasedRegistration.class.getName());

  private final LeaseKeeper keeper;
  private final Executor events;
  private final List<RegistrationListener> listeners = new CopyOnWriteArrayList<>();
  private final CompletableFuture<Void> closed = new CompletableFuture<>();

  private volatile ServiceInstance instance;
  private volatile RegistrationState state = RegistrationState.ACTIVE;

  // control: what to register again with (the instance with its current status) and the lease.
  RegisterRequest request;

  /** Written on the control thread; read by SetStatus from any thread. */
  volatile String leaseId;

  long intervalNanos;
  long nextBeatNanos;

  /** control: send times of heartbeats not yet answered on the current stream, oldest first. */
  final ArrayDeque<Long> unanswered = new ArrayDeque<>();

  /** control: answers still due to heartbeats of a lease since registered again: not ours. */
  int answersToSkip;

  boolean registeringAgain;
  int registerFailures;
  volatile boolean closing;

  LeasedRegistration(LeaseKeeper keeper, Executor events, ServiceInstance instance) {
    this.keeper = keeper;
    this.events = events;
    this.instance = instance;
  }

  @Override
  public ServiceInstance instance() {
    return instance;
  }

  @Override
  public RegistrationState state() {
    return state;
  }

  @Override
  public Subscription addListener(RegistrationListener listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  @Override
  public void setStatus(InstanceStatus status) {
    if (closed.isDone() || closing) {
      throw new RosterException(RosterException.Code.CLOSED, "registration " + this + " is closed");
    }
    Errors.await(keeper.setStatus(this, status), keeper.callBudget(), "SetStatus " + status);
  }

  @Override
  public CompletableFuture<Void> closeAsync() {
    keeper.close(this);
    return closed.copy();
  }

  @Override
  public void close() {
    try {
      Errors.await(closeAsync(), keeper.closeBudget(), "close " + this);
    } catch (RosterException e) {
      // Never thrown for a node that did not answer: the lease then runs out by itself.
      log.log(System.Logger.Level.WARNING, "closing {0}: {1}", this, e.getMessage());
    }
  }

  /** control: the registry accepted it (again) with this lease. */
  void leased(
      ServiceInstance accepted, RegisterRequest request, String leaseId, Duration interval) {
    this.instance = accepted;
    this.request = request;
    this.leaseId = leaseId;
    this.intervalNanos = Math.max(interval.toNanos(), LeaseKeeper.MIN_INTERVAL_NANOS);
  }

  /** control: the instance's status changed on the registry. */
  void statusSet(InstanceStatus status) {
    instance = instance.toBuilder().status(status).build();
    request =
        request.toBuilder()
            .setInstance(request.getInstance().toBuilder().setStatus(Protos.toProto(status)))
            .build();
  }

  /** control: moves to {@code next}, telling the listeners when it is a change. */
  void moveTo(RegistrationState next, String reason) {
    if (state == next || state == RegistrationState.CLOSED) {
      return;
    }
    state = next;
    log.log(
        next == RegistrationState.LOST ? System.Logger.Level.WARNING : System.Logger.Level.INFO,
        "{0} is {1}: {2}",
        this,
        next,
        reason);
    for (RegistrationListener listener : listeners) {
      events.execute(
          () -> {
            try {
              listener.stateChanged(this, next, reason);
            } catch (RuntimeException e) {
              log.log(System.Logger.Level.WARNING, "a registration listener failed", e);
            }
          });
    }
  }

  /** control: close is over. */
  void closed() {
    closed.complete(null);
  }

  boolean isClosed() {
    return closed.isDone();
  }

  @Override
  public String toString() {
    ServiceInstance current = instance;
    return current.service() + "/" + current.instanceId() + "@" + current.epoch();
  }
}
