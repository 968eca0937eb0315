package io.roster.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

@Timeout(30)
class LatencyPlotTest {

  @Test
  void drawsOneChartPerPhaseInAnSvgThatParses() throws Exception {
    Document svg =
        parse(
            LatencyPlot.svg(
                List.of(
                    new LatencyPlot.Series("register", "Register call", aboutOneMilli(10_000)),
                    new LatencyPlot.Series("discover", "Discover call", aboutOneMilli(50_000)),
                    new LatencyPlot.Series(
                        "failure-detection", "last heartbeat sent → listed unhealthy", aTtl()))));

    assertEquals("svg", svg.getDocumentElement().getTagName());
    assertEquals(
        List.of("register", "discover", "failure-detection"),
        charts(svg).stream().map(chart -> chart.getAttribute("data-phase")).toList());
    for (Element chart : charts(svg)) {
      assertEquals(1, chart.getElementsByTagName("polyline").getLength());
      assertTrue(text(chart, "title").startsWith(chart.getAttribute("data-phase") + ": "));
    }
    assertEquals(
        "failure-detection: last heartbeat sent → listed unhealthy",
        text(charts(svg).get(2), "title"));
  }

  @Test
  void plottedPointsRiseInPercentileAndNeverFallInLatency() throws Exception {
    Document svg =
        parse(
            LatencyPlot.svg(
                List.of(
                    new LatencyPlot.Series("register", "Register call", aboutOneMilli(10_000)),
                    new LatencyPlot.Series("few", "five calls", aboutOneMilli(5)),
                    new LatencyPlot.Series("one", "one call", aboutOneMilli(1)),
                    new LatencyPlot.Series("failure-detection", "detection", aTtl()))));

    for (Element chart : charts(svg)) {
      String points =
          ((Element) chart.getElementsByTagName("polyline").item(0)).getAttribute("points");
      double previousX = Double.NEGATIVE_INFINITY;
      double previousY = Double.POSITIVE_INFINITY;
      for (String point : points.split(" ")) {
        String[] xy = point.split(",");
        double x = Double.parseDouble(xy[0]);
        double y = Double.parseDouble(xy[1]); // SVG's y grows downwards
        assertTrue(x > previousX, chart.getAttribute("data-phase") + ": x falls at " + point);
        assertTrue(
            y <= previousY, chart.getAttribute("data-phase") + ": latency falls at " + point);
        previousX = x;
        previousY = y;
      }
    }
  }

  @Test
  void curveEndsAtTheMaxWhereTheSamplesEnd() {
    Latencies five = aboutOneMilli(5);
    List<LatencyPlot.Point> curve = LatencyPlot.curve(five, 4);

    LatencyPlot.Point end = curve.get(curve.size() - 1);
    assertEquals(five.maxMillis(), end.millis());
    // The largest of five samples is the top fifth: 80 % and above, not 99.99 %.
    assertTrue(end.decades() < LatencyPlot.decadesOf(90), "ends at " + end);
    assertEquals(0, curve.get(0).decades());
  }

  @Test
  void p99LabelIsTheHistogramsP99() throws Exception {
    Latencies latencies = new Latencies();
    for (int i = 0; i < 980; i++) {
      latencies.recordNanos(TimeUnit.MILLISECONDS.toNanos(2));
    }
    for (int i = 0; i < 20; i++) {
      latencies.recordNanos(TimeUnit.MILLISECONDS.toNanos(40));
    }

    Element chart =
        charts(parse(LatencyPlot.svg(List.of(new LatencyPlot.Series("discover", "", latencies)))))
            .get(0);

    String p99 = text(chart, "p99");
    assertEquals("p99 " + Json.number(latencies.percentileMillis(99)) + " ms", p99);
    double labelled = Double.parseDouble(p99.replace("p99 ", "").replace(" ms", ""));
    assertEquals(40.0, labelled, 40.0 * 0.001, "three significant digits of 40 ms");
    assertEquals("p50 " + Json.number(latencies.percentileMillis(50)) + " ms", text(chart, "p50"));
    assertEquals("max " + Json.number(latencies.maxMillis()) + " ms", text(chart, "max"));
    assertEquals("1,000 samples", text(chart, "count"));
  }

  @Test
  void phaseWithNoSamplesSaysSoInsteadOfACurve() throws Exception {
    Element chart =
        charts(
                parse(
                    LatencyPlot.svg(
                        List.of(
                            new LatencyPlot.Series("register", "Register call", new Latencies())))))
            .get(0);

    assertEquals("no samples", text(chart, "summary"));
    assertEquals(0, chart.getElementsByTagName("polyline").getLength());
  }

