package io.roster.node.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.EncoderBase;
import java.nio.charset.StandardCharsets;

/**
 * The encoder of the node's console appender (logback.xml): each event as one line, in the format
 * {@code log.format} chose ({@link JsonLogLine} or {@link TextLogLine}), text until told otherwise.
 *
 * <p>The format is switched in place ({@link #use}) rather than by reconfiguring logback: the node
 * reads its configuration before it logs anything, and switching one field cannot lose or repeat a
 * line, whatever another thread logs at that moment.
 *
 * <p>Thread-safe: logback calls {@link #encode} from every logging thread (under the appender's
 * lock); the format and node name are volatile.
 */
public final class NodeLogEncoder extends EncoderBase<ILoggingEvent> {

  private volatile LogFormat format = LogFormat.TEXT;
  private volatile String node = "";

  /** From now on, lines in {@code format}, JSON ones naming {@code node}. */
  void use(LogFormat format, String node) {
    this.node = node;
    this.format = format;
  }

  LogFormat format() {
    return format;
  }

  @Override
  public byte[] headerBytes() {
    return null;
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    String line = format == LogFormat.JSON ? JsonLogLine.of(event, node) : TextLogLine.of(event);
    return line.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public byte[] footerBytes() {
    return null;
  }
}
