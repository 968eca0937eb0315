package io.roster.node.http;

import java.util.ArrayList;
import java.util.List;

/**
 * The Node.js client commands docs/api.md and the README show, run from docs/examples/node with the
 * nodes in {@code ROSTER_TARGETS}. AnyLanguageIT runs exactly these; {@link ApiDocsTest} checks the
 * documents hold each verbatim.
 */
public final class NodeExamples {

  /** Registers, keeps the lease alive over KeepAlive until SIGTERM, then deregisters. */
  public static final List<String> REGISTER =
      List.of(
          "register.js",
          "--service",
          "payments",
          "--host",
          "127.0.0.1",
          "--port",
          "9090",
          "--zone",
          "eu-1a",
          "--ttl-s",
          "3");

  public static final List<String> DISCOVER = List.of("discover.js", "--service", "orders");

  public static final List<String> CALL_REGISTER =
      call(
          "RegistryService/Register",
          "{\"instance\": {\"service\": \"orders\", \"instanceId\": \"orders-2\", \"host\":"
              + " \"10.0.0.8\", \"port\": 8080}, \"leaseTtl\": {\"seconds\": \"30\"}}");

  public static final List<String> CALL_HEARTBEAT =
      call("RegistryService/Heartbeat", "{\"leaseId\": \"$LEASE_ID\"}");

  public static final List<String> CALL_SET_STATUS =
      call(
          "RegistryService/SetStatus",
          "{\"key\": {\"service\": \"orders\", \"instanceId\": \"orders-2\"}, \"status\":"
              + " \"INSTANCE_STATUS_OUT_OF_SERVICE\"}");

  public static final List<String> CALL_DISCOVER =
      call("DiscoveryService/Discover", "{\"service\": \"orders\", \"includeUnhealthy\": true}");

  public static final List<String> CALL_LIST_SERVICES = call("DiscoveryService/ListServices");

  public static final List<String> CALL_CLUSTER_STATUS = call("ClusterService/ClusterStatus");

  public static final List<String> CALL_WATCH =
      call("DiscoveryService/Watch", "{\"targets\": [{\"service\": \"orders\"}]}");

  public static final List<String> CALL_DEREGISTER =
      call(
          "RegistryService/Deregister",
          "{\"key\": {\"service\": \"orders\", \"instanceId\": \"orders-2\"}}");

  public static final List<List<String>> ALL =
      List.of(
          REGISTER,
          DISCOVER,
          CALL_REGISTER,
          CALL_HEARTBEAT,
          CALL_SET_STATUS,
          CALL_DISCOVER,
          CALL_LIST_SERVICES,
          CALL_CLUSTER_STATUS,
          CALL_WATCH,
          CALL_DEREGISTER);

  private NodeExamples() {}

  /** The command as a shell line: {@code node call.js ... '{"json": ...}'}. */
  public static String shell(List<String> script) {
    StringBuilder line = new StringBuilder("node");
    for (String arg : script) {
      if (arg.contains("$")) {
        // A shell variable ($LEASE_ID): double quotes, so the shell fills it in.
        line.append(" \"").append(arg.replace("\"", "\\\"")).append('"');
      } else {
        line.append(' ').append(arg.matches("[A-Za-z0-9_./:=-]+") ? arg : "'" + arg + "'");
      }
    }
    return line.toString();
  }

  /** {@code command} with the shell variable {@code name} set to {@code value}, as run. */
  public static List<String> with(List<String> command, String name, String value) {
    return command.stream().map(arg -> arg.replace("$" + name, value)).toList();
  }

  private static List<String> call(String rpc, String... json) {
    List<String> args = new ArrayList<>(List.of("call.js", rpc));
    args.addAll(List.of(json));
    return List.copyOf(args);
  }
}
