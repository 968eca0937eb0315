package io.roster.node.api;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Compares gRPC serving paths end to end: a server JVM and a separate client JVM on loopback, the
 * client making blocking unary calls from 32 platform threads, one call each in flight. Served:
 * Discover (the node's own service answering a kept ~15.7 KB answer of 100 instances) and Heartbeat
 * (a fixed tiny answer). See {@link ServingPathServer} for the paths and {@link ServingPathClient}
 * for the load.
 *
 * <pre>
 * registry-microbench/serving-paths                     # the default comparison, 15-20 minutes
 * registry-microbench/serving-paths --rounds=1 --warmup-s=2 --measure-s=3   # a quick look
 * java -cp registry-microbench/target/registry-microbench-*-benchmarks.jar \
 *     io.roster.node.api.ServingPaths compare --variants=bridge:1:1,native:1:1 ...
 * </pre>
 *
 * <p>{@code compare} options: {@code --variants} (each {@code path:event-loops:connections};
 * default {@value #DEFAULT_VARIANTS}), {@code --methods} (discover,heartbeat), {@code --rounds} (3;
 * each round runs every variant once, in an order rotated per round, so no variant always runs
 * first or last), {@code --warmup-s} (5) and {@code --measure-s} (10) per method, {@code --threads}
 * (32), {@code --jfr} (variants to profile after the rounds, in one extra Discover run each, not
 * counted: {@code jcmd <pid> JFR.start settings=profile} over the measured window; default
 * bridge:1:1,direct:1:1; {@code none} for none), {@code --quiet-below-cores} (0.25) and {@code
 * --quiet-wait-s} (120): before each client run, wait up to that long for the rest of the machine
 * to use less than that (0: do not wait), {@code --deadline-ms} (10,000; each call's deadline, 0
 * for none), {@code --out} (default {@code registry-microbench/target/serving-paths-<UTC time>}).
 * Writes {@code results.jsonl} (one line per run), {@code results.md} (medians, ranges, ratios; the
 * JFR summaries) and the recordings there.
 *
 * <p>Bounded: each client run stops at its window's end (or after {@code --max-calls}), each call
 * has a 10 s deadline, and a process that does not finish in time is killed.
 */
public final class ServingPaths {

  static final String DEFAULT_VARIANTS =
      "bridge:1:1,direct:1:1,native:1:1,netty:1:1,direct:1:2,direct:2:2";

  private ServingPaths() {}

  public static void main(String[] argv) throws Exception {
    if (argv.length == 0) {
      throw new IllegalArgumentException("usage: ServingPaths compare|server|client [--key=value]");
    }
    Map<String, String> args = parse(Arrays.copyOfRange(argv, 1, argv.length));
    switch (argv[0]) {
      case "server" -> ServingPathServer.run(args);
      case "client" -> ServingPathClient.run(args);
      case "compare" -> compare(args);
      case "jfr" -> JfrTopFrames.summarize(Path.of(args.get("file")), 25, System.out);
      default -> throw new IllegalArgumentException("unknown command " + argv[0]);
    }
  }

  private static Map<String, String> parse(String[] argv) {
    Map<String, String> args = new LinkedHashMap<>();
    for (String arg : argv) {
      if (!arg.startsWith("--") || !arg.contains("=")) {
        throw new IllegalArgumentException("arguments take the form --key=value, got " + arg);
      }
      args.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
    }
    return args;
  }

  /** One server configuration: path, event loops, client connections. */
  record Variant(String path, int eventLoops, int connections) {
    static Variant parse(String spec) {
      String[] parts = spec.split(":");
      if (parts.length != 3) {
        throw new IllegalArgumentException(
            "a variant is path:event-loops:connections, got " + spec);
      }
      return new Variant(parts[0], Integer.parseInt(parts[1]), Integer.parseInt(parts[2]));
    }

    @Override
    public String toString() {
      return path + ":" + eventLoops + ":" + connections;
    }
  }

  /** One measured client run. */
  record Run(
      int round,
      Variant variant,
      String method,
      Map<String, String> result,
      double serverCores,
      String threads) {
    double number(String key) {
      return Double.parseDouble(result.getOrDefault(key, "NaN"));
    }

    double serverMicrosPerCall() {
      return serverCores * 1e6 / number("qps");
    }
  }

  private static void compare(Map<String, String> args) throws Exception {
    List<Variant> variants = new ArrayList<>();
    for (String spec : args.getOrDefault("variants", DEFAULT_VARIANTS).split(",")) {
      variants.add(Variant.parse(spec.trim()));
    }
    List<String> methods = List.of(args.getOrDefault("methods", "discover,heartbeat").split(","));
    int rounds = Integer.parseInt(args.getOrDefault("rounds", "3"));
    String jfr = args.getOrDefault("jfr", "bridge:1:1,direct:1:1");
    quietBelowCores = Double.parseDouble(args.getOrDefault("quiet-below-cores", "0.25"));
    quietWaitNanos =
        TimeUnit.SECONDS.toNanos(Long.parseLong(args.getOrDefault("quiet-wait-s", "120")));
    Path out =
        Path.of(
            args.getOrDefault(
                "out",
                "registry-microbench/target/serving-paths-"
                    + DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
                        .format(Instant.now().atOffset(ZoneOffset.UTC))));
    Files.createDirectories(out);
    Map<String, String> clientArgs = new LinkedHashMap<>();
    for (String key :
        List.of("threads", "warmup-s", "measure-s", "max-calls", "decode", "deadline-ms")) {
      if (args.containsKey(key)) {
        clientArgs.put(key, args.get(key));
      }
    }
    List<Run> runs = new ArrayList<>();
    Path jsonl = out.resolve("results.jsonl");
    for (int round = 1; round <= rounds; round++) {
      for (int i = 0; i < variants.size(); i++) {
        Variant variant = variants.get((i + round - 1) % variants.size());
        for (Run run : serve(round, variant, methods, clientArgs, null)) {
          runs.add(run);
          Files.writeString(
              jsonl,
              json(run) + "\n",
              StandardCharsets.UTF_8,
              java.nio.file.StandardOpenOption.CREATE,
              java.nio.file.StandardOpenOption.APPEND);
          System.err.println("run " + json(run));
        }
      }
    }
    List<Path> recordings = new ArrayList<>();
    if (!jfr.equals("none")) {
      for (String spec : jfr.split(",")) {
        Variant variant = Variant.parse(spec.trim());
        Path recording = out.resolve("profile-" + spec.replace(':', '-') + "-discover.jfr");
        serve(0, variant, List.of("discover"), clientArgs, recording);
        recordings.add(recording);
      }
    }
    try (PrintStream md = new PrintStream(Files.newOutputStream(out.resolve("results.md")))) {
      table(md, variants, methods, runs);
      for (Path recording : recordings) {
        md.println("### Profile: " + recording.getFileName());
        md.println();
        JfrTopFrames.summarize(recording, 25, md);
      }
    }
    System.out.print(Files.readString(out.resolve("results.md")));
    System.err.println("results in " + out);
  }

  /** Starts a server for {@code variant}, runs a client per method against it, stops it. */
  private static List<Run> serve(
      int round,
      Variant variant,
      List<String> methods,
      Map<String, String> clientArgs,
      Path recording)
      throws Exception {
    Process server =
        java(
            "server",
            Map.of(
                "path", variant.path(),
                "event-loops", Integer.toString(variant.eventLoops()),
                "port", "0"));
    Lines serverOut = new Lines(server);
    List<Run> runs = new ArrayList<>();
    try {
      String listening = serverOut.await("LISTENING", Duration.ofSeconds(60));
      int port = Integer.parseInt(listening.split(" ")[1]);
      for (String method : methods) {
        Map<String, String> args = new LinkedHashMap<>(clientArgs);
        args.put("port", Integer.toString(port));
        args.put("method", method);
        args.put("connections", Integer.toString(variant.connections()));
        double windowS =
            Double.parseDouble(args.getOrDefault("warmup-s", "5"))
                + Double.parseDouble(args.getOrDefault("measure-s", "10"));
        awaitQuiet();
        Process client = java("client", args);
        Lines clientOut = new Lines(client);
        Duration bound = Duration.ofSeconds((long) windowS + 60);
        clientOut.await("MEASURING", bound);
        long cpuFrom = cpuNanos(server);
        long[] machineFrom = machineJiffies();
        long wallFrom = System.nanoTime();
        if (recording != null) {
          jcmd(server, "JFR.start", "name=serving", "settings=profile");
        }
        clientOut.await("DONE", bound);
        long cpuUntil = cpuNanos(server);
        long[] machineUntil = machineJiffies();
        long wallUntil = System.nanoTime();
        if (recording != null) {
          jcmd(server, "JFR.stop", "name=serving", "filename=" + recording.toAbsolutePath());
        }
        String result = clientOut.await("RESULT", Duration.ofSeconds(30));
        if (!client.waitFor(30, TimeUnit.SECONDS)) {
          client.destroyForcibly();
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (String pair : result.substring("RESULT ".length()).split(" ")) {
          int eq = pair.indexOf('=');
          values.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        double serverCores = (cpuUntil - cpuFrom) / (double) (wallUntil - wallFrom);
        // Everything the machine ran in the window, less the server and the client: the noise.
        double machineCores =
            (machineUntil[0] - machineFrom[0])
                / (double) Math.max(1, machineUntil[1] - machineFrom[1])
                * Runtime.getRuntime().availableProcessors();
        values.put(
            "otherCores",
            String.format(
                Locale.ROOT,
                "%.3f",
                Math.max(
                    0,
                    machineCores
                        - serverCores
                        - Double.parseDouble(values.getOrDefault("clientCpuCores", "0")))));
        runs.add(new Run(round, variant, method, values, serverCores, ""));
      }
    } finally {
      // Through its handle: Process.destroy also closes our end of its stdout, and the THREADS
      // line it prints on the way out would be lost.
      server.toHandle().destroy();
      if (!server.waitFor(20, TimeUnit.SECONDS)) {
        server.destroyForcibly();
        server.waitFor(10, TimeUnit.SECONDS);
      }
    }
    String threads = serverOut.find("THREADS");
    List<Run> withThreads = new ArrayList<>();
    for (Run run : runs) {
      withThreads.add(
          new Run(
              run.round(),
              run.variant(),
              run.method(),
              run.result(),
              run.serverCores(),
              threads == null ? "" : threads.substring("THREADS".length()).trim()));
    }
    return withThreads;
  }

  private static Process java(String command, Map<String, String> args) throws IOException {
    List<String> line = new ArrayList<>();
    line.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    line.add("-Xmx512m");
    line.add("-cp");
    line.add(System.getProperty("java.class.path"));
    line.add(ServingPaths.class.getName());
    line.add(command);
    args.forEach((key, value) -> line.add("--" + key + "=" + value));
    return new ProcessBuilder(line).redirectError(ProcessBuilder.Redirect.INHERIT).start();
  }

  /** Other processes' CPU (cores) below which a run may start; 0 runs at once. */
  private static double quietBelowCores = 0;

  /** Longest wait for the machine to be that quiet; the run starts anyway after it. */
  private static long quietWaitNanos = 0;

  /**
   * Waits, at most {@link #quietWaitNanos}, until the machine has spent less than {@link
   * #quietBelowCores} over the last 2 s (a server waiting for its client costs nothing): on a
   * machine shared with other work, runs then start in its quieter moments. Each run still reports
   * what the rest of the machine used during it.
   */
  private static void awaitQuiet() throws InterruptedException {
    if (quietBelowCores <= 0) {
      return;
    }
    long until = System.nanoTime() + quietWaitNanos;
    while (true) {
      long[] from = machineJiffies();
      Thread.sleep(2_000);
      long[] to = machineJiffies();
      double cores =
          (to[0] - from[0])
              / (double) Math.max(1, to[1] - from[1])
              * Runtime.getRuntime().availableProcessors();
      if (cores < quietBelowCores || System.nanoTime() > until) {
        System.err.printf(Locale.ROOT, "machine at %.2f cores before the run%n", cores);
        return;
      }
    }
  }

  /** Busy and total jiffies of the whole machine ({@code /proc/stat}), or zeros elsewhere. */
  private static long[] machineJiffies() {
    try {
      String[] cpu = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long total = 0;
      for (int i = 1; i < cpu.length; i++) {
        total += Long.parseLong(cpu[i]);
      }
      long idle = Long.parseLong(cpu[4]) + Long.parseLong(cpu[5]);
      return new long[] {total - idle, total};
    } catch (IOException | RuntimeException e) {
      return new long[] {0, 0};
    }
  }

  private static long cpuNanos(Process process) {
    return process.info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
  }

  private static void jcmd(Process process, String... command) throws Exception {
    List<String> line = new ArrayList<>();
    line.add(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString());
    line.add(Long.toString(process.pid()));
    line.addAll(List.of(command));
    Process jcmd = new ProcessBuilder(line).redirectErrorStream(true).start();
    String output = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!jcmd.waitFor(60, TimeUnit.SECONDS) || jcmd.exitValue() != 0) {
      throw new IllegalStateException("jcmd " + String.join(" ", command) + " failed: " + output);
    }
  }

  /** A child's stdout, read line by line on a thread of its own (so the pipe never fills). */
  private static final class Lines {
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> all = new ArrayList<>();

    Lines(Process process) {
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader in =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  String line;
                  while ((line = in.readLine()) != null) {
                    synchronized (all) {
                      all.add(line);
                    }
                    lines.add(line);
                  }
                } catch (IOException ignored) {
                  // The process ended.
                }
              },
              "stdout-" + process.pid());
      reader.setDaemon(true);
      reader.start();
    }

    String await(String prefix, Duration bound) throws InterruptedException {
      long until = System.nanoTime() + bound.toNanos();
      while (true) {
        long left = until - System.nanoTime();
        String line = lines.poll(Math.max(0, left), TimeUnit.NANOSECONDS);
        if (line == null) {
          throw new IllegalStateException("no line starting " + prefix + " within " + bound);
        }
        if (line.startsWith(prefix)) {
          return line;
        }
      }
    }

    String find(String prefix) throws InterruptedException {
      Thread.sleep(200);
      synchronized (all) {
        return all.stream().filter(line -> line.startsWith(prefix)).findFirst().orElse(null);
      }
    }
  }

  private static String json(Run run) {
    StringBuilder json = new StringBuilder("{");
    json.append("\"round\":").append(run.round());
    json.append(",\"variant\":\"").append(run.variant()).append('"');
    json.append(",\"method\":\"").append(run.method()).append('"');
    run.result()
        .forEach(
            (key, value) -> {
              if (!key.equals("method")) {
                json.append(",\"").append(key).append("\":");
                boolean number = value.matches("-?[0-9.]+(E-?[0-9]+)?|NaN");
                json.append(number && !value.equals("NaN") ? value : '"' + value + '"');
              }
            });
    json.append(String.format(Locale.ROOT, ",\"serverCores\":%.3f", run.serverCores()));
    json.append(",\"threads\":\"").append(run.threads()).append('"');
    return json.append('}').toString();
  }

  private static void table(
      PrintStream md, List<Variant> variants, List<String> methods, List<Run> runs) {
    md.println(
        "| variant (path:event loops:connections) | method | QPS, median [range] | ratio |"
            + " p50 ms | p99 ms | server cores | server CPU µs per call | client cores | other cores |"
            + " runs |");
    md.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (String method : methods) {
      double baseline = Double.NaN;
      for (Variant variant : variants) {
        List<Run> these =
            runs.stream()
                .filter(r -> r.variant().equals(variant) && r.method().equals(method))
                .toList();
        if (these.isEmpty()) {
          continue;
        }
        double qps = median(these.stream().mapToDouble(r -> r.number("qps")).toArray());
        if (Double.isNaN(baseline)) {
          baseline = qps;
        }
        md.printf(
            Locale.ROOT,
            "| %s | %s | %,.0f [%,.0f–%,.0f] | %.2f | %.2f | %.2f | %.2f | %.0f | %.2f | %.2f | %d |%n",
            variant,
            method,
            qps,
            these.stream().mapToDouble(r -> r.number("qps")).min().orElse(Double.NaN),
            these.stream().mapToDouble(r -> r.number("qps")).max().orElse(Double.NaN),
            qps / baseline,
            median(these.stream().mapToDouble(r -> r.number("p50Ms")).toArray()),
            median(these.stream().mapToDouble(r -> r.number("p99Ms")).toArray()),
            median(these.stream().mapToDouble(Run::serverCores).toArray()),
            median(these.stream().mapToDouble(Run::serverMicrosPerCall).toArray()),
            median(these.stream().mapToDouble(r -> r.number("clientCpuCores")).toArray()),
            median(these.stream().mapToDouble(r -> r.number("otherCores")).toArray()),
            these.size());
      }
    }
    md.println();
    md.println(
        "Ratio: the variant's median QPS over the first variant's, per method. Other cores: what"
            + " the rest of the machine used in the window (/proc/stat less server and client).");
    long errors = runs.stream().mapToLong(r -> (long) r.number("errors")).sum();
    md.println("Failed calls in all runs: " + errors + ".");
    md.println();
    md.println("Event-loop threads of each server (CPU s over its whole life), per run:");
    md.println();
    for (Run run : runs) {
      if (run.method().equals(methods.get(0))) {
        md.println("- round " + run.round() + ", " + run.variant() + ": " + run.threads());
      }
    }
    md.println();
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int mid = sorted.length / 2;
    return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }
}
