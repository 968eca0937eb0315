package io.roster.node.logging;

import ch.qos.logback.classic.Level;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The levels a logger may be set to, in the configuration ({@code log.levels}) and at run time
 * ({@code PUT /v1/admin/log-levels}). Logback's ALL is left out: it means TRACE.
 */
public enum LogLevel {
  TRACE(Level.TRACE),
  DEBUG(Level.DEBUG),
  INFO(Level.INFO),
  WARN(Level.WARN),
  ERROR(Level.ERROR),
  /** Nothing at all from the logger. */
  OFF(Level.OFF);

  /** The names accepted, for messages: "trace, debug, info, warn, error, off". */
  public static final String NAMES =
      Arrays.stream(values()).map(LogLevel::label).collect(Collectors.joining(", "));

  private final Level logback;

  LogLevel(Level logback) {
    this.logback = logback;
  }

  /** The level named {@code name} (any case), or null. */
  public static LogLevel parse(String name) {
    for (LogLevel level : values()) {
      if (level.name().equalsIgnoreCase(name)) {
        return level;
      }
    }
    return null;
  }

  /** The name as written in the configuration: "debug". */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  Level logback() {
    return logback;
  }
}
