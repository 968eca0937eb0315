package io.roster.node.domain;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The rules for names, addresses, weights and metadata, checked once at the edge so the rest of the
 * registry only ever sees valid values. Each check throws {@link InvalidArgumentException} naming
 * the field and what it allows; none has side effects, so a refused request writes nothing.
 *
 * <p>Messages are built only for a value that breaks its rule: every heartbeat passes through here
 * (its lease id names a namespace, a service and an instance), and building each message anyway
 * showed among the top frames of a node answering unary heartbeats.
 */
public final class InstanceValidator {

  public static final String DEFAULT_NAMESPACE = "default";
  public static final int MAX_WEIGHT = 10_000;
  public static final int MAX_NAMED_PORTS = 16;
  public static final int MAX_METADATA_ENTRIES = 64;
  public static final int MAX_METADATA_VALUE_BYTES = 512;
  public static final int MAX_METADATA_TOTAL_BYTES = 4096;
  public static final int MAX_SELECTOR_ENTRIES = 16;

  private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
  private static final Pattern SERVICE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  private static final Pattern INSTANCE_ID = Pattern.compile("[A-Za-z0-9._:-]{1,256}");
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.:-]{1,253}");
  private static final Pattern PORT_NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?");
  private static final Pattern ZONE = Pattern.compile("[A-Za-z0-9._-]{0,64}");
  private static final Pattern VERSION =
      Pattern.compile("[\\x21-\\x7e]([\\x20-\\x7e]{0,62}[\\x21-\\x7e])?");
  private static final Pattern METADATA_KEY = Pattern.compile("[A-Za-z0-9._/-]{1,63}");

  private InstanceValidator() {}

  /** An empty namespace means {@value #DEFAULT_NAMESPACE}. */
  public static String namespace(String field, String namespace) {
    if (namespace.isEmpty()) {
      return DEFAULT_NAMESPACE;
    }
    if (!NAMESPACE.matcher(namespace).matches()) {
      throw new InvalidArgumentException(
          field,
          "must be 1-63 lower-case letters, digits or '-', starting and ending with a letter or"
              + " digit, got "
              + quote(namespace));
    }
    return namespace;
  }

  public static String service(String field, String service) {
    if (service.isEmpty()) {
      throw new InvalidArgumentException(field, "is required");
    }
    if (!SERVICE.matcher(service).matches()) {
      throw new InvalidArgumentException(
          field,
          "must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit, got "
              + quote(service));
    }
    return service;
  }

  public static String instanceId(String field, String instanceId) {
    if (instanceId.isEmpty()) {
      throw new InvalidArgumentException(field, "is required");
    }
    if (!INSTANCE_ID.matcher(instanceId).matches()) {
      throw new InvalidArgumentException(
          field, "must be 1-256 letters, digits, '.', '_', ':' or '-', got " + quote(instanceId));
    }
    return instanceId;
  }

  public static String host(String field, String host) {
    if (host.isEmpty()) {
      throw new InvalidArgumentException(field, "is required");
    }
    if (!HOST.matcher(host).matches() || host.startsWith("-") || host.startsWith(".")) {
      throw new InvalidArgumentException(
          field,
          "must be a host name or an IP literal without brackets (1-253 letters, digits, '.', '-'"
              + " or ':'), got "
              + quote(host));
    }
    return host;
  }

  public static int port(String field, long port) {
    if (port < 1 || port > 65_535) {
      throw new InvalidArgumentException(field, "must be 1-65535, got " + port);
    }
    return (int) port;
  }

  public static Map<String, Integer> namedPorts(String field, Map<String, Integer> ports) {
    if (ports.size() > MAX_NAMED_PORTS) {
      throw new InvalidArgumentException(
          field, "at most " + MAX_NAMED_PORTS + " named ports, got " + ports.size());
    }
    Map<String, Integer> checked = new HashMap<>();
    for (Map.Entry<String, Integer> entry : ports.entrySet()) {
      if (!PORT_NAME.matcher(entry.getKey()).matches()) {
        throw new InvalidArgumentException(
            field,
            "port names must be 1-15 lower-case letters, digits or '-', got "
                + quote(entry.getKey()));
      }
      // uint32 on the wire: 2^31 and above arrive negative; show them as sent.
      checked.put(
          entry.getKey(),
          port(field + "[" + entry.getKey() + "]", Integer.toUnsignedLong(entry.getValue())));
    }
    return Map.copyOf(checked);
  }

  public static int weight(String field, long weight) {
    if (weight < 0 || weight > MAX_WEIGHT) {
      throw new InvalidArgumentException(
          field, "must be 0-" + MAX_WEIGHT + " (0: listed but no traffic), got " + weight);
    }
    return (int) weight;
  }

  public static String zone(String field, String zone) {
    if (!ZONE.matcher(zone).matches()) {
      throw new InvalidArgumentException(
          field, "must be 0-64 letters, digits, '.', '_' or '-', got " + quote(zone));
    }
    return zone;
  }

  public static String version(String field, String version) {
    if (!version.isEmpty() && !VERSION.matcher(version).matches()) {
      throw new InvalidArgumentException(
          field,
          "must be 0-64 printable ASCII characters without leading or trailing spaces, got "
              + quote(version));
    }
    return version;
  }

  public static Map<String, String> metadata(String field, Map<String, String> metadata) {
    return labels(field, metadata, MAX_METADATA_ENTRIES);
  }

  public static Map<String, String> selector(String field, Map<String, String> selector) {
    return labels(field, selector, MAX_SELECTOR_ENTRIES);
  }

  private static Map<String, String> labels(
      String field, Map<String, String> labels, int maxEntries) {
    if (labels.size() > maxEntries) {
      throw new InvalidArgumentException(
          field, "at most " + maxEntries + " entries, got " + labels.size());
    }
    int totalBytes = 0;
    for (Map.Entry<String, String> entry : labels.entrySet()) {
      if (!METADATA_KEY.matcher(entry.getKey()).matches()) {
        throw new InvalidArgumentException(
            field,
            "keys must be 1-63 letters, digits, '.', '_', '/' or '-', got "
                + quote(entry.getKey()));
      }
      int valueBytes = entry.getValue().getBytes(StandardCharsets.UTF_8).length;
      if (valueBytes > MAX_METADATA_VALUE_BYTES) {
        throw new InvalidArgumentException(
            field + "[" + entry.getKey() + "]",
            "values must be at most " + MAX_METADATA_VALUE_BYTES + " bytes, got " + valueBytes);
      }
      totalBytes += entry.getKey().length() + valueBytes;
    }
    if (totalBytes > MAX_METADATA_TOTAL_BYTES) {
      throw new InvalidArgumentException(
          field,
          "keys and values together must be at most "
              + MAX_METADATA_TOTAL_BYTES
              + " bytes, got "
              + totalBytes);
    }
    return Map.copyOf(labels);
  }

  /**
   * The instance id to use when the caller chose none: the same address gives the same id. It must
   * pass the rule a given id passes, or the instance could be registered but never renewed,
   * deregistered or drained (every call naming it would be refused): a host of 250 characters or
   * more makes an id over 256, and the registration is refused, asking for an instance id.
   */
  public static String defaultInstanceId(String field, String host, int port) {
    String generated = host + ":" + port;
    if (!INSTANCE_ID.matcher(generated).matches()) {
      throw new InvalidArgumentException(
          field,
          "is required when host and port make an id over 256 characters (\"<host>:<port>\" would be "
              + generated.length()
              + "): give an instance_id of 1-256 letters, digits, '.', '_', ':' or '-'");
    }
    return generated;
  }

  /** {@code value} in double quotes, cut at 80 characters, anything but printable ASCII escaped. */
  public static String quote(String value) {
    String shown = value.length() > 80 ? value.substring(0, 80) + "..." : value;
    StringBuilder out = new StringBuilder("\"");
    for (char c : shown.toCharArray()) {
      out.append(c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c));
    }
    return out.append('"').toString();
  }
}
