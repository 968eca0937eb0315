package io.roster.bench;

import java.util.Locale;
import java.util.OptionalDouble;

/**
 * The flood phase's result: what each part measured, gathered as it goes, then the figures (the
 * table's row is the well-behaved caller during the flood), a note, and markdown details with both
 * measurements side by side, the flooder's counts and the first refusal of each kind it got (they
 * name the caller the node saw).
 *
 * <p>Not thread-safe: filled and read by the phase's thread.
 */
final class FloodReport {
  private final TargetAddress target;
  private final Caller wellBehaved;
  private final Caller flooder;
  private final FloodConfig flood;
  private NodeReading<Long> heapBefore = NodeReading.unread("not reached");
  private NodeReading<Long> heapAfter = NodeReading.unread("not reached");
  private NodeReading<NodeMetrics> metricsBefore = NodeReading.unread("not reached");
  private NodeReading<NodeMetrics> metricsAfter = NodeReading.unread("not reached");
  private DiscoverFigures baseline;
  private DiscoverFigures during;
  private NodeCpu.Usage baselineCpu;
  private NodeCpu.Usage floodCpu;
  private FloodRegistrations registrations;
  private FloodStreams streams;
  private boolean registrationsDrained = true;
  private Deregistration cleanup;

  FloodReport(TargetAddress target, Caller wellBehaved, Caller flooder, FloodConfig flood) {
    this.target = target;
    this.wellBehaved = wellBehaved;
    this.flooder = flooder;
    this.flood = flood;
  }

  void heapBefore(NodeReading<Long> reading) {
    heapBefore = reading;
  }

  void heapAfter(NodeReading<Long> reading) {
    heapAfter = reading;
  }

  void metricsBefore(NodeReading<NodeMetrics> reading) {
    metricsBefore = reading;
  }

  void metricsAfter(NodeReading<NodeMetrics> reading) {
    metricsAfter = reading;
  }

  void baseline(DiscoverFigures figures) {
    baseline = figures;
  }

  void during(DiscoverFigures figures) {
    during = figures;
  }

  void baselineCpu(NodeCpu.Usage usage) {
    baselineCpu = usage;
  }

  void floodCpu(NodeCpu.Usage usage) {
    floodCpu = usage;
  }

  void flooded(FloodRegistrations registrations, FloodStreams streams) {
    this.registrations = registrations;
    this.streams = streams;
  }

  void registrationsDrained(boolean drained) {
    registrationsDrained = drained;
  }

  /** The flooder's cleanup; null when it registered nothing. */
  void cleanup(Deregistration deregistration) {
    cleanup = deregistration;
  }

  /** Fills {@code result}; a measurement missing (a stop request) leaves its figures out. */
  PhaseResult result(PhaseResult result, boolean stopped) {
    if (baseline == null || during == null) {
      return result.put("ops", 0).note(stopped ? "stopped before the flood" : "not measured");
    }
    result
        .put("ops", during.ops())
        .put("errors", baseline.errors() + during.errors())
        .put("seconds", during.seconds())
        .put("opsPerSec", BenchContext.orNull(during.opsPerSecond()))
        .put("p50Ms", BenchContext.orNull(during.p50Millis()))
        .put("p99Ms", BenchContext.orNull(during.p99Millis()))
        .put("p999Ms", BenchContext.orNull(during.p999Millis()))
        .put("target", target.authority())
        .put("wellBehavedFrom", wellBehaved.sourceAddress())
        .put("flooderFrom", flooder.sourceAddress())
        .put("flooderOwnToken", flood.flooderHasOwnToken())
        .put("threads", WellBehavedCaller.THREADS)
        .put("readsPerSecAsked", flood.readsPerSecond());
    baseline.put(result, "baseline");
    during.put(result, "flood");
    result.put("p99Ratio", BenchContext.orNull(during.p99Millis() / baseline.p99Millis()));
    putFlooder(result);
    putNode(result);
    BenchContext.putCpu(result, floodCpu);
    result.put("baselineNodeCpuCores", BenchContext.orNull(baselineCpu.nodeCores()));
    result.latencies(during.latencies(), "Discover of the well-behaved caller, during the flood");
    addProblem(result, baseline.problem("without the flood"));
    addProblem(result, during.problem("during the flood"));
    result.note(note());
    result.details(details());
    return result;
  }

  private void putFlooder(PhaseResult result) {
    result
        .put("floodRegistrationsAccepted", registrations.accepted())
        .put("floodRegistrationsRefused", registrations.refused())
        .put("floodRegistrationsFailed", registrations.failedOtherwise())
        .put("floodRegistrationAttempts", registrations.attempts())
        .put(
            "floodRegistrationsPerSec",
            BenchContext.orNull(registrations.accepted() / registrations.seconds()))
        .put(
            "floodRegistrationAttemptsPerSec",
            BenchContext.orNull(registrations.attempts() / registrations.seconds()))
        .put("floodRegistrationsDrained", registrationsDrained)
        .put("floodStreamsAsked", streams.asked())
        .put("floodStreamsOpened", streams.opened())
        .put("floodStreamsRefused", streams.refused())
        .put("floodStreamsEndedOtherwise", streams.endedOtherwise())
        .put("floodStreamConnections", streams.connections())
        .put("floodDeregistered", cleanup == null ? 0 : cleanup.succeeded())
        .put("floodCleanupRefusals", cleanup == null ? 0 : cleanup.refusals())
        .put("floodCleanupSeconds", cleanup == null ? null : cleanup.elapsedSeconds())
        .put("floodLeftToRunCleanup", cleanup == null ? 0 : cleanup.left().size());
  }

