package io.roster.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class ResultsTest {

  @Test
  void finishWritesLatencySvgBesideResultsMdAndLinksItUnderTheTable(@TempDir Path directory)
      throws Exception {
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    Results results = new Results(new PrintStream(stdout, true, StandardCharsets.UTF_8), directory);
    results.add(
        new PhaseResult("register")
            .put("ops", 10_000)
            .latencies(LatencyPlotTest.aboutOneMilli(10_000), "Register call"));
    results.add(new PhaseResult("heartbeat").put("ops", 50_000));
    results.add(
        new PhaseResult("failure-detection")
            .put("ops", 200)
            .latencies(LatencyPlotTest.aTtl(), "last heartbeat sent → listed unhealthy"));

    results.finish("# Bench", "Cleanup: 10,200 deregistered");

    Path plot = directory.resolve("latency.svg");
    assertTrue(Files.isRegularFile(plot), "no " + plot);
    assertEquals(
        List.of("register", "failure-detection"),
        LatencyPlotTest.charts(LatencyPlotTest.parse(Files.readString(plot))).stream()
            .map(chart -> chart.getAttribute("data-phase"))
            .toList());
    String markdown = Files.readString(directory.resolve("results.md"));
    int table = markdown.indexOf("| failure-detection |");
    int link = markdown.indexOf("![latency by percentile](latency.svg)");
    assertTrue(table >= 0 && link > table, markdown);
    assertTrue(markdown.indexOf("Cleanup: 10,200 deregistered") > link, markdown);
    assertTrue(
        stdout.toString(StandardCharsets.UTF_8).contains(plot.toString()), stdout.toString());
  }

  @Test
  void finishWithoutLatenciesWritesNoPlotAndRemovesAnEarlierRunsPlot(@TempDir Path directory)
      throws Exception {
    Files.writeString(directory.resolve("latency.svg"), "<svg/>");
    Results results = new Results(new PrintStream(new ByteArrayOutputStream()), directory);
    results.add(new PhaseResult("heartbeat").put("ops", 50_000));

    results.finish("# Bench", "");

    assertFalse(Files.exists(directory.resolve("latency.svg")));
    assertFalse(Files.readString(directory.resolve("results.md")).contains("latency.svg"));
  }

  @Test
  void aPhasesFilesAreWrittenWhenItEndsAndItsDetailsFollowTheTable(@TempDir Path directory)
      throws Exception {
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    Results results = new Results(new PrintStream(stdout, true, StandardCharsets.UTF_8), directory);
    results.add(
        new PhaseResult("protection")
            .put("ops", 3)
            .details("## protection\n\n| t (s) | held back |\n|---:|---:|\n| 1.0 | 3,500 |\n")
            .file("protection.csv", "scenario,t_s\ns2,1.0\n"));

    assertEquals("scenario,t_s\ns2,1.0\n", Files.readString(directory.resolve("protection.csv")));
    results.finish("# Bench", "Cleanup: done");

    String markdown = Files.readString(directory.resolve("results.md"));
    int table = markdown.indexOf("| protection |");
    int details = markdown.indexOf("## protection");
    int footer = markdown.indexOf("Cleanup: done");
    assertTrue(table >= 0 && details > table && footer > details, markdown);
    assertTrue(stdout.toString(StandardCharsets.UTF_8).contains("| 1.0 | 3,500 |"));
  }

  @Test
  void aFileNameWithADirectoryIsRefused() {
    PhaseResult result = new PhaseResult("protection");
    assertThrows(IllegalArgumentException.class, () -> result.file("../results.md", ""));
  }
}
