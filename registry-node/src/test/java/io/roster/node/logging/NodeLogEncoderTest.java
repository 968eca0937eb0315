package io.roster.node.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/**
 * The node's log lines as logback writes them through {@link NodeLogEncoder}: a logger context of
 * the test's own, an appender writing to memory, events made by SLF4J's fluent API.
 */
class NodeLogEncoderTest {

  private static final String TIME = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";

  private final LoggerContext context = new LoggerContext();
  private final ByteArrayOutputStream written = new ByteArrayOutputStream();
  private final NodeLogEncoder encoder = new NodeLogEncoder();
  private Logger log;

  @BeforeEach
  void appendToMemory() {
    context.setMDCAdapter(MDC.getMDCAdapter());
    context.start();
    encoder.setContext(context);
    encoder.start();
    OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
    appender.setContext(context);
    appender.setEncoder(encoder);
    appender.setOutputStream(written);
    appender.start();
    log = context.getLogger("io.roster.node.cluster.EvictionSweeper");
    log.addAppender(appender);
  }

  @AfterEach
  void stop() {
    MDC.clear();
    context.stop();
  }

  @Test
  void eachJsonLineIsOneObjectWithTheEventsFieldsAndKeyValues() {
    encoder.use(LogFormat.JSON, "node-7");

    log.atInfo()
        .addKeyValue("namespace", "default")
        .addKeyValue("service", "orders")
        .addKeyValue("instance", "orders-1")
        .addKeyValue("epoch", 12L)
        .addKeyValue("declared", true)
        .log("declared {} expired", "default/orders/orders-1");
    log.atWarn().addKeyValue("message", "a key named like a field").log("second");

    List<JsonObject> lines = jsonLines();
    assertEquals(2, lines.size());
    JsonObject first = lines.get(0);
    assertTrue(first.getString("time").matches(TIME), first.encode());
    assertEquals("INFO", first.getString("level"));
    assertEquals("node-7", first.getString("node"));
    assertEquals("io.roster.node.cluster.EvictionSweeper", first.getString("logger"));
    assertEquals(Thread.currentThread().getName(), first.getString("thread"));
    assertEquals("declared default/orders/orders-1 expired", first.getString("message"));
    assertEquals("default", first.getString("namespace"));
    assertEquals("orders", first.getString("service"));
    assertEquals("orders-1", first.getString("instance"));
    assertEquals(12L, first.getLong("epoch"), "a number stays a number");
    assertTrue(first.getValue("epoch") instanceof Number, first.encode());
    assertEquals(true, first.getValue("declared"));
    assertNull(first.getValue("stack_trace"), "no exception, no stack trace");

    JsonObject second = lines.get(1);
    assertEquals("second", second.getString("message"), "the event's message wins its name");
    assertEquals("a key named like a field", second.getString("_message"));
  }

  @Test
  void aStackTraceAndLineBreaksStayInsideTheOneJsonLine() {
    encoder.use(LogFormat.JSON, "node-7");
    IllegalStateException failure =
        new IllegalStateException("outer", new IllegalArgumentException("inner\ncause"));

    log.atError()
        .addKeyValue("service", "a\nFORGED {\"level\":\"ERROR\"}")
        .setCause(failure)
        .log("sweep failed\nsecond line of the message");

    String text = written.toString(StandardCharsets.UTF_8);
    assertEquals(1, text.lines().count(), text);
    JsonObject line = new JsonObject(text);
    assertEquals("sweep failed\nsecond line of the message", line.getString("message"));
    assertEquals("a\nFORGED {\"level\":\"ERROR\"}", line.getString("service"));
    String stack = line.getString("stack_trace");
    assertTrue(stack.startsWith("java.lang.IllegalStateException: outer\n\tat "), stack);
    assertTrue(
        stack.contains("Caused by: java.lang.IllegalArgumentException: inner\ncause"), stack);
    assertTrue(stack.contains(NodeLogEncoderTest.class.getName()), stack);
  }

  @Test
  void mdcEntriesAreFieldsTooAndALoneSurrogateLosesNoEvent() {
    encoder.use(LogFormat.JSON, "node-7");
    MDC.put("principal", "billing");

    log.info("half a pair: \ud800");

    JsonObject line = jsonLines().get(0);
    assertEquals("billing", line.getString("principal"));
    assertEquals("half a pair: ?", line.getString("message"));
  }

  @Test
  void textLinesShowKeyValuesAfterTheMessageQuotedWhereNeeded() {
    encoder.use(LogFormat.TEXT, "node-7");

    log.atInfo()
        .addKeyValue("service", "orders")
        .addKeyValue("instance", "orders 1")
        .addKeyValue("principal", "")
        .addKeyValue("note", "x=\"y\"\nFORGED")
        .log("declared");
    log.atError().setCause(new IllegalStateException("boom")).log("failed");

    List<String> lines = written.toString(StandardCharsets.UTF_8).lines().toList();
    assertTrue(
        lines
            .get(0)
            .matches(
                "\\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  \\[[^]]+] i\\.r\\.n\\.c\\.EvictionSweeper"
                    + " - declared service=orders instance=\"orders 1\" principal=\"\""
                    + " note=\"x=\\\\\"y\\\\\"\\\\nFORGED\""),
        lines.get(0));
    assertTrue(
        lines
            .get(1)
            .endsWith(
                " ERROR ["
                    + Thread.currentThread().getName()
                    + "] "
                    + "i.r.n.c.EvictionSweeper - failed"),
        lines.get(1));
    assertEquals("java.lang.IllegalStateException: boom", lines.get(2));
    assertTrue(lines.get(3).startsWith("\tat "), lines.get(3));
    assertFalse(lines.stream().anyMatch(line -> line.startsWith("FORGED")), lines.toString());
  }

  @Test
  void theFormatIsTextUntilTheNodeSaysOtherwise() {
    log.info("before");
    encoder.use(LogFormat.JSON, "node-7");
    log.info("after");

    List<String> lines = written.toString(StandardCharsets.UTF_8).lines().toList();
    assertEquals(2, lines.size(), lines.toString());
    assertTrue(lines.get(0).endsWith(" - before"), lines.get(0));
    assertEquals("after", new JsonObject(lines.get(1)).getString("message"));
  }

  private List<JsonObject> jsonLines() {
    return written.toString(StandardCharsets.UTF_8).lines().map(JsonObject::new).toList();
  }
}
