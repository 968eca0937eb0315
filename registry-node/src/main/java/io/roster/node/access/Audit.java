package io.roster.node.access;

import io.roster.node.domain.InstanceKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit trail: each registry write made through this node (Register, Deregister, SetStatus),
 * and each change of a log level, once, with the principal that made it, on the logger {@code
 * roster.audit}, so it can be routed to a file of its own. Never a secret: the lease id is not
 * logged, nor any token. Heartbeats change nothing a reader sees and are not logged (a fleet renews
 * thousands a second).
 *
 * <p>Only while access control is on: without it every caller is "anyone", and the line would say
 * nothing the request log does not.
 */
public final class Audit {

  private static final Logger log = LoggerFactory.getLogger("roster.audit");

  private Audit() {}

  /**
   * {@code principal} made {@code method} on {@code instance}; the service is now at {@code
   * revision}.
   */
  public static void write(
      Principal principal, String method, InstanceKey instance, long revision) {
    if (principal == Principal.ANYONE) {
      return;
    }
    log.atInfo()
        .addKeyValue("principal", principal.name())
        .addKeyValue("namespace", instance.namespace())
        .addKeyValue("service", instance.service())
        .addKeyValue("instance", instance.instanceId())
        .addKeyValue("revision", revision)
        .log("{} {} by {} (revision {})", method, instance, principal.name(), revision);
  }

  /**
   * {@code principal} set the level of {@code logger} to {@code level} ("DEBUG", or "inherited")
   * from {@code before}. Logged whoever made it, "anyone" too: no other line records it.
   */
  public static void logLevel(Principal principal, String logger, String level, String before) {
    log.atInfo()
        .addKeyValue("principal", principal.name())
        // Not "logger" and "level": a JSON line has those fields already (the audit logger's).
        .addKeyValue("targetLogger", logger)
        .addKeyValue("targetLevel", level)
        .log("log level of {} set to {} (was {}) by {}", logger, level, before, principal.name());
  }
}
