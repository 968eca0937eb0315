package io.roster.bench;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Map;

/** Writes one flat JSON object per line: strings, numbers, booleans and nulls. */
final class Json {
  private Json() {}

  static String object(Map<String, ?> fields) {
    StringBuilder json = new StringBuilder("{");
    boolean first = true;
    for (Map.Entry<String, ?> field : fields.entrySet()) {
      if (!first) {
        json.append(',');
      }
      first = false;
      string(json, field.getKey());
      json.append(':');
      value(json, field.getValue());
    }
    return json.append('}').toString();
  }

  /** A number as written in JSON and in the tables: at most three decimals, no exponent. */
  static String number(Number number) {
    if (number instanceof Double || number instanceof Float) {
      double value = number.doubleValue();
      if (Double.isNaN(value) || Double.isInfinite(value)) {
        return "null";
      }
      BigDecimal rounded = BigDecimal.valueOf(value).setScale(3, RoundingMode.HALF_UP);
      String text = rounded.stripTrailingZeros().toPlainString();
      return text.equals("-0") ? "0" : text;
    }
    return number.toString();
  }

  private static void value(StringBuilder json, Object value) {
    if (value == null) {
      json.append("null");
    } else if (value instanceof Number number) {
      json.append(number(number));
    } else if (value instanceof Boolean bool) {
      json.append(bool);
    } else {
      string(json, value.toString());
    }
  }

  private static void string(StringBuilder json, String text) {
    json.append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '"' -> json.append("\\\"");
        case '\\' -> json.append("\\\\");
        case '\n' -> json.append("\\n");
        case '\r' -> json.append("\\r");
        case '\t' -> json.append("\\t");
        default -> {
          if (c < 0x20) {
            json.append(String.format("\\u%04x", (int) c));
          } else {
            json.append(c);
          }
        }
      }
    }
    json.append('"');
  }
}
