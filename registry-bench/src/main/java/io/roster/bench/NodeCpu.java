package io.roster.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * CPU time of the node processes and of the bench itself, read from {@code /proc/<pid>/stat} (user
 * plus system time, in clock ticks), so a phase can say what its load cost the nodes.
 *
 * <p>Node processes are those given with {@code --node-pids}, or else found by their command line:
 * a process whose arguments mention {@code registry-node} and {@code --api.port=<port>} of a
 * target. When a target's node is not found (another machine, another user, no /proc), CPU is not
 * measured and the report says so.
 *
 * <p>Immutable; reading is safe from any thread.
 */
final class NodeCpu {
  private static final Path PROC = Path.of("/proc");

  private final List<Long> pids;
  private final String unmeasuredReason;
  private final double secondsPerTick;

  private NodeCpu(List<Long> pids, String unmeasuredReason, double secondsPerTick) {
    this.pids = List.copyOf(pids);
    this.unmeasuredReason = unmeasuredReason;
    this.secondsPerTick = secondsPerTick;
  }

  /** Uses {@code explicitPids} when given, else looks for the targets' node processes. */
  static NodeCpu locate(List<TargetAddress> targets, List<Long> explicitPids) {
    double secondsPerTick = 1.0 / clockTicksPerSecond();
    if (!Files.isDirectory(PROC)) {
      return new NodeCpu(List.of(), "no /proc on this machine", secondsPerTick);
    }
    if (!explicitPids.isEmpty()) {
      for (long pid : explicitPids) {
        if (!Files.isReadable(PROC.resolve(Long.toString(pid)).resolve("stat"))) {
          return new NodeCpu(List.of(), "no process " + pid + " (--node-pids)", secondsPerTick);
        }
      }
      return new NodeCpu(explicitPids, null, secondsPerTick);
    }
    Map<Integer, Long> pidByPort = scan(targets);
    List<String> missing = new ArrayList<>();
    for (TargetAddress target : targets) {
      if (!pidByPort.containsKey(target.port())) {
        missing.add(target.authority());
      }
    }
    if (!missing.isEmpty()) {
      return new NodeCpu(
          List.of(),
          "no registry-node process found for " + String.join(", ", missing),
          secondsPerTick);
    }
    List<Long> pids = new ArrayList<>();
    for (TargetAddress target : targets) {
      pids.add(pidByPort.get(target.port()));
    }
    return new NodeCpu(pids, null, secondsPerTick);
  }

  /** Whether node CPU is measured. */
  boolean measured() {
    return unmeasuredReason == null;
  }

  /** Why node CPU is not measured, or null. */
  String unmeasuredReason() {
    return unmeasuredReason;
  }

  /** The node processes, in the order of the targets when found or given one per target. */
  List<Long> pids() {
    return pids;
  }

  /** A reading of the nodes' and the bench's CPU time, to compare with a later one. */
  Reading read() {
    long nodes = 0;
    boolean complete = measured();
    List<Long> each = new ArrayList<>(pids.size());
    for (long pid : pids) {
      OptionalLong ticks = ticks(PROC.resolve(Long.toString(pid)).resolve("stat"));
      if (ticks.isEmpty()) {
        complete = false; // a node exited: its time is lost, so a difference would be wrong
        each.add(-1L);
      } else {
        nodes += ticks.getAsLong();
        each.add(ticks.getAsLong());
      }
    }
    OptionalLong self = ticks(PROC.resolve("self").resolve("stat"));
    return new Reading(
        System.nanoTime(),
        complete ? nodes : -1,
        each,
        self.orElse(-1),
        machineBusyTicks().orElse(-1));
  }

  /** CPU used between two readings; NaN where not measured. */
  Usage since(Reading before) {
    Reading after = read();
    double wall = (after.nanos - before.nanos) / 1e9;
    double nodes =
        before.nodeTicks < 0 || after.nodeTicks < 0
            ? Double.NaN
            : (after.nodeTicks - before.nodeTicks) * secondsPerTick;
    double bench =
        before.selfTicks < 0 || after.selfTicks < 0
            ? Double.NaN
            : (after.selfTicks - before.selfTicks) * secondsPerTick;
    double machine =
        before.machineTicks < 0 || after.machineTicks < 0
            ? Double.NaN
            : (after.machineTicks - before.machineTicks) * secondsPerTick;
    List<Double> eachNode = new ArrayList<>(before.eachNodeTicks.size());
    for (int i = 0; i < before.eachNodeTicks.size(); i++) {
      long from = before.eachNodeTicks.get(i);
      long to = after.eachNodeTicks.get(i);
      eachNode.add(from < 0 || to < 0 ? Double.NaN : (to - from) * secondsPerTick);
    }
    return new Usage(wall, nodes, eachNode, bench, machine);
  }

