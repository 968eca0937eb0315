package io.roster.node.http;

import java.util.List;

/**
 * The HTTP/JSON requests docs/api.md shows as curl commands. The tests send exactly these (with
 * {@code java.net.http}), and {@link ApiDocsTest} checks that docs/api.md holds each one's curl
 * command verbatim, so the documentation cannot drift from what was tested.
 */
public final class HttpExamples {

  /** Base URL the documented commands use: node 1 of the local cluster. */
  public static final String DOCS_BASE_URL = "http://127.0.0.1:7101";

  /**
   * One request: {@code body} null means GET, otherwise POST with that JSON body; {@code stream}
   * means the answer is newline-delimited JSON that stays open.
   */
  public record Example(String pathAndQuery, String body, boolean stream) {

    public String method() {
      return body == null ? "GET" : "POST";
    }

    /**
     * The curl command for a node at {@code baseUrl}, as docs/api.md shows it. A body naming a
     * shell variable ({@code $LEASE_ID}) is in double quotes, so the shell fills it in.
     */
    public String curl(String baseUrl) {
      String url = baseUrl + pathAndQuery;
      StringBuilder command = new StringBuilder(stream ? "curl -sSN " : "curl -sS ");
      command.append(url.contains("?") ? "'" + url + "'" : url);
      if (body != null && body.contains("$")) {
        command.append(" -d \"").append(body.replace("\"", "\\\"")).append("\"");
      } else if (body != null) {
        command.append(" -d '").append(body).append("'");
      }
      return command.toString();
    }

    /** This request with the shell variable {@code name} set to {@code value}, as sent. */
    public Example with(String name, String value) {
      return new Example(pathAndQuery, body.replace("$" + name, value), stream);
    }
  }

  public static final Example REGISTER =
      post(
          "/v1/register",
          "{\"instance\": {\"service\": \"orders\", \"instanceId\": \"orders-1\", \"host\":"
              + " \"10.0.0.7\", \"port\": 8080, \"weight\": 200, \"zone\": \"eu-1a\", \"metadata\":"
              + " {\"team\": \"payments\"}}, \"leaseTtl\": \"30s\"}");

  public static final Example HEARTBEAT = post("/v1/heartbeat", "{\"leaseId\": \"$LEASE_ID\"}");

  public static final Example SET_STATUS =
      post(
          "/v1/set-status",
          "{\"key\": {\"service\": \"orders\", \"instanceId\": \"orders-1\"}, \"status\":"
              + " \"INSTANCE_STATUS_DRAINING\"}");

  public static final Example DISCOVER_GET =
      get("/v1/discover?service=orders&preferred_zone=eu-1a&metadata_selector.team=payments");

  public static final Example DISCOVER_POST =
      post("/v1/discover", "{\"service\": \"orders\", \"includeUnhealthy\": true}");

  public static final Example LIST_SERVICES = get("/v1/services?page_size=10");

  public static final Example CLUSTER_STATUS = get("/v1/cluster");

  public static final Example WATCH =
      new Example("/v1/watch", "{\"targets\": [{\"service\": \"orders\"}]}", true);

  public static final Example DEREGISTER =
      post("/v1/deregister", "{\"key\": {\"service\": \"orders\", \"instanceId\": \"orders-1\"}}");

  /** 400: a field breaks its rule; the message names it. */
  public static final Example REGISTER_BAD_PORT =
      post(
          "/v1/register",
          "{\"instance\": {\"service\": \"orders\", \"host\": \"10.0.0.7\", \"port\": 0}}");

  /** 404: a lease id the registry did not issue (shaped like one, with a made-up tag). */
  public static final Example HEARTBEAT_UNKNOWN_LEASE =
      post("/v1/heartbeat", "{\"leaseId\": \"default/orders/nobody/1.AAAAAAAAAAAAAAAAAAAAAA\"}");

  public static final List<Example> ALL =
      List.of(
          REGISTER,
          HEARTBEAT,
          SET_STATUS,
          DISCOVER_GET,
          DISCOVER_POST,
          LIST_SERVICES,
          CLUSTER_STATUS,
          WATCH,
          DEREGISTER,
          REGISTER_BAD_PORT,
          HEARTBEAT_UNKNOWN_LEASE);

  private HttpExamples() {}

  private static Example get(String pathAndQuery) {
    return new Example(pathAndQuery, null, false);
  }

  private static Example post(String path, String body) {
    return new Example(path, body, false);
  }
}
