package io.roster.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One reading of a node's {@code /metrics} (Prometheus text, on its API port), for the gauges and
 * counters no RPC reports: {@code roster_streams_open}, {@code roster_limits_callers}, {@code
 * roster_limits_refused_total}. Plain HTTP only: a node speaking TLS is not read (the caller says
 * so).
 *
 * <p>Immutable.
 */
final class NodeMetrics {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  /** {@code name{labels} value}: a sample line; comments start with '#'. */
  private static final Pattern SAMPLE =
      Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})? (\\S+)");

  private final Map<String, Double> sums;

  private NodeMetrics(Map<String, Double> sums) {
    this.sums = Map.copyOf(sums);
  }

  /**
   * Reads {@code target}'s metrics, bounded by 5 s to connect and 5 s to answer.
   *
   * @throws IOException when the node does not answer 200 with metrics
   */
  static NodeMetrics read(TargetAddress target) throws IOException, InterruptedException {
    HttpClient client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(TIMEOUT)
            .build();
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://" + target.authority() + "/metrics"))
            .timeout(TIMEOUT)
            .GET()
            .build();
    HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IOException(target + "/metrics answered HTTP " + response.statusCode());
    }
    return parse(response.body());
  }

  /** Each metric's samples summed over their labels. */
  static NodeMetrics parse(String text) {
    Map<String, Double> sums = new HashMap<>();
    for (String line : text.split("\n")) {
      Matcher sample = SAMPLE.matcher(line);
      if (sample.find()) {
        try {
          sums.merge(sample.group(1), Double.parseDouble(sample.group(3)), Double::sum);
        } catch (NumberFormatException e) {
          // not a number (Prometheus writes NaN and +Inf, which Double reads): not counted
        }
      }
    }
    return new NodeMetrics(sums);
  }

  /** {@code name} summed over its labels, if the node reports it. */
  OptionalDouble value(String name) {
    Double value = sums.get(name);
    return value == null ? OptionalDouble.empty() : OptionalDouble.of(value);
  }
}
