package io.roster.bench;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Draws each phase's latency distribution as an SVG "latency by percentile" chart, the plot
 * HdrHistogram users know: the percentile axis on a log scale of 1/(1 − p), so 90 %, 99 %, 99.9 %
 * and 99.99 % are equally far apart and the tail gets as much room as the body; the latency at that
 * percentile up the other axis.
 *
 * <p>One small chart per phase, stacked top to bottom, each with its own linear latency axis from 0
 * ms. Why not one chart with a shared axis, even a log one: the phases differ by four orders of
 * magnitude (a Register call takes about a millisecond, failure detection about a TTL, 10 s), so a
 * shared axis squeezes each phase into a band a few pixels high where its tail cannot be told from
 * its median. Why linear and not log within a chart: heights stay proportional, so a p99 three
 * times the p50 looks three times as high, which a log axis flattens. The charts share the
 * percentile axis (99.99 % at least, further when a phase has more samples), so their ticks line
 * up. Each chart's title gives the phase, what was timed, the sample count and p50, p99 and max as
 * the table prints them.
 *
 * <p>Deterministic: the same histograms give the same bytes (no clock, no default locale, no hash
 * order). Plain strings, no dependency; every text from a phase is escaped.
 *
 * <p>Stateless: safe from any thread.
 */
final class LatencyPlot {

  /** One phase's chart: the phase, what was timed (e.g. "Register call"), its latencies. */
  record Series(String phase, String timed, Latencies latencies) {}

  static final int WIDTH = 760;

  private static final int LEFT = 72; // the latency tick labels
  private static final int RIGHT = 40; // half of the last percentile label
  private static final int PLOT_WIDTH = WIDTH - LEFT - RIGHT;
  private static final int PLOT_HEIGHT = 160;
  private static final int HEADER_HEIGHT = 50;
  private static final int CHART_TITLE_HEIGHT = 50; // title line, summary line
  private static final int CHART_FOOT_HEIGHT = 34; // percentile tick labels, gap to the next chart
  private static final int EMPTY_CHART_HEIGHT = 56;

  /** Points per halving of the distance to 100 %: about 8 px apart on the percentile axis. */
  private static final int TICKS_PER_HALF_DISTANCE = 8;

  /** The percentile axis reaches 99.99 % at least, 99.99999 % at most. */
  private static final int MIN_DECADES = 4;

  private static final int MAX_DECADES = 7;

  /** Room above the max, so its marker and label stay inside the chart. */
  private static final double HEADROOM = 1.08;

  /** Nice tops for the latency axis (times a power of ten) and how many steps divide each. */
  private static final int[][] NICE_TOPS = {
    {10, 5}, {12, 4}, {15, 3}, {20, 4}, {25, 5}, {30, 3}, {40, 4}, {50, 5}, {60, 3}, {80, 4},
    {100, 5}
  };

  private static final String CURVE_COLOUR = "#1f5fa6";
  private static final String MARKER_COLOUR = "#b8322a";
  private static final String GRID_COLOUR = "#e2e2e2";
  private static final String AXIS_COLOUR = "#8a8a8a";
  private static final String NOTE_COLOUR = "#555555";

  private LatencyPlot() {}

