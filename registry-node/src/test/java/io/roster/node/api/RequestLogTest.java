package io.roster.node.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RequestLogTest {

  @Test
  void lineBreaksAndControlCharactersAreEscaped() {
    assertEquals(
        "a\\nFORGED ERROR\\r\\t\\u001b[31m\\\\n",
        RequestLog.escape("a\nFORGED ERROR\r\t\u001b[31m\\n"));
    assertEquals("\\u2028\\u2029\\u0085\\u007f", RequestLog.escape("\u2028\u2029\u0085\u007f"));
  }

  @Test
  void unicodeTextIsKeptAndLoneSurrogatesEscaped() {
    assertEquals("caf\u00e9 \ud83d\ude00", RequestLog.escape("caf\u00e9 \ud83d\ude00"));
    assertEquals("a\\ud800b\\udc00", RequestLog.escape("a\ud800b\udc00"));
  }

  @Test
  void longValuesAreCut() {
    String escaped = RequestLog.escape("x".repeat(10_000));

    assertEquals(RequestLog.MAX_VALUE_CHARS + 3, escaped.length());
  }

  @Test
  void nullIsShownAsNull() {
    assertEquals("null", RequestLog.escape(null));
  }
}
