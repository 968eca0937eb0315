package io.roster.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import java.util.List;
import java.util.Locale;

/**
 * One JSON object built field by field, for the answers that are not one protobuf message ({@code
 * top}'s refreshes, what {@code drain} changed). Messages inside are written as protobuf canonical
 * JSON, like every other answer; the CLI's own numbers are JSON numbers.
 *
 * <p>Not thread-safe: built by one command.
 */
final class JsonObject {
  private static final JsonFormat.Printer PROTO_JSON =
      JsonFormat.printer().alwaysPrintFieldsWithNoPresence().omittingInsignificantWhitespace();

  private final StringBuilder json = new StringBuilder("{");

  JsonObject put(String name, String value) {
    return raw(name, value == null ? "null" : quote(value));
  }

  JsonObject put(String name, long value) {
    return raw(name, Long.toString(value));
  }

  /** A count, or null when there is none (before the second refresh). */
  JsonObject put(String name, Integer value) {
    return raw(name, value == null ? "null" : value.toString());
  }

  /** A number, or null when there is none (a rate before the second refresh). */
  JsonObject put(String name, Double value) {
    return raw(name, value == null ? "null" : String.format(Locale.ROOT, "%.3f", value));
  }

  JsonObject put(String name, boolean value) {
    return raw(name, Boolean.toString(value));
  }

  JsonObject put(String name, MessageOrBuilder message) {
    return raw(name, message == null ? "null" : protoJson(message));
  }

  JsonObject put(String name, JsonObject object) {
    return raw(name, object == null ? "null" : object.toString());
  }

  JsonObject put(String name, List<JsonObject> objects) {
    return raw(
        name, "[" + String.join(",", objects.stream().map(JsonObject::toString).toList()) + "]");
  }

  private JsonObject raw(String name, String valueJson) {
    if (json.length() > 1) {
      json.append(',');
    }
    json.append(quote(name)).append(':').append(valueJson);
    return this;
  }

  /** The object on one line. */
  @Override
  public String toString() {
    return json + "}";
  }

  /** One line of protobuf canonical JSON, every field included (defaults too). */
  static String protoJson(MessageOrBuilder message) {
    try {
      return PROTO_JSON.print(message);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print " + message.getClass().getName(), e);
    }
  }

  /** A JSON string (RFC 8259): quotes, backslashes and control characters escaped. */
  static String quote(String text) {
    StringBuilder quoted = new StringBuilder(text.length() + 2).append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> quoted.append("\\\"");
        case '\\' -> quoted.append("\\\\");
        case '\n' -> quoted.append("\\n");
        case '\r' -> quoted.append("\\r");
        case '\t' -> quoted.append("\\t");
        default -> {
          if (c < 0x20) {
            quoted.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            quoted.append(c);
          }
        }
      }
    }
    return quoted.append('"').toString();
  }
}
