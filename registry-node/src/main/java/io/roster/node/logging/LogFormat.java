package io.roster.node.logging;

import java.util.Locale;

/** How the node writes its log lines (key {@code log.format}). */
public enum LogFormat {
  /** One JSON object a line, for a log collector ({@link JsonLogLine}). */
  JSON,
  /**
   * One readable line an event, key-values as {@code key=value}, for a terminal ({@link
   * TextLogLine}).
   */
  TEXT;

  /** The format named {@code name} ("json", "text", any case), or null. */
  public static LogFormat parse(String name) {
    for (LogFormat format : values()) {
      if (format.name().equalsIgnoreCase(name)) {
        return format;
      }
    }
    return null;
  }

  /** The name as written in the configuration: "json", "text". */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
