package io.roster.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Loopback ports nothing listens on right now, distinct within one test run, and never in the range
 * the kernel takes the local ports of outgoing connections from (the ephemeral range).
 *
 * <p>A port the kernel picks ({@code new ServerSocket(0)}) lies in that range, so until a node
 * binds it, and again after the node is killed, any outgoing connection on the machine may leave
 * from it. Two failures follow, both seen in cluster tests: a connection of one node takes the port
 * handed out to another node, which then cannot bind it; and a member dialling a peer that does not
 * listen yet (or any more) gets the peer's very port as its own end, so it connects to itself (a
 * TCP self-connect on loopback). Hazelcast then takes the peer's address for one of its own for
 * good: it lists the peer when the peer joins but never sends it anything ("Target is this node!",
 * "Connecting to self!" in its log), and the peer waits in its join forever. About one dial in
 * 14,000 to a closed port of the range did so here; a test suite makes thousands. No outgoing
 * connection leaves from a port outside the range, so neither can happen with these ports.
 *
 * <p>Ports are drawn at random so that test JVMs running at once on one machine rarely try the same
 * one. Thread-safe.
 */
public final class FreePorts {

  /** Lowest port handed out: above the ports services commonly listen on (Roster's 5701, 7101). */
  static final int LOWEST = 10_000;

  private static final int HIGHEST = 65_535;

  /** Fewest candidate ports that still make a clash with another test JVM unlikely. */
  private static final int MIN_CANDIDATES = 2_000;

  private static final Path LINUX_EPHEMERAL_RANGE =
      Path.of("/proc/sys/net/ipv4/ip_local_port_range");

  private static final Set<Integer> handedOut = new HashSet<>();

  private static Candidates candidates;

  private FreePorts() {}

  public static synchronized int next() {
    if (candidates == null) {
      candidates = Candidates.outside(ephemeralRange());
    }
    for (int attempt = 0; attempt < 100; attempt++) {
      int port = candidates.port(ThreadLocalRandom.current().nextInt(candidates.count()));
      if (!handedOut.contains(port) && isFree(port)) {
        handedOut.add(port);
        return port;
      }
    }
    throw new IllegalStateException(
        "no free loopback port after 100 attempts among " + candidates.count() + " candidates");
  }

  /**
   * Whether a server could bind {@code port} on loopback now, without SO_REUSEADDR: a port with
   * connections still in TIME_WAIT is not free to a server that does not reuse addresses.
   */
  private static boolean isFree(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.setReuseAddress(false);
      socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * The kernel's ephemeral range: Linux says it; elsewhere, IANA's dynamic range 49152-65535, which
   * macOS and Windows use unless told otherwise.
   */
  private static int[] ephemeralRange() {
    if (!Files.isReadable(LINUX_EPHEMERAL_RANGE)) {
      return new int[] {49_152, HIGHEST};
    }
    try {
      // readAllLines, not readAllBytes: a /proc file reports size 0 and readAllBytes stops short.
      List<String> lines = Files.readAllLines(LINUX_EPHEMERAL_RANGE);
      String[] bounds = lines.get(0).trim().split("\\s+");
      return new int[] {Integer.parseInt(bounds[0]), Integer.parseInt(bounds[1])};
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + LINUX_EPHEMERAL_RANGE, e);
    }
  }

  /**
   * The ports from {@link #LOWEST} to 65535 less an ephemeral range, numbered from 0: those below
   * the range, then those above it.
   */
  record Candidates(int below, int firstAbove, int above) {

    static Candidates outside(int[] ephemeral) {
      int first = ephemeral[0];
      int last = ephemeral[1];
      int below = Math.max(0, Math.min(first, HIGHEST + 1) - LOWEST);
      int firstAbove = Math.max(last + 1, LOWEST);
      int above = Math.max(0, HIGHEST + 1 - firstAbove);
      if (below + above < MIN_CANDIDATES) {
        throw new IllegalStateException(
            "the kernel's ephemeral port range "
                + first
                + "-"
                + last
                + " leaves "
                + (below + above)
                + " ports from "
                + LOWEST
                + " up for tests, fewer than "
                + MIN_CANDIDATES
                + ": a port in that range can be taken by any outgoing connection (see FreePorts)");
      }
      return new Candidates(below, firstAbove, above);
    }

    int count() {
      return below + above;
    }

    int port(int index) {
      return index < below ? LOWEST + index : firstAbove + index - below;
    }
  }
}
