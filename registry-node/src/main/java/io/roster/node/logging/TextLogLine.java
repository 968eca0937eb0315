package io.roster.node.logging;

import ch.qos.logback.classic.pattern.TargetLengthBasedClassNameAbbreviator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import org.slf4j.event.KeyValuePair;

/**
 * One log event as a line for a person at a terminal, as logback's pattern {@code %d{HH:mm:ss.SSS}
 * %-5level [%thread] %logger{20} - %msg%n} writes it, with the event's key-values and MDC entries
 * after the message as {@code key=value}, and a stack trace on the lines below:
 *
 * <pre>
 * 09:30:12.345 INFO  [vert.x-eventloop-thread-0] roster.audit - Register default/orders/orders-1 by billing (revision 7) principal=billing namespace=default service=orders instance=orders-1
 * </pre>
 *
 * A value is quoted when it is empty or holds a space, '=', a quote or a character that must be
 * escaped (backslash, control characters, line separators), which are then escaped as in Java: a
 * value cannot break the line or pass for another key.
 *
 * <p>Stateless; safe on any thread.
 */
final class TextLogLine {

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneId.systemDefault());
  private static final TargetLengthBasedClassNameAbbreviator LOGGER =
      new TargetLengthBasedClassNameAbbreviator(20);

  private TextLogLine() {}

  /** {@code event} as a line (and its stack trace's lines), ending with '\n'. */
  static String of(ILoggingEvent event) {
    StringBuilder line = new StringBuilder(160);
    line.append(TIME.format(Instant.ofEpochMilli(event.getTimeStamp()))).append(' ');
    String level = event.getLevel().toString();
    line.append(level);
    for (int pad = level.length(); pad < 5; pad++) {
      line.append(' ');
    }
    line.append(" [").append(event.getThreadName()).append("] ");
    line.append(LOGGER.abbreviate(event.getLoggerName())).append(" - ");
    line.append(event.getFormattedMessage());
    List<KeyValuePair> keyValues = event.getKeyValuePairs();
    if (keyValues != null) {
      for (KeyValuePair pair : keyValues) {
        line.append(' ').append(pair.key).append('=');
        value(line, String.valueOf(pair.value));
      }
    }
    Map<String, String> mdc = event.getMDCPropertyMap();
    if (mdc != null) {
      for (Map.Entry<String, String> entry : mdc.entrySet()) {
        line.append(' ').append(entry.getKey()).append('=');
        value(line, String.valueOf(entry.getValue()));
      }
    }
    line.append('\n');
    IThrowableProxy thrown = event.getThrowableProxy();
    if (thrown != null) {
      line.append(ThrowableProxyUtil.asString(thrown).stripTrailing()).append('\n');
    }
    return line.toString();
  }

  private static void value(StringBuilder line, String value) {
    if (!needsQuotes(value)) {
      line.append(value);
      return;
    }
    line.append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> line.append("\\\"");
        case '\\' -> line.append("\\\\");
        case '\n' -> line.append("\\n");
        case '\r' -> line.append("\\r");
        case '\t' -> line.append("\\t");
        default -> {
          if (mustEscape(c)) {
            line.append(String.format("\\u%04x", (int) c));
          } else {
            line.append(c);
          }
        }
      }
    }
    line.append('"');
  }

  private static boolean needsQuotes(String value) {
    if (value.isEmpty()) {
      return true;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == ' ' || c == '=' || c == '"' || c == '\\' || mustEscape(c)) {
        return true;
      }
    }
    return false;
  }

  private static boolean mustEscape(char c) {
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029';
  }
}
