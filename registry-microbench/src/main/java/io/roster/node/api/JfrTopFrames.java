package io.roster.node.api;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where a JFR recording's CPU samples ({@code jdk.ExecutionSample}) fell: by thread, by the method
 * on top of the stack, and by the methods anywhere on the stack (inclusive), the latter restricted
 * to the serving stack's packages. What {@code jfr print --events jdk.ExecutionSample} shows, added
 * up.
 */
final class JfrTopFrames {

  private static final List<String> STACK_PACKAGES =
      List.of("io.vertx.", "io.netty.", "io.grpc.", "io.roster.", "com.google.protobuf.");

  private JfrTopFrames() {}

  static void summarize(Path recording, int top, PrintStream out) throws IOException {
    Map<String, Integer> byThread = new HashMap<>();
    Map<String, Integer> topFrames = new HashMap<>();
    Map<String, Integer> topPackages = new HashMap<>();
    Map<String, Integer> inclusive = new HashMap<>();
    Map<String, Long> allocated = new HashMap<>();
    long allocatedBytes = 0;
    int collections = 0;
    double pauseMillis = 0;
    int samples = 0;
    for (RecordedEvent event : RecordingFile.readAllEvents(recording)) {
      String type = event.getEventType().getName();
      if (type.equals("jdk.GarbageCollection")) {
        collections++;
        pauseMillis += event.getDuration("sumOfPauses").toNanos() / 1e6;
        continue;
      }
      if (type.equals("jdk.ObjectAllocationSample")) {
        long weight = event.getLong("weight");
        allocatedBytes += weight;
        RecordedStackTrace stack = event.getStackTrace();
        if (stack != null) {
          // The first frame of the serving stack that allocated (not the JDK's copy helpers).
          for (RecordedFrame frame : stack.getFrames()) {
            String method = name(frame);
            if (STACK_PACKAGES.stream().anyMatch(method::startsWith)) {
              allocated.merge(method, weight, Long::sum);
              break;
            }
          }
        }
        continue;
      }
      if (!type.equals("jdk.ExecutionSample")) {
        continue;
      }
      samples++;
      String thread =
          event.getThread("sampledThread") == null
              ? "?"
              : event.getThread("sampledThread").getJavaName();
      byThread.merge(thread == null ? "?" : thread, 1, Integer::sum);
      RecordedStackTrace stack = event.getStackTrace();
      if (stack == null || stack.getFrames().isEmpty()) {
        continue;
      }
      List<RecordedFrame> frames = stack.getFrames();
      String first = name(frames.get(0));
      topFrames.merge(first, 1, Integer::sum);
      topPackages.merge(packageOf(frames.get(0)), 1, Integer::sum);
      Set<String> seen = new HashSet<>();
      for (RecordedFrame frame : frames) {
        String method = name(frame);
        if (STACK_PACKAGES.stream().anyMatch(method::startsWith) && seen.add(method)) {
          inclusive.merge(method, 1, Integer::sum);
        }
      }
    }
    out.printf(
        "%d execution samples in %s; %d garbage collections, %.0f ms of pauses; about %.0f MB"
            + " allocated (allocation samples' weight)%n%n",
        samples, recording.getFileName(), collections, pauseMillis, allocatedBytes / 1e6);
    print(out, "samples by thread", byThread, top, samples);
    print(out, "top frame (self), by package", topPackages, top, samples);
    print(out, "top frame (self), by method", topFrames, top, samples);
    print(out, "on the stack (inclusive), serving-stack methods", inclusive, top * 2, samples);
    long allBytes = Math.max(1, allocatedBytes);
    out.println("| allocated by (first serving-stack frame) | MB | share |");
    out.println("|---|---:|---:|");
    allocated.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .limit(top)
        .forEach(
            e ->
                out.printf(
                    "| `%s` | %.1f | %.1f %% |%n",
                    e.getKey(), e.getValue() / 1e6, 100.0 * e.getValue() / allBytes));
    out.println();
  }

  private static String name(RecordedFrame frame) {
    return frame.getMethod().getType().getName() + "." + frame.getMethod().getName();
  }

  private static String packageOf(RecordedFrame frame) {
    String type = frame.getMethod().getType().getName();
    String[] parts = type.split("\\.");
    int keep = Math.min(parts.length - 1, type.startsWith("io.grpc.netty.shaded") ? 6 : 3);
    return String.join(".", List.of(parts).subList(0, Math.max(1, keep)));
  }

  private static void print(
      PrintStream out, String title, Map<String, Integer> counts, int top, int samples) {
    out.println("| " + title + " | samples | share |");
    out.println("|---|---:|---:|");
    Map<String, Integer> sorted = new LinkedHashMap<>();
    counts.entrySet().stream()
        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
        .limit(top)
        .forEach(e -> sorted.put(e.getKey(), e.getValue()));
    sorted.forEach(
        (name, count) ->
            out.printf("| `%s` | %d | %.1f %% |%n", name, count, 100.0 * count / samples));
    out.println();
  }
}
