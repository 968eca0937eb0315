package io.roster.client;

import java.util.concurrent.CompletableFuture;

/**
 * One instance registered by a {@link RosterClient}, kept alive until closed.
 *
 * <p>The client renews the lease on its one KeepAlive stream at the interval the registry granted
 * (a third of the TTL), moves to another node when that stream breaks or stops answering, registers
 * again (with a new epoch) when the registry has lost the lease, and gives up ({@link
 * RegistrationState#LOST}) when another process registered the same instance since.
 *
 * <p>{@link #close()} marks the instance DRAINING, waits the client's drain delay (callers stop
 * sending it new work meanwhile, while heartbeats go on), then deregisters it with its epoch, so a
 * successor registered meanwhile is never removed.
 *
 * <p>Threading: every method may be called from any thread. Listeners run on the client's event
 * thread.
 */
public interface Registration extends AutoCloseable {

  /** The instance as the registry accepted it: its instance id and current epoch filled in. */
  ServiceInstance instance();

  /** The instance id (the registry's default "host:port" when none was given). */
  default String instanceId() {
    return instance().instanceId();
  }

  /** The current registration epoch; higher after each registration again. */
  default long epoch() {
    return instance().epoch();
  }

  RegistrationState state();

  /** Adds a listener, told of every change of {@link #state()} from now on. */
  Subscription addListener(RegistrationListener listener);

  /**
   * Sets whether the instance takes work (for example OUT_OF_SERVICE when the application's own
   * health check fails). Kept across registrations again.
   *
   * @throws RosterException UNAVAILABLE when no node answered; FAILED_PRECONDITION when the
   *     registration was replaced (LOST); CLOSED after {@link #close()}
   */
  void setStatus(InstanceStatus status);

  /**
   * Drains and deregisters without blocking: completes once the instance is deregistered (or, when
   * no node answered, once the client gave up: the lease then runs out by itself).
   */
  CompletableFuture<Void> closeAsync();

  /**
   * Drains then deregisters, blocking for the drain delay and the calls. Never throws for a node
   * that did not answer: the lease then runs out by itself.
   */
  @Override
  void close();
}
