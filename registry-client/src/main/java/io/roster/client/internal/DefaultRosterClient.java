package io.roster.client.internal;

import io.roster.client.Registration;
import io.roster.client.RosterClient;
import io.roster.client.RosterClientOptions;
import io.roster.client.RosterException;
import io.roster.client.ServiceEndpoints;
import io.roster.client.ServiceInstance;
import io.roster.client.ServiceListener;
import io.roster.client.Subscription;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The {@link RosterClient} behind {@link RosterClient#create}: wires the nodes, the lease keeper
 * and the watch cache to the client's two threads (see {@link ClientThreads}).
 *
 * <p>Threading: thread-safe; every public method may be called from any thread.
 */
public final class DefaultRosterClient implements RosterClient {

  private static final System.Logger log = System.getLogger(DefaultRosterClient.class.getName());

  private final RosterClientOptions options;
  private final ClientThreads threads = new ClientThreads();
  private final RegistryNodes nodes;
  private final LeaseKeeper leases;
  private final WatchCache cache;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Thread shutdownHook;

  private DefaultRosterClient(RosterClientOptions options) {
    this.options = options;
    this.nodes = new RegistryNodes(options);
    Backoff backoff =
        new Backoff(
            options.keepAliveBackoffInitial(),
            options.keepAliveBackoffMax(),
            options.backoffJitter(),
            new SplittableRandom()); // used on the control thread only
    this.leases = new LeaseKeeper(options, nodes, threads, backoff);
    this.cache = new WatchCache(options, nodes, threads, backoff);
    this.shutdownHook =
        options.shutdownHook() ? new Thread(this::closeFromHook, "roster-client-shutdown") : null;
  }

  /** Creates a client; see {@link RosterClient#create}. */
  public static RosterClient create(RosterClientOptions options) {
    DefaultRosterClient client =
        new DefaultRosterClient(Objects.requireNonNull(options, "options"));
    client.cache.loadSnapshotFile();
    if (client.shutdownHook != null) {
      Runtime.getRuntime().addShutdownHook(client.shutdownHook);
    }
    return client;
  }

  @Override
  public Registration register(ServiceInstance instance) {
    checkOpen();
    if (!instance.namespace().isEmpty() && !instance.namespace().equals(options.namespace())) {
      throw new RosterException(
          RosterException.Code.INVALID_ARGUMENT,
          "instance namespace "
              + instance.namespace()
              + " is not the client's ("
              + options.namespace()
              + "): use a client per namespace");
    }
    try {
      return Errors.await(
          leases.register(instance), leases.callBudget(), "Register " + instance.service());
    } catch (RejectedExecutionException e) {
      throw closedMeanwhile(e);
    }
  }

  @Override
  public ServiceEndpoints discover(String service) {
    checkOpen();
    try {
      return cache.discover(service);
    } catch (RejectedExecutionException e) {
      throw closedMeanwhile(e);
    }
  }

  @Override
  public Subscription watch(String service, ServiceListener listener) {
    checkOpen();
    try {
      return cache.watch(service, Objects.requireNonNull(listener, "listener"));
    } catch (RejectedExecutionException e) {
      throw closedMeanwhile(e);
    }
  }

  @Override
  public RosterClientOptions options() {
    return options;
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    if (shutdownHook != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(shutdownHook);
      } catch (IllegalStateException shuttingDown) {
        // Called from the hook itself, or while the JVM stops: nothing to remove.
      }
    }
    try {
      Errors.await(leases.closeAll(), leases.closeBudget(), "close registrations");
    } catch (RosterException e) {
      log.log(System.Logger.Level.WARNING, "closing registrations: {0}", e.getMessage());
    }
    CompletableFuture<List<SnapshotFile.Saved>> toSave = new CompletableFuture<>();
    threads.control.execute(
        () -> {
          leases.shutdown();
          cache.shutdown();
          toSave.complete(cache.toSave());
        });
    try {
      cache.saveNow(toSave.get(5, TimeUnit.SECONDS));
    } catch (ExecutionException | TimeoutException e) {
      log.log(System.Logger.Level.WARNING, "closing the watch cache: {0}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    threads.shutdown();
    nodes.close();
  }

  private void closeFromHook() {
    log.log(System.Logger.Level.INFO, "JVM shutting down: closing the Roster client");
    close();
  }

  /** The client's threads refused work: it was closed while the call was on its way. */
  private static RosterException closedMeanwhile(RejectedExecutionException e) {
    return new RosterException(RosterException.Code.CLOSED, "the Roster client was closed", e);
  }

  private void checkOpen() {
    if (closed.get()) {
      throw new RosterException(RosterException.Code.CLOSED, "the Roster client is closed");
    }
  }
}
