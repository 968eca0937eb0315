package io.roster.bench;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Where a JFR recording's CPU samples ({@code jdk.ExecutionSample}) went, as text: the number of
 * samples, the samples per thread group (a thread's name with its trailing number replaced by N,
 * e.g. {@code hz.x.partition-operation.thread-N}), the methods most often on top of the stack (self
 * samples) and the methods most often anywhere on it (inclusive samples, each method counted once
 * per stack), each with its share of all samples. Methods are named by class and method, so
 * overloads add up.
 *
 * <p>The bench writes one summary beside each recording it makes with {@code --profile}. Runnable
 * on any recording:
 *
 * <pre>{@code
 * java -cp registry-bench/target/registry-bench-*-all.jar io.roster.bench.JfrTop [--top N] a.jfr...
 * }</pre>
 *
 * <p>Stateless; {@link #summarize} reads the file as it goes (a recording is not held in memory).
 */
@Command(
    name = "jfr-top",
    usageHelpWidth = 100,
    description =
        "Summarizes the CPU samples (jdk.ExecutionSample) of JFR recordings: samples per thread"
            + " group, top methods by self and by inclusive samples.")
public final class JfrTop implements Callable<Integer> {
  static final String EXECUTION_SAMPLE = "jdk.ExecutionSample";

  /** Thread groups listed at most; the rest are summed up in one line. */
  private static final int THREAD_GROUPS_SHOWN = 40;

  private static final Pattern TRAILING_NUMBER = Pattern.compile("\\d+$");

  @Parameters(arity = "1..*", paramLabel = "file.jfr", description = "Recordings to summarize.")
  private List<Path> files;

  @Option(
      names = "--top",
      paramLabel = "N",
      defaultValue = "25",
      description = "Methods listed by self and by inclusive samples (default: ${DEFAULT-VALUE}).")
  private int top;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help.")
  private boolean helpRequested;

  /**
   * Prints the summary of each file given; exit code 1 when one cannot be read, 64 for a
   * command-line mistake (as registry-bench).
   */
  public static void main(String[] args) {
    CommandLine commandLine = new CommandLine(new JfrTop());
    commandLine.setOut(new PrintWriter(System.out, true, StandardCharsets.UTF_8));
    commandLine.setParameterExceptionHandler(
        (ex, ignored) -> {
          ex.getCommandLine().getErr().println("jfr-top: " + ex.getMessage());
          ex.getCommandLine().usage(ex.getCommandLine().getErr());
          return BenchMain.EXIT_USAGE;
        });
    System.exit(commandLine.execute(args));
  }

  @Override
  public Integer call() {
    int code = 0;
    for (Path file : files) {
      try {
        System.out.println(summarize(file, top).text());
      } catch (IOException | UncheckedIOException e) {
        System.err.println("jfr-top: cannot read " + file + ": " + e.getMessage());
        code = 1;
      }
    }
    return code;
  }

  /** A name (thread group or method) and its samples. */
  record Count(String name, long samples) {}

  /**
   * The CPU samples of one recording.
   *
   * @param samples execution samples in all
   * @param span from the first sample to the last
   * @param truncatedStacks samples whose stack was cut at the recording's depth (64 frames by
   *     default): the outer frames' inclusive counts miss them
   * @param threadGroups every thread group, most samples first
   * @param self the top methods by self samples, most first
   * @param inclusive the top methods by inclusive samples, most first
   */
  record Summary(
      Path file,
      long samples,
      Duration span,
      long truncatedStacks,
      List<Count> threadGroups,
      List<Count> self,
      List<Count> inclusive) {

    Summary {
      threadGroups = List.copyOf(threadGroups);
      self = List.copyOf(self);
      inclusive = List.copyOf(inclusive);
    }

    /** The summary as plain text, one table per list. */
    String text() {
      StringBuilder text = new StringBuilder();
      text.append("JFR CPU samples (").append(EXECUTION_SAMPLE).append("): ").append(file);
      text.append('\n');
      text.append(
          String.format(
              Locale.ROOT,
              "execution samples: %,d over %.1f s; %,d stacks truncated at the recording's depth%s%n",
              samples,
              span.toMillis() / 1_000.0,
              truncatedStacks,
              truncatedStacks == 0
                  ? ""
                  : " (their outer frames are missing from the inclusive counts)"));
      text.append("\nby thread group (trailing number replaced by N):\n");
      table(text, threadGroups.subList(0, Math.min(THREAD_GROUPS_SHOWN, threadGroups.size())));
      if (threadGroups.size() > THREAD_GROUPS_SHOWN) {
        long rest = 0;
        for (Count count : threadGroups.subList(THREAD_GROUPS_SHOWN, threadGroups.size())) {
          rest += count.samples();
        }
        row(text, new Count((threadGroups.size() - THREAD_GROUPS_SHOWN) + " more groups", rest));
      }
      text.append("\ntop ")
          .append(self.size())
          .append(" methods by self samples (on top of the stack):\n");
      table(text, self);
      text.append("\ntop ")
          .append(inclusive.size())
          .append(" methods by inclusive samples (anywhere on the stack, once per stack):\n");
      table(text, inclusive);
      return text.toString();
    }

    private void table(StringBuilder text, List<Count> counts) {
      text.append(String.format(Locale.ROOT, "%10s %7s  %s%n", "samples", "%", "name"));
      for (Count count : counts) {
        row(text, count);
      }
    }

    private void row(StringBuilder text, Count count) {
      double percent = samples == 0 ? 0 : count.samples() * 100.0 / samples;
      text.append(
          String.format(
              Locale.ROOT, "%,10d %6.2f%%  %s%n", count.samples(), percent, count.name()));
    }
  }

  /**
   * Reads the execution samples of {@code file}.
   *
   * @param top methods listed by self and by inclusive samples
   * @throws IOException when the file is not a readable recording
   */
  static Summary summarize(Path file, int top) throws IOException {
    if (top < 1) {
      throw new IllegalArgumentException("top is " + top + ": give at least 1");
    }
    long samples = 0;
    long truncated = 0;
    Instant first = null;
    Instant last = null;
    Map<String, Long> threadGroups = new HashMap<>();
    Map<String, Long> self = new HashMap<>();
    Map<String, Long> inclusive = new HashMap<>();
    Set<String> onThisStack = new HashSet<>();
    try (RecordingFile recording = new RecordingFile(file)) {
      while (recording.hasMoreEvents()) {
        RecordedEvent event = recording.readEvent();
        if (!event.getEventType().getName().equals(EXECUTION_SAMPLE)) {
          continue;
        }
        samples++;
        Instant at = event.getStartTime();
        first = first == null || at.isBefore(first) ? at : first;
        last = last == null || at.isAfter(last) ? at : last;
        threadGroups.merge(threadGroup(event.getThread("sampledThread")), 1L, Long::sum);
        RecordedStackTrace stack = event.getStackTrace();
        if (stack == null || stack.getFrames().isEmpty()) {
          continue;
        }
        if (stack.isTruncated()) {
          truncated++;
        }
        List<RecordedFrame> frames = stack.getFrames();
        self.merge(methodName(frames.get(0)), 1L, Long::sum);
        onThisStack.clear();
        for (RecordedFrame frame : frames) {
          String method = methodName(frame);
          if (onThisStack.add(method)) {
            inclusive.merge(method, 1L, Long::sum);
          }
        }
      }
    }
    Duration span = first == null ? Duration.ZERO : Duration.between(first, last);
    return new Summary(
        file,
        samples,
        span,
        truncated,
        ranked(threadGroups, Integer.MAX_VALUE),
        ranked(self, top),
        ranked(inclusive, top));
  }

  /** {@code hz.x.partition-operation.thread-3} → {@code hz.x.partition-operation.thread-N}. */
  static String threadGroup(String threadName) {
    return TRAILING_NUMBER.matcher(threadName).replaceFirst("N");
  }

  private static String threadGroup(RecordedThread thread) {
    if (thread == null) {
      return "(no thread)";
    }
    String name = thread.getJavaName() != null ? thread.getJavaName() : thread.getOSName();
    return name == null ? "(unnamed)" : threadGroup(name);
  }

  private static String methodName(RecordedFrame frame) {
    RecordedMethod method = frame.getMethod();
    if (method == null) {
      return "(unknown)";
    }
    return (method.getType() == null ? "?" : method.getType().getName()) + "." + method.getName();
  }

  /** The {@code top} entries with most samples, most first, ties by name. */
  private static List<Count> ranked(Map<String, Long> counts, int top) {
    List<Count> ranked = new ArrayList<>();
    counts.forEach((name, samples) -> ranked.add(new Count(name, samples)));
    ranked.sort(Comparator.comparingLong(Count::samples).reversed().thenComparing(Count::name));
    return ranked.subList(0, Math.min(top, ranked.size()));
  }
}