  @Test
  void sameHistogramsGiveTheSameBytes() {
    String first =
        LatencyPlot.svg(
            List.of(new LatencyPlot.Series("register", "Register call", aboutOneMilli(10_000))));
    String second =
        LatencyPlot.svg(
            List.of(new LatencyPlot.Series("register", "Register call", aboutOneMilli(10_000))));

    assertEquals(first, second);
  }

  @Test
  void percentileAxisReachesFurtherWhenAPhaseHasMoreSamples() throws Exception {
    List<String> fewTicks =
        axisLabels(
            parse(LatencyPlot.svg(List.of(new LatencyPlot.Series("a", "", aboutOneMilli(200))))));
    List<String> manyTicks =
        axisLabels(
            parse(
                LatencyPlot.svg(List.of(new LatencyPlot.Series("a", "", aboutOneMilli(200_000))))));

    assertEquals(List.of("0 %", "90 %", "99 %", "99.9 %", "99.99 %"), fewTicks);
    assertEquals(
        List.of("0 %", "90 %", "99 %", "99.9 %", "99.99 %", "99.999 %", "99.9999 %"), manyTicks);
  }

  @Test
  void escapesWhatAPhaseNames() throws Exception {
    Document svg =
        parse(
            LatencyPlot.svg(
                List.of(new LatencyPlot.Series("a<b", "\"x\" & 'y' > z", aboutOneMilli(10)))));

    assertEquals("a<b", charts(svg).get(0).getAttribute("data-phase"));
    assertEquals("a<b: \"x\" & 'y' > z", text(charts(svg).get(0), "title"));
  }

  @Test
  void latencyAxisTopsAtANiceNumberAboveTheMax() {
    assertEquals(
        "12000", LatencyPlot.Scale.above(10_800).top().stripTrailingZeros().toPlainString());
    assertEquals(
        "0.0012", LatencyPlot.Scale.above(0.00108).top().stripTrailingZeros().toPlainString());
    assertEquals("1", LatencyPlot.Scale.above(1).top().stripTrailingZeros().toPlainString());
    assertEquals("2.5", LatencyPlot.Scale.above(2.1).top().stripTrailingZeros().toPlainString());
  }

  /** {@code count} latencies spread over 0.5-1.5 ms, with a tail to 40 ms, the same every time. */
  static Latencies aboutOneMilli(int count) {
    Latencies latencies = new Latencies();
    for (int i = 0; i < count; i++) {
      long micros = 500 + (i * 7919L) % 1_000;
      if (i % 1_000 == 999) {
        micros = 5_000 + (i * 31L) % 35_000;
      }
      latencies.recordNanos(TimeUnit.MICROSECONDS.toNanos(micros));
    }
    return latencies;
  }

  /** 200 detection times around a 10 s TTL: 10.0 to 10.6 s. */
  static Latencies aTtl() {
    double[] millis = new double[200];
    for (int i = 0; i < millis.length; i++) {
      millis[i] = 10_000 + (i * 37) % 600 + i / 1_000.0;
    }
    return Latencies.ofMillis(millis);
  }

  static Document parse(String svg) throws Exception {
    return DocumentBuilderFactory.newInstance()
        .newDocumentBuilder()
        .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
  }

  static List<Element> charts(Document svg) {
    List<Element> charts = new ArrayList<>();
    NodeList groups = svg.getElementsByTagName("g");
    for (int i = 0; i < groups.getLength(); i++) {
      Element group = (Element) groups.item(i);
      if (group.getAttribute("class").equals("chart")) {
        charts.add(group);
      }
    }
    return charts;
  }

  /** The text of the one text or tspan element of class {@code name} in {@code chart}. */
  private static String text(Element chart, String name) {
    List<String> found = new ArrayList<>();
    for (String tag : List.of("text", "tspan")) {
      NodeList nodes = chart.getElementsByTagName(tag);
      for (int i = 0; i < nodes.getLength(); i++) {
        Element node = (Element) nodes.item(i);
        if (node.getAttribute("class").equals(name)) {
          found.add(node.getTextContent());
        }
      }
    }
    assertEquals(1, found.size(), "elements of class " + name + ": " + found);
    return found.get(0);
  }

  private static List<String> axisLabels(Document svg) {
    List<String> labels = new ArrayList<>();
    NodeList texts = charts(svg).get(0).getElementsByTagName("text");
    for (int i = 0; i < texts.getLength(); i++) {
      String text = texts.item(i).getTextContent();
      if (text.endsWith(" %")) {
        labels.add(text);
      }
    }
    assertFalse(labels.isEmpty());
    return labels;
  }
}
