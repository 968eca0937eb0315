package io.roster.node.tls;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.roster.node.config.ConfigException;
import io.roster.node.config.NodeConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.ServerSSLOptions;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rotates the API port's certificate without a restart: reads the TLS files every {@code
 * api.tls.reload-interval-ms} and, when their contents changed and pass {@link TlsMaterial}'s
 * checks, hands them to the server for the connections it accepts from then on. Connections already
 * open keep the session they negotiated, and every stream on them goes on (Vert.x applies new TLS
 * options to new connections only); a client reconnecting gets the new certificate.
 *
 * <p>Failures it prevents: a node serving a certificate until it expires because nobody restarted
 * it; a rotation that breaks the port (a truncated file, a key of another certificate, an expired
 * certificate) is refused, logged once at WARN and counted, and the node keeps serving what it had.
 * A rotation writes two files one after the other, so a check can fall between them and see a
 * certificate with the old key: such a pair is reported only if the next check still sees it, and
 * applied as soon as both files agree.
 *
 * <p>Threading: checks run one at a time on a thread of their own ({@code roster-tls-reload}),
 * which alone reads and writes the fields below but {@link #current}; {@link #close} from any
 * thread.
 */
public final class TlsReloader implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(TlsReloader.class);

  /** Longest wait for Vert.x to build and install a new TLS context. */
  private static final long APPLY_TIMEOUT_MILLIS = 30_000;

  private final NodeConfig.Tls config;
  private final Vertx vertx;
  private final Function<ServerSSLOptions, Future<Boolean>> apply;
  private final ScheduledExecutorService thread;
  private final Counter applied;
  private final Counter rejected;

  /** The material new connections get; read by the expiry gauge. */
  private volatile TlsMaterial current;

  /** What the last check saw that differs from {@link #current} and failed, waiting for a retry. */
  private String pending;

  /** The last contents reported as refused: not reported, nor tried, again. */
  private String reported;

  /**
   * @param current what the server was started with
   * @param apply installs new options on the server, for its next connections
   */
  public TlsReloader(
      NodeConfig.Tls config,
      Vertx vertx,
      TlsMaterial current,
      Function<ServerSSLOptions, Future<Boolean>> apply,
      MeterRegistry meters) {
    this.config = config;
    this.vertx = vertx;
    this.current = current;
    this.apply = apply;
    // One description for both: Prometheus keeps one HELP line per name.
    String reloads =
        "Changes of the API port's TLS files, by outcome: applied to new connections, or"
            + " rejected (unreadable, malformed, key and certificate not a pair, expired) while"
            + " the node kept its certificate";
    this.applied =
        Counter.builder("roster.tls.reloads")
            .tag("outcome", "applied")
            .description(reloads)
            .register(meters);
    this.rejected =
        Counter.builder("roster.tls.reloads")
            .tag("outcome", "rejected")
            .description(reloads)
            .register(meters);
    Gauge.builder(
            "roster.tls.certificate.expiry.seconds",
            this,
            reloader ->
                reloader.current.certificate().getNotAfter().toInstant().getEpochSecond()
                    - Instant.now().getEpochSecond())
        .description("Seconds until the API port's certificate expires; negative once it has")
        .register(meters);
    this.thread =
        Executors.newSingleThreadScheduledExecutor(
            task -> {
              Thread t = new Thread(task, "roster-tls-reload");
              t.setDaemon(true);
              return t;
            });
  }

  /** Checks the files every {@code api.tls.reload-interval-ms}; never when it is 0. */
  public void start() {
    long interval = config.reloadIntervalMillis();
    if (interval > 0) {
      thread.scheduleWithFixedDelay(this::checkQuietly, interval, interval, TimeUnit.MILLISECONDS);
    }
  }

  /** The material new connections get. */
  public TlsMaterial current() {
    return current;
  }

  /** One check, now, on the caller's thread (tests; the schedule calls it on its own). */
  void check() {
    TlsMaterial.Contents contents;
    try {
      contents = TlsMaterial.Contents.read(config);
    } catch (ConfigException e) {
      // A file missing or unreadable for a moment (rotated by delete and create): the same rule.
      String unreadable = "unreadable: " + e.getMessage();
      if (!unreadable.equals(reported)) {
        refuse(unreadable, e.getMessage());
      }
      return;
    }
    if (contents.fingerprint().equals(current.contents().fingerprint())) {
      pending = null; // a half-done change undone, or a refused one put back
      reported = null;
      return;
    }
    if (contents.fingerprint().equals(reported)) {
      return;
    }
    TlsMaterial next;
    try {
      next = TlsMaterial.check(config, vertx, contents);
      apply
          .apply(next.sslOptions())
          .toCompletionStage()
          .toCompletableFuture()
          .get(APPLY_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    } catch (ConfigException e) {
      refuse(contents.fingerprint(), e.getMessage());
      return;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    } catch (Exception e) {
      refuse(contents.fingerprint(), "no TLS context could be built from them: " + e);
      return;
    }
    TlsMaterial previous = current;
    current = next;
    pending = null;
    reported = null;
    applied.increment();
    log.info(
        "API TLS files changed: new connections get {} (was serial {}); open connections keep"
            + " their session and streams",
        next.describe(),
        previous.certificate().getSerialNumber().toString(16));
  }

  /** Reports a refused change the second time in a row it is seen, and once only. */
  private void refuse(String contents, String why) {
    if (!contents.equals(pending)) {
      pending = contents;
      log.debug("API TLS files changed but do not pass yet, checking again: {}", why);
      return;
    }
    pending = null;
    reported = contents;
    rejected.increment();
    log.warn(
        "API TLS files changed but were not applied; new connections still get certificate serial"
            + " {}: {}",
        current.certificate().getSerialNumber().toString(16),
        why);
  }

  private void checkQuietly() {
    try {
      check();
    } catch (RuntimeException e) {
      // Never let one failure end the schedule: the next check tries again.
      log.warn("checking the API TLS files failed; the next check tries again", e);
    }
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
