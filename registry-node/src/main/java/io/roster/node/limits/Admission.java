package io.roster.node.limits;

import io.netty.util.AttributeKey;
import io.roster.node.access.Principal;
import io.roster.node.config.NodeConfig;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.impl.ConnectionBase;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * Decides whether a call may go on, by what its caller and its connection have spent ({@link
 * NodeConfig.Limits}). Both entry points (a gRPC request, an HTTP/JSON request) ask {@link
 * #allowance} once the caller is known, spend the call's {@link CallKind} at once, and put the
 * {@link Allowance} in the call's Context for what the call spends later (stream slots, heartbeats
 * on a KeepAlive stream).
 *
 * <p>A connection's budget lives on its Netty channel, so it goes with the connection. A caller's
 * lives in a map, dropped once unused for {@link #IDLE_CALLER_NANOS} with no stream open; the map
 * is swept at most once a {@link #SWEEP_NANOS}, or at once when it holds {@link #MANY_CALLERS}.
 *
 * <p>Thread-safe.
 */
public final class Admission {

  static final long IDLE_CALLER_NANOS = TimeUnit.MINUTES.toNanos(5);
  static final long SWEEP_NANOS = TimeUnit.MINUTES.toNanos(1);
  static final int MANY_CALLERS = 100_000;

  private static final AttributeKey<Budget> CONNECTION_BUDGET =
      AttributeKey.valueOf("roster.connection-budget");

  private final NodeConfig.Limits limits;
  private final Map<String, Budget> callers = new ConcurrentHashMap<>();
  private final AtomicLong sweptAtNanos = new AtomicLong(System.nanoTime());
  private final Map<CallKind, LongAdder> refusedCalls = new EnumMap<>(CallKind.class);
  private final LongAdder refusedStreams = new LongAdder();
  private final LongAdder closedConnections = new LongAdder();
  private final Consumer<String> connectionClosedLog;

  /**
   * @param connectionClosedLog logs why a connection was closed for ignoring refusals (the API's
   *     rate-limited request log)
   */
  public Admission(NodeConfig.Limits limits, Consumer<String> connectionClosedLog) {
    this.limits = limits;
    this.connectionClosedLog = connectionClosedLog;
    for (CallKind kind : CallKind.values()) {
      refusedCalls.put(kind, new LongAdder());
    }
  }

  /** No limits: every call goes on. */
  public static Admission off() {
    return new Admission(NodeConfig.Limits.off(), why -> {});
  }

  public boolean enabled() {
    return limits.enabled();
  }

  /**
   * The budgets a call of {@code principal} on {@code connection} draws on.
   *
   * @param connection the client's connection; null for none (every limit but the caller's then)
   */
  public Allowance allowance(HttpConnection connection, Principal principal) {
    if (!limits.enabled()) {
      return Allowance.UNLIMITED;
    }
    long now = System.nanoTime();
    String caller = callerName(connection, principal);
    Budget callerBudget =
        callers.computeIfAbsent(
            caller,
            ignored -> new Budget(limits.perCaller(), limits.burstSeconds(), "caller", now));
    sweepIfDue(now);
    return new Allowance(
        this,
        caller,
        callerBudget,
        connectionBudget(connection, now),
        connection,
        remote(connection));
  }

  /** How one caller is told apart: its principal, or its address when no one is authenticated. */
  private static String callerName(HttpConnection connection, Principal principal) {
    if (principal != Principal.ANYONE || connection == null) {
      return "caller '" + principal.name() + "'";
    }
    SocketAddress remote = connection.remoteAddress();
    String host = remote == null ? null : remote.hostAddress();
    return "caller at " + (host == null ? "an unknown address" : host);
  }

  private static String remote(HttpConnection connection) {
    SocketAddress remote = connection == null ? null : connection.remoteAddress();
    return remote == null ? "an unknown address" : remote.toString();
  }

  private Budget connectionBudget(HttpConnection connection, long now) {
    if (!(connection instanceof ConnectionBase base)) {
      return null;
    }
    var attribute = base.channel().attr(CONNECTION_BUDGET);
    Budget budget = attribute.get();
    if (budget == null) {
      Budget fresh = new Budget(limits.perConnection(), limits.burstSeconds(), "connection", now);
      budget = attribute.setIfAbsent(fresh);
      if (budget == null) {
        budget = fresh;
      }
    }
    return budget;
  }

  private void sweepIfDue(long now) {
    long swept = sweptAtNanos.get();
    boolean due = now - swept > SWEEP_NANOS || callers.size() >= MANY_CALLERS;
    if (due && sweptAtNanos.compareAndSet(swept, now)) {
      // Many callers at once (a scan from many addresses): drop those quiet for a second.
      long idle = callers.size() >= MANY_CALLERS ? TimeUnit.SECONDS.toNanos(1) : IDLE_CALLER_NANOS;
      callers.values().removeIf(budget -> budget.idleSince(now - idle));
    }
  }

  void refused(CallKind kind) {
    refusedCalls.get(kind).increment();
  }

  int refusalsPerSecondBeforeClose() {
    return limits.refusalsPerSecondBeforeClose();
  }

  void closedConnection(String why) {
    closedConnections.increment();
    connectionClosedLog.accept(why);
  }

  /** Connections closed for ignoring refusals since the node started. */
  public long closedConnections() {
    return closedConnections.sum();
  }

  void refusedStream() {
    refusedStreams.increment();
  }

  /** Calls of {@code kind} refused for a rate since the node started. */
  public long refusedCalls(CallKind kind) {
    return refusedCalls.get(kind).sum();
  }

  /** Streams refused for the stream limit since the node started. */
  public long refusedStreams() {
    return refusedStreams.sum();
  }

  /** Callers this node keeps budgets for (those seen in the last minutes). */
  public int trackedCallers() {
    return callers.size();
  }
}
