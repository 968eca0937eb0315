package io.roster.node.xds;

import io.roster.node.domain.InstanceValidator;
import io.roster.node.domain.InvalidArgumentException;
import io.roster.node.domain.ServiceKey;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How xDS resource names name Roster's services: the name a gRPC client's target holds ({@code
 * xds:///orders}) is the Listener's name, and the same forms name every other resource.
 *
 * <ul>
 *   <li>{@code <service>}: the service in namespace {@code default}.
 *   <li>{@code <service>.service.<namespace>.roster}: the service in that namespace, the name DNS
 *       gives it too; {@code <service>.service.roster} is the same in {@code default}.
 * </ul>
 *
 * <p>A service name may hold dots, so the qualified form is recognised by its tail: a name ending
 * in {@code .service.<namespace>.roster} or {@code .service.roster} is always read qualified, at
 * its last {@code .service.}. A service of {@code default} whose own name ends so is still reached
 * by its qualified name ({@code a.service.roster.service.default.roster}). Every service has one
 * {@link #canonical} name, the qualified one, which the resources a Listener leads to
 * (RouteConfiguration, Cluster, ClusterLoadAssignment) are named by, so every client of a service
 * shares them.
 *
 * <p>Stateless.
 */
public final class XdsNames {

  /** Longest resource name read; longer is malformed (the longest valid one is about 210). */
  static final int MAX_NAME_CHARS = 256;

  private static final Pattern QUALIFIED =
      Pattern.compile("(.+)\\.service\\.(?:([^.]+)\\.)?roster");

  private XdsNames() {}

  /**
   * The service {@code name} names.
   *
   * @throws InvalidArgumentException naming what is wrong with it (the field is "resource name")
   */
  public static ServiceKey parse(String name) {
    if (name.length() > MAX_NAME_CHARS) {
      throw new InvalidArgumentException(
          "resource name", "is longer than " + MAX_NAME_CHARS + " characters");
    }
    Matcher qualified = QUALIFIED.matcher(name);
    String service = name;
    String namespace = InstanceValidator.DEFAULT_NAMESPACE;
    if (qualified.matches()) {
      service = qualified.group(1);
      if (qualified.group(2) != null) {
        namespace = qualified.group(2);
      }
    }
    try {
      return new ServiceKey(
          InstanceValidator.namespace("namespace", namespace),
          InstanceValidator.service("service", service));
    } catch (InvalidArgumentException e) {
      throw new InvalidArgumentException(
          "resource name",
          quote(name)
              + " names no service: "
              + e.getMessage()
              + " (names are <service> in namespace default, or"
              + " <service>.service.<namespace>.roster)");
    }
  }

  /** The qualified name of {@code service}: {@code <service>.service.<namespace>.roster}. */
  public static String canonical(ServiceKey service) {
    return service.service() + ".service." + service.namespace() + ".roster";
  }

  private static String quote(String name) {
    StringBuilder quoted = new StringBuilder(name.length() + 2).append('"');
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      quoted.append(c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\u%04x", (int) c));
    }
    return quoted.append('"').toString();
  }
}