  private void putNode(PhaseResult result) {
    result
        .put("heapBeforeMb", heapBefore.read() ? heapBefore.value() / 1e6 : null)
        .put("heapAfterFloodMb", heapAfter.read() ? heapAfter.value() / 1e6 : null)
        .put(
            "heapGrowthMb",
            heapBefore.read() && heapAfter.read()
                ? (heapAfter.value() - heapBefore.value()) / 1e6
                : null)
        .put("nodeStreamsOpen", orNull(metric(metricsAfter, "roster_streams_open")))
        .put("nodeLimitCallers", orNull(metric(metricsAfter, "roster_limits_callers")))
        .put("nodeRefusedCalls", orNull(delta("roster_limits_refused_total")))
        .put("nodeRefusedStreams", orNull(delta("roster_limits_streams_refused_total")))
        .put("limits", limits());
  }

  /**
   * "on", "off" or "unknown": a node with limits on keeps a budget for every caller it served (its
   * {@code roster_limits_callers} gauge), one with limits off none; without /metrics, a refusal is
   * the only sign.
   */
  private String limits() {
    OptionalDouble callers = metric(metricsAfter, "roster_limits_callers");
    if (callers.isPresent()) {
      return callers.getAsDouble() > 0 ? "on" : "off";
    }
    return registrations.refused() + streams.refused() > 0 ? "on" : "unknown";
  }

  private String note() {
    return String.format(
        Locale.ROOT,
        "well-behaved Discover p99 %.1f ms → %.1f ms during the flood (%,.0f → %,.0f/s); flooder:"
            + " %,d registrations accepted, %,d refused; %,d of %,d streams opened, %,d refused;"
            + " heap %s; limits %s",
        baseline.p99Millis(),
        during.p99Millis(),
        baseline.opsPerSecond(),
        during.opsPerSecond(),
        registrations.accepted(),
        registrations.refused(),
        streams.opened(),
        streams.asked(),
        streams.refused(),
        heapGrowth(),
        limits());
  }

  private String details() {
    StringBuilder md = new StringBuilder();
    md.append("### flood: one caller flooding, another reading\n\n");
    md.append(
        String.format(
            Locale.ROOT,
            "Target %s, both callers. The %s reads one service of %d instances with %d threads of"
                + " blocking Discover calls, a connection each, %s. The %s registers new services as"
                + " fast as it can (%d calls in flight over %d connections, refusals not waited"
                + " out) and opens up to %,d Watch streams of that service (%d a connection), for"
                + " %d s. Limits: %s.%n%n",
            target,
            wellBehaved.describe(),
            WellBehavedCaller.INSTANCES,
            WellBehavedCaller.THREADS,
            flood.readsPerSecond() == 0
                ? "as fast as they are answered"
                : String.format(Locale.ROOT, "at most %,d a second", flood.readsPerSecond()),
            flooder.describe(),
            FloodRegistrations.IN_FLIGHT,
            FloodRegistrations.CONNECTIONS,
            flood.streams(),
            FloodStreams.STREAMS_PER_CONNECTION,
            flood.durationMillis() / 1_000,
            limits()));
    if (flooderSharesToken()) {
      md.append(
          "Both callers send the run's token: a node that checks callers counts them as one, so"
              + " the well-behaved caller spends the flooder's budget (give the flooder"
              + " --flood-token-file).\n\n");
    }
    md.append("| well-behaved caller's Discover | without the flood | during the flood |\n");
    md.append("|---|---:|---:|\n");
    md.append(row("queries per s", "%,.0f", baseline.opsPerSecond(), during.opsPerSecond()));
    md.append(row("latency p50, ms", "%.2f", baseline.p50Millis(), during.p50Millis()));
    md.append(row("latency p99, ms", "%.2f", baseline.p99Millis(), during.p99Millis()));
    md.append(row("latency p99.9, ms", "%.2f", baseline.p999Millis(), during.p999Millis()));
    md.append(
        String.format(
            Locale.ROOT,
            "| failed calls (of which refused for a rate) | %,d (%,d) | %,d (%,d) |%n",
            baseline.errors(),
            baseline.refused(),
            during.errors(),
            during.refused()));
    md.append(
        row("node CPU, all nodes (cores)", "%.2f", baselineCpu.nodeCores(), floodCpu.nodeCores()));
    md.append("\n| the flooder, and the node | |\n|---|---|\n");
    md.append(
        String.format(
            Locale.ROOT,
            "| registrations accepted | %,d (%,.0f/s) |%n"
                + "| registrations refused, RESOURCE_EXHAUSTED | %,d (of %,d sent, %,.0f/s) |%n"
                + "| registrations failed otherwise | %,d %s|%n"
                + "| Watch streams opened / refused / ended otherwise / asked | %,d / %,d / %,d /"
                + " %,d, over %d connections %s|%n",
            registrations.accepted(),
            registrations.accepted() / registrations.seconds(),
            registrations.refused(),
            registrations.attempts(),
            registrations.attempts() / registrations.seconds(),
            registrations.failedOtherwise(),
            registrations.failedOtherwise() > 0 ? "(" + registrations.failureSummary() + ") " : "",
            streams.opened(),
            streams.refused(),
            streams.endedOtherwise(),
            streams.asked(),
            streams.connections(),
            streams.endedOtherwise() > 0 ? "(" + streams.endingSummary() + ") " : ""));
    md.append("| streams open on the node at the flood's end (`roster_streams_open`) | ")
        .append(metricText(metricsAfter, "roster_streams_open"))
        .append(" |\n");
    md.append("| calls and streams the node refused for a limit during the flood | ")
        .append(deltaText("roster_limits_refused_total"))
        .append(" calls, ")
        .append(deltaText("roster_limits_streams_refused_total"))
        .append(" streams |\n");
    md.append("| target's heap after a full GC: before the baseline → at the flood's end | ")
        .append(heapText(heapBefore))
        .append(" → ")
        .append(heapText(heapAfter))
        .append(" (")
        .append(heapGrowth())
        .append(") |\n\n");
    appendRefusals(md);
    md.append(cleanupText()).append('\n');
    return md.toString();
  }

