package io.roster.node;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One scrape of a node's {@code GET /metrics}, read as Prometheus reads it: the families its {@code
 * # TYPE} lines declare, and every sample with its labels.
 */
public final class Scrape {

  // HTTP/1.1, as Prometheus scrapes: Vert.x 5.0.7 stalls answers of tens of KB on a connection
  // upgraded to HTTP/2 (h2c), which the JDK client asks for by default (operations.md, Metrics).
  private static final HttpClient HTTP =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  /** One sample line: {@code name{labels} value}. */
  public record Sample(String name, Map<String, String> labels, double value) {}

  private final String text;
  private final Map<String, String> types = new LinkedHashMap<>();
  private final List<Sample> samples = new ArrayList<>();

  private Scrape(String text) {
    this.text = text;
    for (String line : text.split("\n")) {
      if (line.startsWith("# TYPE ")) {
        String[] parts = line.substring(7).trim().split(" ");
        types.put(parts[0], parts[1]);
      } else if (!line.isBlank() && !line.startsWith("#")) {
        samples.add(parse(line));
      }
    }
  }

  /** Scrapes the node listening on {@code apiPort} over plain HTTP. */
  public static Scrape of(int apiPort) {
    try {
      HttpResponse<String> answer =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort + "/metrics"))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (answer.statusCode() != 200) {
        throw new AssertionError("GET /metrics answered " + answer.statusCode());
      }
      return new Scrape(answer.body());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Families by name, with their type ({@code counter}, {@code gauge}, {@code histogram}...). */
  public Map<String, String> families() {
    return types;
  }

  public List<Sample> samples() {
    return samples;
  }

  /** The sum of the samples named {@code name} whose labels include {@code labels}; 0 if none. */
  public double sum(String name, Map<String, String> labels) {
    double total = 0;
    for (Sample sample : samples) {
      if (sample.name.equals(name) && sample.labels.entrySet().containsAll(labels.entrySet())) {
        total += sample.value;
      }
    }
    return total;
  }

  /** Every value label {@code label} takes on samples named {@code name}. */
  public Set<String> labelValues(String name, String label) {
    Set<String> values = new TreeSet<>();
    for (Sample sample : samples) {
      if (sample.name.equals(name) && sample.labels.containsKey(label)) {
        values.add(sample.labels.get(label));
      }
    }
    return values;
  }

  @Override
  public String toString() {
    return text;
  }

  private static Sample parse(String line) {
    int brace = line.indexOf('{');
    int space = line.lastIndexOf(' ');
    Map<String, String> labels = new LinkedHashMap<>();
    String name;
    if (brace >= 0 && brace < space) {
      name = line.substring(0, brace);
      int end = line.lastIndexOf('}');
      readLabels(line.substring(brace + 1, end), labels);
      space = line.indexOf(' ', end);
    } else {
      name = line.substring(0, line.indexOf(' '));
      space = line.indexOf(' ');
    }
    String value = line.substring(space + 1).trim().split(" ")[0];
    return new Sample(name, labels, parseValue(value));
  }

  /** {@code a="1",b="x\"y"}: values are quoted, with backslash escapes. */
  private static void readLabels(String text, Map<String, String> labels) {
    int i = 0;
    while (i < text.length()) {
      int equals = text.indexOf('=', i);
      String key = text.substring(i, equals).trim();
      StringBuilder value = new StringBuilder();
      int j = equals + 2; // past ="
      while (text.charAt(j) != '"') {
        char c = text.charAt(j);
        if (c == '\\') {
          char next = text.charAt(++j);
          value.append(next == 'n' ? '\n' : next);
        } else {
          value.append(c);
        }
        j++;
      }
      labels.put(key, value.toString());
      i = j + 1;
      if (i < text.length() && text.charAt(i) == ',') {
        i++;
      }
    }
  }

  private static double parseValue(String value) {
    return switch (value) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      case "NaN" -> Double.NaN;
      default -> Double.parseDouble(value);
    };
  }
}
