package io.roster.node.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.roster.node.access.Principal;
import io.roster.node.access.Role;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

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

  @Test
  void aRefusalCarriesWhatItWasAboutAsEscapedKeyValues() {
    Principal billing = new Principal("billing", Map.of("billing", EnumSet.of(Role.REGISTER)));
    Logger logger = (Logger) LoggerFactory.getLogger(RequestLog.class);
    ListAppender<ILoggingEvent> logged = new ListAppender<>();
    logged.start();
    logger.addAppender(logged);
    try {
      RequestLog.refused(
          "Register (key-values test)",
          "billing may not call Register in namespace \"orders\"",
          RequestLog.About.instance(billing, "", "orders\nFORGED", "o-1"));
      RequestLog.refused(
          "Heartbeat (key-values test)",
          "unknown lease",
          RequestLog.About.leaseId(Principal.ANYONE, "default/orders/a/b/7.TAGTAGTAG"));
      RequestLog.refused(
          "Heartbeat (key-values test)",
          "not a lease id",
          RequestLog.About.leaseId(Principal.ANYONE, "TOKEN-LIKE"));
    } finally {
      logger.detachAppender(logged);
    }

    assertEquals(3, logged.list.size(), logged.list.toString());
    assertEquals(
        Map.of(
            "principal", "billing",
            "namespace", "default",
            "service", "orders\\nFORGED",
            "instance", "o-1"),
        keyValues(logged.list.get(0)));
    assertEquals(
        Map.of("namespace", "default", "service", "orders", "instance", "a/b"),
        keyValues(logged.list.get(1)),
        "a lease id's parts, never its tag; no principal while access control is off");
    assertEquals(Map.of(), keyValues(logged.list.get(2)));
  }

  private static Map<String, Object> keyValues(ILoggingEvent event) {
    Map<String, Object> values = new LinkedHashMap<>();
    if (event.getKeyValuePairs() != null) {
      event.getKeyValuePairs().forEach(pair -> values.put(pair.key, pair.value));
    }
    return values;
  }
}