  /**
   * Clock ticks and when they were read; -1 where not readable.
   *
   * @param nodeTicks all nodes together; -1 unless every node was read
   * @param eachNodeTicks each node's, in the order of {@link #pids}
   */
  record Reading(
      long nanos, long nodeTicks, List<Long> eachNodeTicks, long selfTicks, long machineTicks) {
    Reading {
      eachNodeTicks = List.copyOf(eachNodeTicks);
    }
  }

  /**
   * CPU seconds used over {@code wallSeconds}, by all nodes together, by the bench, and by every
   * process of the machine (so what other processes took is known: this machine may be shared).
   *
   * @param nodeCpuSeconds NaN when not measured
   * @param eachNodeCpuSeconds each node's, in the order of {@link #pids}; NaN for a node not read
   * @param benchCpuSeconds NaN when not measured
   * @param machineCpuSeconds NaN when not measured
   */
  record Usage(
      double wallSeconds,
      double nodeCpuSeconds,
      List<Double> eachNodeCpuSeconds,
      double benchCpuSeconds,
      double machineCpuSeconds) {
    Usage {
      eachNodeCpuSeconds = List.copyOf(eachNodeCpuSeconds);
    }

    /**
     * Average cores busy with anything but the nodes and the bench. Approximate: the counters are
     * read one after the other in clock ticks, so a quiet machine can come out a little below zero,
     * which is reported as 0.
     */
    double otherCores() {
      return Math.max(0, (machineCpuSeconds - nodeCpuSeconds - benchCpuSeconds) / wallSeconds);
    }

    /** Average cores busy with the nodes. */
    double nodeCores() {
      return nodeCpuSeconds / wallSeconds;
    }

    double benchCores() {
      return benchCpuSeconds / wallSeconds;
    }
  }

  /** utime + stime of a /proc stat file, or empty when the process is gone. */
  private static OptionalLong ticks(Path stat) {
    try {
      String text = Files.readString(stat, StandardCharsets.US_ASCII);
      // The command name (field 2) is in parentheses and may hold spaces: count after its end.
      String[] fields = text.substring(text.lastIndexOf(')') + 2).split(" ");
      // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
      return OptionalLong.of(Long.parseLong(fields[11]) + Long.parseLong(fields[12]));
    } catch (IOException | RuntimeException e) {
      return OptionalLong.empty();
    }
  }

  /**
   * Busy time of all CPUs (user, nice, system, irq, softirq, steal) from the first line of
   * /proc/stat, in the same clock ticks as /proc/PID/stat.
   */
  private static OptionalLong machineBusyTicks() {
    try {
      String first = Files.readAllLines(PROC.resolve("stat"), StandardCharsets.US_ASCII).get(0);
      String[] fields = first.trim().split("\\s+");
      if (!fields[0].equals("cpu")) {
        return OptionalLong.empty();
      }
      long busy = 0;
      for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
        busy += Long.parseLong(fields[i]);
      }
      return OptionalLong.of(busy);
    } catch (IOException | RuntimeException e) {
      return OptionalLong.empty();
    }
  }

  /** Target port to the pid of the registry-node process serving it. */
  private static Map<Integer, Long> scan(List<TargetAddress> targets) {
    Map<Integer, Long> found = new TreeMap<>();
    int bound = 100_000; // processes looked at, at most
    try (DirectoryStream<Path> processes = Files.newDirectoryStream(PROC, "[0-9]*")) {
      for (Path process : processes) {
        if (bound-- <= 0) {
          break;
        }
        List<String> args = commandLine(process);
        if (args.stream().noneMatch(arg -> arg.contains("registry-node"))) {
          continue;
        }
        for (TargetAddress target : targets) {
          if (args.contains("--api.port=" + target.port())) {
            found.put(target.port(), Long.parseLong(process.getFileName().toString()));
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      return found;
    }
    return found;
  }

  private static List<String> commandLine(Path process) {
    try {
      byte[] raw = Files.readAllBytes(process.resolve("cmdline"));
      return List.of(new String(raw, StandardCharsets.UTF_8).split("\0"));
    } catch (IOException | RuntimeException e) {
      return List.of(); // gone, or not ours to read
    }
  }

  /** {@code getconf CLK_TCK}; 100 (Linux's usual value) when it cannot be asked. */
  private static long clockTicksPerSecond() {
    try {
      Process getconf = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      if (!getconf.waitFor(5, TimeUnit.SECONDS)) {
        getconf.destroyForcibly();
        return 100;
      }
      String out = new String(getconf.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
      long ticks = Long.parseLong(out.trim());
      return ticks > 0 ? ticks : 100;
    } catch (IOException | RuntimeException e) {
      return 100;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 100;
    }
  }
}
