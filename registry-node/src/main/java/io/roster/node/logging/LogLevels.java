package io.roster.node.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/**
 * The levels of the process's loggers: set from the configuration at start ({@code log.levels}) and
 * read or changed at run time ({@code /v1/admin/log-levels}). A level set on a logger holds for
 * every logger under it ({@code io.roster.node.cluster} covers {@code
 * io.roster.node.cluster.Leadership}) that has none of its own; a logger without one inherits its
 * parent's. Changes are not kept: a restart applies the configuration again.
 *
 * <p>Thread-safe: logback's loggers are; each change is one call on one logger.
 */
public final class LogLevels {

  /** Longest logger name accepted: far above any class name, and bounded for the log line. */
  public static final int MAX_LOGGER_NAME_CHARS = 200;

  /**
   * Most loggers the process may hold before setting a level on a logger that does not exist yet
   * (and would be created) is refused. A node has a few hundred; without a bound, callers could
   * make it create loggers without end.
   */
  static final int MAX_LOGGERS = 10_000;

  private static final Pattern LOGGER_NAME = Pattern.compile("[A-Za-z0-9_.$-]+");

  private final LoggerContext context;

  private LogLevels(LoggerContext context) {
    this.context = context;
  }

  /**
   * The loggers of this process.
   *
   * @throws IllegalStateException when SLF4J is not bound to logback (never in the node's jar)
   */
  public static LogLevels ofProcess() {
    ILoggerFactory factory = LoggerFactory.getILoggerFactory();
    if (!(factory instanceof LoggerContext context)) {
      throw new IllegalStateException(
          "log levels are set through logback, and SLF4J is bound to "
              + factory.getClass().getName());
    }
    return new LogLevels(context);
  }

  /**
   * What is wrong with {@code name} as a logger name ("is empty", ...), or null when nothing is.
   * Names are package or class names, or {@code ROOT}.
   */
  public static String problemWithName(String name) {
    if (name.isEmpty()) {
      return "is empty: name a package or class, such as io.roster.node.cluster, or ROOT";
    }
    if (name.length() > MAX_LOGGER_NAME_CHARS) {
      return "is longer than " + MAX_LOGGER_NAME_CHARS + " characters";
    }
    if (!LOGGER_NAME.matcher(name).matches()) {
      return "may hold only letters, digits and _ . $ -";
    }
    return null;
  }

  /**
   * A logger's level.
   *
   * @param logger its name ({@code ROOT} for the root logger)
   * @param level the level set on it, or null when it inherits its parent's
   * @param effective the level it logs at
   */
  public record Setting(String logger, LogLevel level, LogLevel effective) {}

  /** Every logger with a level of its own, the root first, then by name. */
  public List<Setting> configured() {
    List<Setting> settings = new ArrayList<>();
    for (Logger logger : context.getLoggerList()) {
      if (logger.getLevel() != null) {
        settings.add(setting(logger.getName(), logger));
      }
    }
    settings.sort(
        Comparator.comparing((Setting s) -> !isRoot(s.logger())).thenComparing(Setting::logger));
    return settings;
  }

  /** {@code logger}'s level as it is now; the logger is not created if it does not exist. */
  public Setting get(String logger) {
    return setting(logger, existing(logger));
  }

  /**
   * Sets {@code logger}'s level, or with null makes it inherit its parent's again.
   *
   * @throws IllegalArgumentException for a bad name, for the root logger without a level (it has no
   *     parent), or for a new logger when the process already holds {@value #MAX_LOGGERS}
   */
  public Setting set(String logger, LogLevel level) {
    check(logger, level);
    Logger existing = existing(logger);
    if (existing == null) {
      if (level == null) {
        return setting(logger, null); // nothing to reset; not created for nothing
      }
      existing = context.getLogger(logger);
    }
    existing.setLevel(level == null ? null : level.logback());
    return setting(logger, existing);
  }

  /**
   * Refuses what {@link #set} would refuse, changing nothing.
   *
   * @throws IllegalArgumentException saying what is wrong
   */
  public void check(String logger, LogLevel level) {
    String problem = problemWithName(logger);
    if (problem != null) {
      throw new IllegalArgumentException("logger " + problem);
    }
    if (level == null && isRoot(logger)) {
      throw new IllegalArgumentException(
          "the root logger has no parent to inherit from: give it a level");
    }
    if (level != null
        && existing(logger) == null
        && context.getLoggerList().size() >= MAX_LOGGERS) {
      throw new IllegalArgumentException(
          "this process already holds "
              + MAX_LOGGERS
              + " loggers and "
              + logger
              + " is not one of them: set the level of a package that holds the logger wanted");
    }
  }

  /** Sets every level of {@code levels} (the configuration's {@code log.levels}). */
  public void apply(Map<String, LogLevel> levels) {
    levels.forEach(this::set);
  }

  private Logger existing(String name) {
    return isRoot(name) ? context.getLogger(Logger.ROOT_LOGGER_NAME) : context.exists(name);
  }

  private Setting setting(String name, Logger logger) {
    String shown = isRoot(name) ? Logger.ROOT_LOGGER_NAME : name;
    if (logger != null) {
      return new Setting(shown, of(logger.getLevel()), of(logger.getEffectiveLevel()));
    }
    // Not created yet: it would log at the level of its nearest existing ancestor.
    String ancestor = name;
    Logger found = null;
    while (found == null) {
      int cut = Math.max(ancestor.lastIndexOf('.'), ancestor.lastIndexOf('$'));
      ancestor = cut < 0 ? Logger.ROOT_LOGGER_NAME : ancestor.substring(0, cut);
      found = existing(ancestor);
    }
    return new Setting(shown, null, of(found.getEffectiveLevel()));
  }

  private static boolean isRoot(String name) {
    return Logger.ROOT_LOGGER_NAME.equalsIgnoreCase(name);
  }

  /** Logback's level as ours; ALL logs what TRACE does. */
  private static LogLevel of(Level level) {
    if (level == null) {
      return null;
    }
    return level.toInt() == Level.ALL_INT ? LogLevel.TRACE : LogLevel.parse(level.toString());
  }
}
