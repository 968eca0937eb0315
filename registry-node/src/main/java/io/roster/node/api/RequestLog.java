package io.roster.node.api;

import io.roster.node.access.Principal;
import io.roster.node.domain.InstanceValidator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * The one way the API logs what callers sent, so that no caller can flood or forge the node's log.
 *
 * <ul>
 *   <li>Every value is escaped ({@link #escape}): a {@code \n} in a lease id cannot start a line of
 *       its own that looks like the node's.
 *   <li>Lines are rate limited per kind (a method and an outcome, never a caller-chosen string): at
 *       most {@value #LINES_PER_WINDOW} per {@value #WINDOW_MILLIS} ms each, and the next line says
 *       how many were left out. 2,000 malformed requests cost a few lines, not megabytes.
 *   <li>A refused request is one line at INFO without a stack trace: it is the caller's mistake.
 *       Only the node's own failures ({@link #unexpected}) carry a stack trace, at ERROR, under the
 *       same limit (a bug a request triggers can be triggered 2,000 times too).
 *   <li>What a call was about ({@link About}: its principal, the instance or service its request
 *       names) goes with the line as key-values, escaped and cut like the message, so a JSON line
 *       can be found by {@code service} or {@code principal}.
 * </ul>
 *
 * <p>Threading: any thread; the windows are updated under a lock of their own, held for a few
 * arithmetic operations.
 */
public final class RequestLog {

  static final int LINES_PER_WINDOW = 5;
  static final long WINDOW_MILLIS = 10_000;

  /** Longest value logged; longer ones are cut, so one request cannot write a megabyte line. */
  static final int MAX_VALUE_CHARS = 300;

  private static final Logger log = LoggerFactory.getLogger(RequestLog.class);

  /** Kind → its window. Kinds are names from the code, so the map stays small. */
  private static final Map<String, Window> windows = new ConcurrentHashMap<>();

  private RequestLog() {}

  /** A request refused for bad input: {@code "<kind> refused: <message>"} at INFO. */
  public static void refused(String kind, String message) {
    refused(kind, message, About.NOTHING);
  }

  /** As {@link #refused(String, String)}, with what the call was about as key-values. */
  public static void refused(String kind, String message, About about) {
    long skipped = admit(kind + " refused");
    if (skipped >= 0) {
      about
          .addTo(log.atInfo())
          .log("{} refused: {}{}", kind, escape(message), skippedNote(skipped));
    }
  }

  /**
   * A client refused what the node sent (an xDS NACK), at WARN: the node made something that client
   * does not accept, a defect of the node's or of the client's, worth a look either way.
   */
  public static void rejectedByClient(String kind, String message) {
    long skipped = admit(kind + " rejected");
    if (skipped >= 0) {
      log.warn("{} rejected by the client: {}{}", kind, escape(message), skippedNote(skipped));
    }
  }

  /** A call the node could not serve now (cut off, storage unreachable), at WARN. */
  public static void unavailable(String kind, String why, About about) {
    long skipped = admit(kind + " unavailable");
    if (skipped >= 0) {
      about
          .addTo(log.atWarn())
          .log("{} answered UNAVAILABLE: {}{}", kind, escape(why), skippedNote(skipped));
    }
  }

  /**
   * A client connection the node closed ({@code onError} false, INFO) or that closed on an error
   * (WARN). A client can make either happen at will, so these are limited like the rest.
   */
  public static void connectionClosed(boolean onError, String message) {
    String kind = onError ? "connection closed on an error" : "connection closed by the node";
    long skipped = admit(kind);
    if (skipped < 0) {
      return;
    }
    if (onError) {
      log.warn("{}: {}{}", kind, escape(message), skippedNote(skipped));
    } else {
      log.info("{}: {}{}", kind, escape(message), skippedNote(skipped));
    }
  }

  /** A failure of the node's own (a bug): at ERROR with its stack trace. */
  public static void unexpected(String kind, Throwable failure, About about) {
    long skipped = admit(kind + " unexpected");
    if (skipped >= 0) {
      about
          .addTo(log.atError())
          .setCause(failure)
          .log("{} failed unexpectedly{}", kind, skippedNote(skipped));
    }
  }

  /**
   * What a logged call was about, each part escaped and cut ({@link #escape}) and left out when
   * null or empty: the principal that called ({@code principal}; left out while access control is
   * off, when everyone is "anyone") and the instance or service its request names ({@code
   * namespace}, {@code service}, {@code instance}: the instance id), as the caller sent them.
   */
  public record About(String principal, String namespace, String service, String instance) {

    public static final About NOTHING = new About(null, null, null, null);

    /** A call by {@code principal} about nothing in particular. */
    public static About principal(Principal principal) {
      return new About(nameOf(principal), null, null, null);
    }

    /** A call about an instance (or, with an empty id, a service); "" is the default namespace. */
    public static About instance(
        Principal principal, String namespace, String service, String instanceId) {
      return new About(
          nameOf(principal),
          namespace.isEmpty() ? InstanceValidator.DEFAULT_NAMESPACE : namespace,
          service,
          instanceId);
    }

    /**
     * A call about the instance a lease id names ({@code namespace/service/instance_id/epoch.tag}),
     * read from its shape alone, never its tag; only the principal when it is not so shaped.
     */
    public static About leaseId(Principal principal, String leaseId) {
      int dot = leaseId.lastIndexOf('.');
      int epoch = leaseId.lastIndexOf('/', dot);
      int first = leaseId.indexOf('/');
      int second = first < 0 ? -1 : leaseId.indexOf('/', first + 1);
      if (dot < 0 || first <= 0 || second <= first + 1 || epoch <= second + 1) {
        return principal(principal);
      }
      return new About(
          nameOf(principal),
          leaseId.substring(0, first),
          leaseId.substring(first + 1, second),
          leaseId.substring(second + 1, epoch));
    }

    LoggingEventBuilder addTo(LoggingEventBuilder event) {
      add(event, "principal", principal);
      add(event, "namespace", namespace);
      add(event, "service", service);
      add(event, "instance", instance);
      return event;
    }

    private static void add(LoggingEventBuilder event, String key, String value) {
      if (value != null && !value.isEmpty()) {
        event.addKeyValue(key, escape(value));
      }
    }

    private static String nameOf(Principal principal) {
      return principal == null || principal == Principal.ANYONE ? null : principal.name();
    }
  }

  /**
   * {@code value} safe for one log line: backslash, control characters (CR, LF, tab, ESC, ...),
   * DEL, the Unicode line and paragraph separators and lone surrogates become {@code \n}, {@code
   * \\u2028} and the like; the rest is kept. Values longer than {@value #MAX_VALUE_CHARS}
   * characters are cut, with "..." appended. Every caller-supplied value in a log line goes through
   * here.
   */
  public static String escape(Object value) {
    String text = String.valueOf(value);
    StringBuilder out = new StringBuilder(Math.min(text.length(), MAX_VALUE_CHARS) + 8);
    int end = Math.min(text.length(), MAX_VALUE_CHARS);
    for (int i = 0; i < end; i++) {
      char c = text.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20
              || (c >= 0x7f && c <= 0x9f)
              || c == '\u2028'
              || c == '\u2029'
              || (Character.isSurrogate(c) && !pairedSurrogate(text, i))) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    if (text.length() > end) {
      out.append("...");
    }
    return out.toString();
  }

  private static boolean pairedSurrogate(String text, int i) {
    char c = text.charAt(i);
    if (Character.isHighSurrogate(c)) {
      return i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1));
    }
    return i > 0 && Character.isHighSurrogate(text.charAt(i - 1));
  }

  /** The lines of {@code kind} left out since its last logged one, or -1 to leave this one out. */
  private static long admit(String kind) {
    return windows.computeIfAbsent(kind, ignored -> new Window()).admit(System.currentTimeMillis());
  }

  private static String skippedNote(long skipped) {
    return skipped == 0 ? "" : " (" + skipped + " more like it not logged)";
  }

  /** One kind's rate limit: a fixed window, and what it left out. */
  private static final class Window {
    private long startMillis;
    private int lines;
    private long skipped;

    synchronized long admit(long nowMillis) {
      if (nowMillis - startMillis >= WINDOW_MILLIS || nowMillis < startMillis) {
        startMillis = nowMillis;
        lines = 0;
      }
      if (lines >= LINES_PER_WINDOW) {
        skipped++;
        return -1;
      }
      lines++;
      long reported = skipped;
      skipped = 0;
      return reported;
    }
  }
}