  private void appendRefusals(StringBuilder md) {
    String registration = registrations.firstRefusal();
    String stream = streams.firstRefusal();
    if (registration == null && stream == null) {
      md.append("The flooder was refused nothing.\n\n");
      return;
    }
    md.append("First refusals the flooder got, as the node worded them:\n\n");
    if (registration != null) {
      md.append("- Register: `").append(registration).append("`\n");
    }
    if (stream != null) {
      md.append("- Watch: `").append(stream).append("`\n");
    }
    md.append('\n');
  }

  private String cleanupText() {
    if (cleanup == null) {
      return "Cleanup: the flooder registered nothing.";
    }
    return String.format(
        Locale.ROOT,
        "Cleanup (not timed): %,d of %,d flood instances deregistered from %s, round robin over"
            + " every target, in %.1f s; %,d calls refused for a rate and sent again after the"
            + " delay asked for%s.",
        cleanup.succeeded(),
        registrations.accepted(),
        flooder.sourceAddress(),
        cleanup.elapsedSeconds(),
        cleanup.refusals(),
        cleanup.left().isEmpty()
            ? ""
            : "; "
                + cleanup.left().size()
                + " left to the run's cleanup "
                + cleanup.failureSummary());
  }

  private boolean flooderSharesToken() {
    return !flood.flooderHasOwnToken() && flood.flooderTransport().hasToken();
  }

  private String heapGrowth() {
    if (!heapBefore.read() || !heapAfter.read()) {
      return "not read (" + (heapBefore.read() ? heapAfter : heapBefore).unreadReason() + ")";
    }
    return String.format(Locale.ROOT, "%+.1f MB", (heapAfter.value() - heapBefore.value()) / 1e6);
  }

  private static String heapText(NodeReading<Long> heap) {
    return heap.read() ? String.format(Locale.ROOT, "%.1f MB", heap.value() / 1e6) : "-";
  }

  private static String row(String name, String format, double before, double after) {
    return "| "
        + name
        + " | "
        + String.format(Locale.ROOT, format, before)
        + " | "
        + String.format(Locale.ROOT, format, after)
        + " |\n";
  }

  private static OptionalDouble metric(NodeReading<NodeMetrics> reading, String name) {
    return reading.read() ? reading.value().value(name) : OptionalDouble.empty();
  }

  private static String metricText(NodeReading<NodeMetrics> reading, String name) {
    OptionalDouble value = metric(reading, name);
    return value.isPresent()
        ? String.format(Locale.ROOT, "%,.0f", value.getAsDouble())
        : "not read (" + (reading.read() ? "no " + name : reading.unreadReason()) + ")";
  }

  /** {@code name}'s growth from before the flood to its end. */
  private OptionalDouble delta(String name) {
    OptionalDouble before = metric(metricsBefore, name);
    OptionalDouble after = metric(metricsAfter, name);
    return before.isPresent() && after.isPresent()
        ? OptionalDouble.of(after.getAsDouble() - before.getAsDouble())
        : OptionalDouble.empty();
  }

  private String deltaText(String name) {
    OptionalDouble value = delta(name);
    return value.isPresent() ? String.format(Locale.ROOT, "%,.0f", value.getAsDouble()) : "-";
  }

  private static Double orNull(OptionalDouble value) {
    return value.isPresent() ? value.getAsDouble() : null;
  }

  private static void addProblem(PhaseResult result, String problem) {
    if (problem != null) {
      result.problem(problem);
    }
  }
}
