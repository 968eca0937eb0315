package io.roster.node.api;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;

/**
 * Counts instead of logging one known, harmless Vert.x 5.0.7 error: the {@code
 * NullPointerException} at {@code VertxHttp2Stream$3.cancel} that Netty logs ("Caught Throwable
 * from listener onStreamClosed") each time a client resets a stream whose trailers Vert.x had
 * queued, because Vert.x queued them without a promise (see {@link StreamErrorGuard}).
 *
 * <p>It matters because a client can cause it at will: every stream it resets while the answer
 * waits for flow-control window logs an ERROR with a 40-line stack trace, so an abusive client
 * could flood the log. Only that exception, from that logger and that frame, is held back; the
 * first one is still reported (at WARN, once) and all are counted ({@link #dropped}, exposed as
 * {@code roster_http2_trailers_dropped_total}). Any other error passes unchanged.
 *
 * <p>Installed by logback.xml. Threading: called on any logging thread; lock-free.
 */
public final class DroppedTrailersFilter extends TurboFilter {

  private static final LongAdder DROPPED = new LongAdder();
  private static final String NETTY_LOGGER = "io.netty.handler.codec.http2.DefaultHttp2Connection";

  @Override
  public FilterReply decide(
      Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (t == null || !NETTY_LOGGER.equals(logger.getName()) || !isDroppedTrailers(t)) {
      return FilterReply.NEUTRAL;
    }
    DROPPED.increment();
    if (DROPPED.sum() == 1) {
      LoggerFactory.getLogger(DroppedTrailersFilter.class)
          .warn(
              "a client reset a stream whose answer's trailers Vert.x had queued; Vert.x fails"
                  + " them with a NullPointerException (a known 5.0.7 defect, harmless here)."
                  + " Further ones are counted in roster_http2_trailers_dropped_total, not logged");
    }
    return FilterReply.DENY;
  }

  /** Trailers dropped by Vert.x since the node started. */
  public static long dropped() {
    return DROPPED.sum();
  }

  private static boolean isDroppedTrailers(Throwable t) {
    if (!(t instanceof NullPointerException) || t.getStackTrace().length == 0) {
      return false;
    }
    StackTraceElement top = t.getStackTrace()[0];
    return top.getClassName().equals("io.vertx.core.http.impl.VertxHttp2Stream$3")
        && top.getMethodName().equals("cancel");
  }
}
