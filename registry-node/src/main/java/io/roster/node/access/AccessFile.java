package io.roster.node.access;

import io.roster.node.config.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access file ({@code security.access-file}), read at start and again whenever its contents
 * change, so a token is added or revoked without a restart: from the next call on, callers are
 * recognised by the new rules. A file that no longer parses (a half-written edit, a typo) is
 * reported once, naming the line, and the rules in force stay as they were.
 *
 * <p>Threading: checks run on a thread of their own ({@code roster-access-reload}), which alone
 * touches {@code seen}; {@link #close} from any thread.
 */
public final class AccessFile implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(AccessFile.class);

  /** How often the file is read for changes. */
  static final long CHECK_INTERVAL_MILLIS = 2_000;

  private final Path path;
  private final Access access;
  private final ScheduledExecutorService thread;
  private String seen;

  private AccessFile(Path path, Access access, String contents) {
    this.path = path;
    this.access = access;
    this.seen = contents;
    this.thread =
        Executors.newSingleThreadScheduledExecutor(
            runnable -> {
              Thread t = new Thread(runnable, "roster-access-reload");
              t.setDaemon(true);
              return t;
            });
    thread.scheduleWithFixedDelay(
        this::check, CHECK_INTERVAL_MILLIS, CHECK_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
  }

  /**
   * Access control by the file at {@code path}, followed from now on.
   *
   * @throws ConfigException when it cannot be read or a line breaks the format, naming the line
   */
  public static AccessFile follow(Path path) {
    String contents = read(path);
    AccessRules rules = AccessRules.parse(contents, "security.access-file " + path);
    log.info("access control on: {} principals from {}", rules.size(), path);
    return new AccessFile(path, Access.of(rules), contents);
  }

  public Access access() {
    return access;
  }

  private void check() {
    String contents;
    try {
      contents = Files.readString(path);
    } catch (IOException e) {
      if (seen != null) {
        log.warn(
            "cannot read the access file {} ({}); the rules in force stay", path, e.toString());
        seen = null;
      }
      return;
    }
    if (contents.equals(seen)) {
      return;
    }
    seen = contents;
    try {
      AccessRules rules = AccessRules.parse(contents, "security.access-file " + path);
      access.replace(rules);
      log.info("access file {} changed: {} principals from now on", path, rules.size());
    } catch (ConfigException e) {
      log.warn(
          "access file {} changed but is refused, the rules in force stay: {}",
          path,
          e.getMessage());
    }
  }

  private static String read(Path path) {
    try {
      return Files.readString(path);
    } catch (IOException e) {
      throw new ConfigException(
          "security.access-file: cannot read " + path + " (" + e.getMessage() + ")");
    }
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