  /** The SVG document: a header, then one chart per series in the order given. */
  static String svg(List<Series> series) {
    long largestCount = series.stream().mapToLong(s -> s.latencies().count()).max().orElse(0);
    int decades =
        Math.max(
            MIN_DECADES,
            Math.min(MAX_DECADES, (int) Math.ceil(Math.log10(Math.max(1, largestCount)))));
    StringBuilder charts = new StringBuilder();
    int top = HEADER_HEIGHT;
    for (Series one : series) {
      top += chart(charts, one, top, decades);
    }
    int height = top + 10;
    StringBuilder svg = new StringBuilder();
    svg.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        .append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"")
        .append(WIDTH)
        .append("\" height=\"")
        .append(height)
        .append("\" viewBox=\"0 0 ")
        .append(WIDTH)
        .append(' ')
        .append(height)
        .append("\" font-family=\"sans-serif\" font-size=\"12\">\n")
        .append("<title>Latency by percentile</title>\n")
        .append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n")
        .append("<text x=\"12\" y=\"22\" font-size=\"16\" font-weight=\"bold\">")
        .append("Latency by percentile</text>\n")
        .append("<text x=\"12\" y=\"40\" font-size=\"11\" fill=\"")
        .append(NOTE_COLOUR)
        .append("\">One chart per phase, each with its own latency scale from 0 ms; percentile")
        .append(" on a log scale of 1/(1 \u2212 p).</text>\n")
        .append(charts)
        .append("</svg>\n");
    return svg.toString();
  }

  /** Appends one phase's chart at {@code top}; returns its height. */
  private static int chart(StringBuilder svg, Series series, int top, int decades) {
    Latencies latencies = series.latencies();
    long count = latencies.count();
    svg.append("<g class=\"chart\" data-phase=\"")
        .append(escape(series.phase()))
        .append("\" transform=\"translate(0,")
        .append(top)
        .append(")\">\n");
    svg.append("<text class=\"title\" x=\"12\" y=\"16\" font-weight=\"bold\">")
        .append(escape(series.phase()))
        .append(series.timed().isEmpty() ? "" : ": " + escape(series.timed()))
        .append("</text>\n");
    if (count == 0) {
      svg.append("<text class=\"summary\" x=\"12\" y=\"36\" fill=\"")
          .append(NOTE_COLOUR)
          .append("\">no samples</text>\n</g>\n");
      return EMPTY_CHART_HEIGHT;
    }
    double p50 = latencies.percentileMillis(50);
    double p99 = latencies.percentileMillis(99);
    double max = latencies.maxMillis();
    svg.append("<text class=\"summary\" x=\"12\" y=\"34\">")
        .append("<tspan class=\"count\">")
        .append(String.format(Locale.ROOT, "%,d", count))
        .append(count == 1 ? " sample" : " samples")
        .append("</tspan>; <tspan class=\"p50\">p50 ")
        .append(Json.number(p50))
        .append(" ms</tspan>, <tspan class=\"p99\">p99 ")
        .append(Json.number(p99))
        .append(" ms</tspan>, <tspan class=\"max\">max ")
        .append(Json.number(max))
        .append(" ms</tspan></text>\n");

    int plotTop = CHART_TITLE_HEIGHT;
    int plotBottom = plotTop + PLOT_HEIGHT;
    Scale scale = Scale.above(max * HEADROOM);
    Frame frame = new Frame(decades, scale.top().doubleValue(), plotTop);

    // The grid: a line and a label at each percentile decade and at each latency step.
    for (int decade = 0; decade <= decades; decade++) {
      double x = frame.x(decade);
      line(svg, x, plotTop, x, plotBottom, GRID_COLOUR);
      svg.append("<text x=\"")
          .append(coordinate(x))
          .append("\" y=\"")
          .append(plotBottom + 16)
          .append("\" text-anchor=\"middle\" font-size=\"11\">")
          .append(percentileLabel(decade))
          .append(" %</text>\n");
    }
    for (int step = 0; step <= scale.steps(); step++) {
      BigDecimal value = scale.step().multiply(BigDecimal.valueOf(step));
      double y = frame.y(value.doubleValue());
      line(svg, LEFT, y, LEFT + PLOT_WIDTH, y, GRID_COLOUR);
      svg.append("<text x=\"")
          .append(LEFT - 6)
          .append("\" y=\"")
          .append(coordinate(y + 4))
          .append("\" text-anchor=\"end\" font-size=\"11\">")
          .append(tickLabel(value))
          .append("</text>\n");
    }
    svg.append("<rect x=\"")
        .append(LEFT)
        .append("\" y=\"")
        .append(plotTop)
        .append("\" width=\"")
        .append(PLOT_WIDTH)
        .append("\" height=\"")
        .append(PLOT_HEIGHT)
        .append("\" fill=\"none\" stroke=\"")
        .append(AXIS_COLOUR)
        .append("\"/>\n");
    svg.append("<text x=\"16\" y=\"")
        .append(plotTop + PLOT_HEIGHT / 2)
        .append("\" transform=\"rotate(-90 16 ")
        .append(plotTop + PLOT_HEIGHT / 2)
        .append(")\" text-anchor=\"middle\" font-size=\"11\">latency (ms)</text>\n");

    // The curve, through the exact p50 and p99 where the samples reach them.
    List<Point> curve = curve(latencies, decades);
    Point end = curve.get(curve.size() - 1);
    svg.append("<polyline class=\"latency\" fill=\"none\" stroke=\"")
        .append(CURVE_COLOUR)
        .append("\" stroke-width=\"1.5\" stroke-linejoin=\"round\" points=\"");
    for (int i = 0; i < curve.size(); i++) {
      Point point = curve.get(i);
      svg.append(i == 0 ? "" : " ")
          .append(coordinate(frame.x(point.decades())))
          .append(',')
          .append(coordinate(frame.y(point.millis())));
    }
    svg.append("\"/>\n");
    if (decadesOf(50) < end.decades()) {
      marker(svg, frame, "p50", decadesOf(50), p50, plotBottom);
    }
    if (decadesOf(99) < end.decades()) {
      marker(svg, frame, "p99", decadesOf(99), p99, plotBottom);
    }
    marker(svg, frame, "max", end.decades(), max, plotBottom);
    svg.append("</g>\n");
    return CHART_TITLE_HEIGHT + PLOT_HEIGHT + CHART_FOOT_HEIGHT;
  }

  /**
   * The points to draw, in increasing percentile order, latencies never falling: the histogram's
   * percentile levels plus the exact p50 and p99. The largest sample sits at 1/(1 − p) = count (it
   * is the top 1/count of the samples); past the axis' end the curve goes straight to the max.
   */
  static List<Point> curve(Latencies latencies, int decades) {
    List<Point> raw = new ArrayList<>();
    double endAt = 0;
    for (Latencies.Level level : latencies.byPercentile(TICKS_PER_HALF_DISTANCE)) {
      double at =
          level.percentile() >= 100 ? Math.log10(latencies.count()) : decadesOf(level.percentile());
      endAt = Math.max(endAt, at);
      raw.add(new Point(at, level.millis()));
    }
    // The level that first reached the largest sample may lie past log10(count): the max ends
    // the curve all the same.
    raw.set(raw.size() - 1, new Point(endAt, raw.get(raw.size() - 1).millis()));
    for (double percentile : new double[] {50, 99}) {
      if (decadesOf(percentile) < endAt) {
        raw.add(new Point(decadesOf(percentile), latencies.percentileMillis(percentile)));
      }
    }
    raw.sort(Comparator.comparingDouble(Point::decades));
    List<Point> curve = new ArrayList<>();
    for (Point point : raw) {
      double at = Math.min(decades, point.decades());
      Point last = curve.isEmpty() ? null : curve.get(curve.size() - 1);
      if (last == null) {
        curve.add(new Point(at, point.millis()));
      } else if (at <= last.decades()) {
        curve.set(
            curve.size() - 1, new Point(last.decades(), Math.max(last.millis(), point.millis())));
      } else {
        curve.add(new Point(at, Math.max(last.millis(), point.millis())));
      }
    }
    return curve;
  }

  /** Where {@code percentile} (0 to under 100) lies on the axis: log10(1/(1 − p)), in decades. */
  static double decadesOf(double percentile) {
    return Math.log10(100 / (100 - percentile));
  }

  /** A point of the curve: decades along the percentile axis, latency in milliseconds. */
  record Point(double decades, double millis) {}

  /** Maps decades and milliseconds to one chart's pixels. */
  private record Frame(int decades, double topMillis, int plotTop) {
    double x(double atDecades) {
      return LEFT + atDecades / decades * PLOT_WIDTH;
    }

    double y(double millis) {
      return plotTop + PLOT_HEIGHT - millis / topMillis * PLOT_HEIGHT;
    }
  }

  /** A latency axis: from 0 to {@code top} in {@code steps} steps of {@code step} ms. */
  record Scale(BigDecimal top, BigDecimal step, int steps) {
    /** The smallest nice top at or above {@code millis} (positive). */
    static Scale above(double millis) {
      BigDecimal wanted = BigDecimal.valueOf(millis);
      // The power of ten of a tenth of the leading digit: 0.00108 gives 0.0001, 10,800 gives 1,000.
      int exponent = (int) Math.floor(Math.log10(millis)) - 1;
      while (true) {
        BigDecimal unit = BigDecimal.ONE.scaleByPowerOfTen(exponent);
        for (int[] nice : NICE_TOPS) {
          BigDecimal top = unit.multiply(BigDecimal.valueOf(nice[0]));
          if (top.compareTo(wanted) >= 0) {
            return new Scale(top, top.divide(BigDecimal.valueOf(nice[1])), nice[1]);
          }
        }
        exponent++;
      }
    }
  }

  private static void marker(
      StringBuilder svg, Frame frame, String name, double atDecades, double millis, int bottom) {
    double x = frame.x(Math.min(frame.decades(), atDecades));
    double y = frame.y(millis);
    svg.append("<circle class=\"")
        .append(name)
        .append("\" cx=\"")
        .append(coordinate(x))
        .append("\" cy=\"")
        .append(coordinate(y))
        .append("\" r=\"3\" fill=\"")
        .append(MARKER_COLOUR)
        .append("\"><title>")
        .append(name)
        .append(' ')
        .append(Json.number(millis))
        .append(" ms</title></circle>\n");
    // The curve rises to the right: below-right of a point and above-left of it are empty.
    boolean below = !name.equals("max") && y + 14 < bottom - 2;
    svg.append("<text x=\"")
        .append(coordinate(below ? x + 6 : x - 6))
        .append("\" y=\"")
        .append(coordinate(below ? y + 14 : y - 6))
        .append("\" text-anchor=\"")
        .append(below ? "start" : "end")
        .append("\" font-size=\"10\" fill=\"")
        .append(MARKER_COLOUR)
        .append("\">")
        .append(name)
        .append("</text>\n");
  }

  private static void line(
      StringBuilder svg, double x1, double y1, double x2, double y2, String colour) {
    svg.append("<line x1=\"")
        .append(coordinate(x1))
        .append("\" y1=\"")
        .append(coordinate(y1))
        .append("\" x2=\"")
        .append(coordinate(x2))
        .append("\" y2=\"")
        .append(coordinate(y2))
        .append("\" stroke=\"")
        .append(colour)
        .append("\"/>\n");
  }

  /** 0, 90, 99, 99.9 ... for decade 0, 1, 2, 3 ... */
  static String percentileLabel(int decade) {
    return BigDecimal.valueOf(100)
        .subtract(BigDecimal.ONE.scaleByPowerOfTen(2 - decade))
        .stripTrailingZeros()
        .toPlainString();
  }

  /** 0, 0.25, 2.5, 1,000, 12,000. */
  private static String tickLabel(BigDecimal millis) {
    BigDecimal plain = millis.stripTrailingZeros();
    if (plain.signum() == 0) {
      return "0";
    }
    if (plain.scale() <= 0) {
      return String.format(Locale.ROOT, "%,d", plain.longValueExact());
    }
    return plain.toPlainString();
  }

  /** Pixels with one decimal: finer than a screen shows, and the same string on every machine. */
  private static String coordinate(double pixels) {
    return String.format(Locale.ROOT, "%.1f", pixels);
  }

  /**
   * Text and attribute values: the five characters XML reserves; control characters XML forbids.
   */
  static String escape(String text) {
    StringBuilder escaped = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '&' -> escaped.append("&amp;");
        case '<' -> escaped.append("&lt;");
        case '>' -> escaped.append("&gt;");
        case '"' -> escaped.append("&quot;");
        case '\'' -> escaped.append("&apos;");
        default -> escaped.append(c < ' ' && c != '\t' && c != '\n' ? ' ' : c);
      }
    }
    return escaped.toString();
  }
}
