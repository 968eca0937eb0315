package io.roster.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Heap of a node process after a full garbage collection, and its resident set, for the memory
 * figures of the scale phase.
 *
 * <p>Asks {@link Jcmd} for {@code GC.run}, then {@code GC.heap_info}: the heap in use once garbage
 * is gone is what the data held costs. Works for node processes of the same user on this machine
 * only; otherwise the phase says why it could not measure.
 *
 * <p>Stateless; each call runs jcmd processes and waits for them (bounded by {@link
 * #JCMD_BOUND_SECONDS}).
 */
final class NodeHeap {
  static final long JCMD_BOUND_SECONDS = Jcmd.BOUND_SECONDS;
  static final int READINGS = 3;

  /** {@code garbage-first heap total 262144K, used 45678K [...]}: the first "used" is the heap. */
  private static final Pattern USED_KB = Pattern.compile("used (\\d+)K");

  private static final Pattern RSS_KB = Pattern.compile("VmRSS:\\s+(\\d+) kB");

  private NodeHeap() {}

  /** Why heap cannot be read on this machine, or null when it can. */
  static String unavailableReason() {
    return Jcmd.unavailableReason();
  }

  /**
   * Bytes of heap in use in {@code pid} right after a full collection: the least of {@value
   * #READINGS} readings. A node keeps serving meanwhile (heartbeats, pings, batches in flight), so
   * one reading holds some short-lived objects of the moment; they only ever add, so the least
   * reading is the closest to what the node retains.
   *
   * @throws IllegalStateException saying why, when jcmd fails or prints no heap line
   */
  static long usedAfterGc(long pid) throws InterruptedException {
    long least = Long.MAX_VALUE;
    for (int i = 0; i < READINGS; i++) {
      least = Math.min(least, oneReading(pid));
    }
    return least;
  }

  private static long oneReading(long pid) throws InterruptedException {
    Jcmd.run(pid, "GC.run");
    String info = Jcmd.run(pid, "GC.heap_info");
    Matcher used = USED_KB.matcher(info);
    if (!used.find()) {
      throw new IllegalStateException("jcmd " + pid + " GC.heap_info printed no heap use: " + info);
    }
    return Long.parseLong(used.group(1)) * 1_024;
  }

  /** Resident set of {@code pid} in bytes (heap, direct buffers, code, threads), if readable. */
  static OptionalLong residentBytes(long pid) {
    try {
      String status =
          Files.readString(Path.of("/proc", Long.toString(pid), "status"), StandardCharsets.UTF_8);
      Matcher rss = RSS_KB.matcher(status);
      return rss.find()
          ? OptionalLong.of(Long.parseLong(rss.group(1)) * 1_024)
          : OptionalLong.empty();
    } catch (IOException | RuntimeException e) {
      return OptionalLong.empty();
    }
  }
}
