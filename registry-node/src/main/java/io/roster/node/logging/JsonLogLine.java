package io.roster.node.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.event.KeyValuePair;

/**
 * One log event as one line of JSON:
 *
 * <pre>{@code
 * {"time":"2026-03-01T09:30:12.345Z","level":"INFO","node":"node1","logger":"roster.audit",
 *  "thread":"vert.x-eventloop-thread-0","message":"Register default/orders/orders-1 by billing
 *  (revision 7)","principal":"billing","namespace":"default","service":"orders",
 *  "instance":"orders-1"}
 * }</pre>
 *
 * Always {@code time} (UTC, milliseconds), {@code level}, {@code node}, {@code logger}, {@code
 * thread} and {@code message}; {@code stack_trace} when the event carries an exception (the whole
 * trace, causes included, in the one string); then the event's key-values (SLF4J's {@code
 * addKeyValue}) and MDC entries as fields of their own: numbers and booleans as JSON numbers and
 * booleans, anything else as its string. A key named like a field above is written with a {@code _}
 * in front; of two equal keys the first is kept.
 *
 * <p>Every string is escaped by Jackson's generator (quotes, backslashes, control characters), so a
 * line break in a message or a value cannot end the line. Written to a {@link StringWriter}, not a
 * UTF-8 stream: Jackson's UTF-8 generator throws on a lone surrogate, which would lose the event;
 * here it becomes '?' when the line is encoded.
 *
 * <p>Stateless; safe on any thread.
 */
final class JsonLogLine {

  static final List<String> FIELDS =
      List.of("time", "level", "node", "logger", "thread", "message", "stack_trace");

  private static final JsonFactory FACTORY = new JsonFactory();
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private JsonLogLine() {}

  /** {@code event} as a line of JSON, ending with '\n'. */
  static String of(ILoggingEvent event, String node) {
    StringWriter out = new StringWriter(256);
    try (JsonGenerator json = FACTORY.createGenerator(out)) {
      json.writeStartObject();
      json.writeStringField("time", TIME.format(Instant.ofEpochMilli(event.getTimeStamp())));
      json.writeStringField("level", event.getLevel().toString());
      json.writeStringField("node", node);
      json.writeStringField("logger", event.getLoggerName());
      json.writeStringField("thread", event.getThreadName());
      json.writeStringField("message", event.getFormattedMessage());
      IThrowableProxy thrown = event.getThrowableProxy();
      if (thrown != null) {
        json.writeStringField("stack_trace", ThrowableProxyUtil.asString(thrown).stripTrailing());
      }
      Set<String> written = new HashSet<>(FIELDS);
      List<KeyValuePair> keyValues = event.getKeyValuePairs();
      if (keyValues != null) {
        for (KeyValuePair pair : keyValues) {
          field(json, written, pair.key, pair.value);
        }
      }
      Map<String, String> mdc = event.getMDCPropertyMap();
      if (mdc != null) {
        for (Map.Entry<String, String> entry : mdc.entrySet()) {
          field(json, written, entry.getKey(), entry.getValue());
        }
      }
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringWriter does not fail
    }
    return out.append('\n').toString();
  }

  private static void field(JsonGenerator json, Set<String> written, String key, Object value)
      throws IOException {
    String name = String.valueOf(key);
    if (FIELDS.contains(name)) {
      name = "_" + name;
    }
    if (!written.add(name)) {
      return;
    }
    json.writeFieldName(name);
    if (value == null) {
      json.writeNull();
    } else if (value instanceof Integer
        || value instanceof Long
        || value instanceof Short
        || value instanceof Byte) {
      json.writeNumber(((Number) value).longValue());
    } else if ((value instanceof Double || value instanceof Float)
        && Double.isFinite(((Number) value).doubleValue())) {
      json.writeNumber(((Number) value).doubleValue());
    } else if (value instanceof BigInteger big) {
      json.writeNumber(big);
    } else if (value instanceof BigDecimal big) {
      json.writeNumber(big);
    } else if (value instanceof Boolean bool) {
      json.writeBoolean(bool);
    } else {
      json.writeString(String.valueOf(value));
    }
  }
}
