package io.roster.node.logging;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import java.util.Iterator;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * Applies the configuration's {@code log.*} keys to the process's logging, once, before the node
 * logs its first line: logback has already read logback.xml (text lines, the default levels) when
 * the first logger was created, and nothing has been logged since, so from here on every line is in
 * the configured format and no line is lost or written twice.
 *
 * <p>Process-wide: called by {@code RegistryNodeMain}. Nodes started inside another program (tests)
 * keep that program's logging.
 */
public final class LogSetup {

  private LogSetup() {}

  /**
   * Lines in {@code format} (JSON ones naming {@code nodeName}) from every appender of the root
   * logger that uses {@link NodeLogEncoder}, and {@code levels} set.
   *
   * @return how many appenders were switched: 0 when logback was configured with a file of the
   *     operator's own that does not use {@link NodeLogEncoder}, whose format then stays theirs
   */
  public static int configure(LogFormat format, String nodeName, Map<String, LogLevel> levels) {
    int switched = 0;
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      Iterator<Appender<ILoggingEvent>> appenders =
          context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders();
      while (appenders.hasNext()) {
        if (appenders.next() instanceof OutputStreamAppender<ILoggingEvent> stream
            && stream.getEncoder() instanceof NodeLogEncoder encoder) {
          encoder.use(format, nodeName);
          switched++;
        }
      }
    }
    LogLevels.ofProcess().apply(levels);
    return switched;
  }
}
