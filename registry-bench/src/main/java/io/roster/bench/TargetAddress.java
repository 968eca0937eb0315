package io.roster.bench;

import java.util.Locale;

/**
 * One registry node the bench sends load to: {@code host:port}, or {@code [ipv6]:port}.
 *
 * <p>The bench sends tens of thousands of calls a second, so by default it only aims at this
 * machine: {@link #isLoopback} accepts {@code localhost}, IPv4 literals in 127.0.0.0/8 and {@code
 * ::1}. Names are never resolved: a name other than {@code localhost} counts as remote.
 *
 * @param host host name or IP literal, IPv6 without brackets
 * @param port TCP port, 1-65535
 */
record TargetAddress(String host, int port) {

  TargetAddress {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("host is empty");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is not in 1-65535");
    }
  }

  /**
   * Parses {@code host:port} or {@code [ipv6]:port}.
   *
   * @throws IllegalArgumentException saying what is wrong with {@code text}
   */
  static TargetAddress parse(String text) {
    String value = text.trim();
    String host;
    String port;
    if (value.startsWith("[")) {
      int end = value.indexOf("]:");
      host = end < 0 ? "" : value.substring(1, end);
      port = end < 0 ? "" : value.substring(end + 2);
    } else {
      int colon = value.lastIndexOf(':');
      host = colon < 0 ? "" : value.substring(0, colon);
      port = colon < 0 ? "" : value.substring(colon + 1);
      if (host.contains(":")) {
        host = ""; // an IPv6 literal needs brackets
      }
    }
    if (host.isBlank() || !port.matches("[0-9]{1,5}")) {
      throw new IllegalArgumentException(
          "'" + text + "' is not host:port (an IPv6 literal as [::1]:7101)");
    }
    return new TargetAddress(host, Integer.parseInt(port));
  }

  /** Whether the address is this machine's loopback, without resolving any name. */
  boolean isLoopback() {
    String lower = host.toLowerCase(Locale.ROOT);
    if (lower.equals("localhost") || lower.equals("::1") || lower.equals("0:0:0:0:0:0:0:1")) {
      return true;
    }
    String[] octets = lower.split("\\.", -1);
    if (octets.length != 4) {
      return false;
    }
    for (String octet : octets) {
      if (!octet.matches("[0-9]{1,3}") || Integer.parseInt(octet) > 255) {
        return false;
      }
    }
    return octets[0].equals("127");
  }

  /** The address as gRPC takes it: {@code host:port}, IPv6 in brackets. */
  String authority() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  @Override
  public String toString() {
    return authority();
  }
}
