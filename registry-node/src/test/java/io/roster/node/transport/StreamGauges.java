package io.roster.node.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The node's stream gauges, read from {@code GET /metrics} as an operator would. */
public record StreamGauges(int streamsOpen, int watchSubscriptions) {

  /** The gauges of the node whose API is on 127.0.0.1:{@code apiPort}. */
  public static StreamGauges read(int apiPort) {
    return read("127.0.0.1", apiPort);
  }

  /** The gauges of the node whose API is on {@code host:apiPort}. */
  public static StreamGauges read(String host, int apiPort) {
    String metrics;
    try {
      metrics =
          // HTTP/1.1, as Prometheus scrapes: Vert.x 5.0.7 stalls answers of tens of KB on a
          // connection upgraded to h2c, which the JDK client asks for by default.
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .build()
              .send(
                  HttpRequest.newBuilder(URI.create("http://" + host + ":" + apiPort + "/metrics"))
                      .timeout(Duration.ofSeconds(10))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    Map<String, Integer> gauges = new TreeMap<>();
    for (String line : metrics.split("\n")) {
      for (String gauge : List.of("roster_streams_open", "roster_watch_subscriptions")) {
        if (line.startsWith(gauge + " ")) {
          gauges.put(gauge, (int) Double.parseDouble(line.substring(gauge.length() + 1).trim()));
        }
      }
    }
    assertEquals(2, gauges.size(), "stream gauges in /metrics:\n" + metrics);
    return new StreamGauges(
        gauges.get("roster_streams_open"), gauges.get("roster_watch_subscriptions"));
  }
}
