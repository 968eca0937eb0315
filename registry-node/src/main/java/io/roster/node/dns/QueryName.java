package io.roster.node.dns;

import com.google.common.io.BaseEncoding;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.xbill.DNS.Name;

/**
 * What a name under the node's domain asks for. The forms (docs/dns.md), with {@code roster.} for
 * the domain:
 *
 * <ul>
 *   <li>{@code roster.}: the zone's apex (SOA, NS);
 *   <li>{@code [<zone>.]<service>.service[.<namespace>].roster.}: a service, in namespace {@code
 *       default} unless named, optionally one zone of it;
 *   <li>{@code _<port-name>._tcp.[<zone>.]<service>.service[.<namespace>].roster.}: the named port
 *       of a service (RFC 2782), for SRV;
 *   <li>{@code <hex>.addr.roster.}: an IP address written as 8 (IPv4) or 32 (IPv6) hex digits, the
 *       target of SRV records whose instance registered an address rather than a host name.
 * </ul>
 *
 * Labels are compared without regard to case, as DNS wants; the service's own spelling is found by
 * {@link ServiceIndex}.
 */
sealed interface QueryName {

  /** The apex of the node's domain. */
  record Apex() implements QueryName {}

  /** An address name, {@code <hex>.addr.<domain>}. */
  record Address(InetAddress address) implements QueryName {}

  /**
   * A service.
   *
   * @param namespace lower-case, as every namespace is
   * @param service as written in the query
   * @param zone the zone named in the query, or empty
   * @param portName the named port, lower-case as every port name is, or empty for the instance's
   *     main port
   */
  record Service(String namespace, String service, String zone, String portName)
      implements QueryName {}

  /** A name under the domain that names nothing the node knows: NXDOMAIN. */
  record Unknown() implements QueryName {}

  /** The label that marks a service name, as Consul's DNS has it. */
  String SERVICE_LABEL = "service";

  String ADDRESS_LABEL = "addr";

  String DEFAULT_NAMESPACE = "default";

  /**
   * What {@code name} asks for, or null when it is not under {@code domain} (the node refuses it:
   * it is no recursive resolver).
   */
  static QueryName parse(Name name, Name domain) {
    if (!name.subdomain(domain)) {
      return null;
    }
    int count = name.labels() - domain.labels();
    List<String> labels = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      labels.add(name.getLabelString(i));
    }
    if (labels.isEmpty()) {
      return new Apex();
    }
    String last = labels.get(count - 1).toLowerCase(Locale.ROOT);
    if (count == 2 && last.equals(ADDRESS_LABEL)) {
      Address address = address(labels.get(0));
      return address != null ? address : new Unknown();
    }
    List<String> prefix;
    String namespace;
    if (last.equals(SERVICE_LABEL)) {
      prefix = labels.subList(0, count - 1);
      namespace = DEFAULT_NAMESPACE;
    } else if (count >= 2 && labels.get(count - 2).equalsIgnoreCase(SERVICE_LABEL)) {
      prefix = labels.subList(0, count - 2);
      namespace = last;
    } else {
      return new Unknown();
    }
    String portName = "";
    if (!prefix.isEmpty() && prefix.get(0).startsWith("_")) {
      // RFC 2782: _<service>._<proto>.<name>; instances declare no protocol, and ports are named
      // for TCP use (gRPC, HTTP), so only _tcp.
      if (prefix.size() < 3
          || prefix.get(0).length() < 2
          || !prefix.get(1).equalsIgnoreCase("_tcp")) {
        return new Unknown();
      }
      portName = prefix.get(0).substring(1).toLowerCase(Locale.ROOT);
      prefix = prefix.subList(2, prefix.size());
    }
    return switch (prefix.size()) {
      case 1 -> new Service(namespace, prefix.get(0), "", portName);
      case 2 -> new Service(namespace, prefix.get(1), prefix.get(0), portName);
      default -> new Unknown();
    };
  }

  /** The address name of {@code address} under {@code domain}: {@code 7f000001.addr.roster.}. */
  static Name addressName(InetAddress address, Name domain) {
    String hex = BaseEncoding.base16().lowerCase().encode(address.getAddress());
    return Name.fromConstantString(hex + "." + ADDRESS_LABEL + "." + domain);
  }

  private static Address address(String label) {
    if (label.length() != 8 && label.length() != 32) {
      return null;
    }
    try {
      byte[] bytes = BaseEncoding.base16().lowerCase().decode(label.toLowerCase(Locale.ROOT));
      return new Address(InetAddress.getByAddress(bytes));
    } catch (IllegalArgumentException | UnknownHostException e) {
      return null;
    }
  }
}
