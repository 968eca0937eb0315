package io.roster.node.api;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access log (key {@code log.access}, off by default): one line per finished call at INFO on
 * logger {@value #LOGGER}, its fields as SLF4J key-values ({@code protocol}, {@code method}, {@code
 * code}, {@code duration_ms}, {@code principal}, {@code peer}) and repeated in the message for a
 * plain-text log.
 *
 * <p>Only what the node chose is written: the method or route as the node names it (never the path
 * a caller sent), the status, the principal's name from the access file, the peer's address. Never
 * a request body, a token or a lease id, so the log can be read by whoever reads the node's log.
 * Not rate limited, unlike {@link RequestLog}: it is meant to have a line per call, and no value in
 * it comes from the caller.
 *
 * <p>Threading: any thread.
 */
final class AccessLog {

  static final String LOGGER = "io.roster.access";

  private static final Logger log = LoggerFactory.getLogger(LOGGER);

  private AccessLog() {}

  static void finished(
      String protocol, String method, String code, long nanos, String principal, String peer) {
    double millis = Math.round(nanos / 1_000.0) / 1_000.0;
    log.atInfo()
        .addKeyValue("protocol", protocol)
        .addKeyValue("method", method)
        .addKeyValue("code", code)
        .addKeyValue("duration_ms", millis)
        .addKeyValue("principal", principal)
        .addKeyValue("peer", peer)
        .log("{} {} {} {} ms by {} from {}", protocol, method, code, millis, principal, peer);
  }
}
