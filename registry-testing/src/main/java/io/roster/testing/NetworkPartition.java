package io.roster.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Cuts the member-to-member traffic between two groups of nodes with iptables rules on loopback,
 * and heals it. Only the member ports are cut: clients still reach every node's API, as they would
 * when a switch between racks fails. Nodes must run on distinct loopback addresses ({@link
 * RosterCluster.Builder#distinctLoopbackHosts}).
 *
 * <p>The rules live in a chain of their own, removed by {@link #heal} (also on {@link #close});
 * nothing else on the machine is touched. Needs root and the iptables command: see {@link
 * #unavailableReason}.
 */
public final class NetworkPartition implements AutoCloseable {

  private final String chain =
      "ROSTER_" + UUID.randomUUID().toString().substring(0, 8).toUpperCase();
  private boolean installed;

  /** Why partitions cannot be made on this machine, or null when they can. */
  public static String unavailableReason() {
    if (!"root".equals(System.getProperty("user.name"))) {
      return "network partition tests need root (iptables rules on loopback)";
    }
    try {
      Process probe = new ProcessBuilder("iptables", "-L", "INPUT", "-n").start();
      if (!probe.waitFor(10, TimeUnit.SECONDS) || probe.exitValue() != 0) {
        return "iptables does not work here: " + read(probe);
      }
    } catch (IOException e) {
      return "iptables is not installed (Debian: apt-get install iptables)";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
    return null;
  }

  /** Cuts every member connection between a node of {@code side} and a node of {@code other}. */
  public void cut(List<NodeProcess> side, List<NodeProcess> other) {
    run("iptables", "-N", chain);
    installed = true;
    for (NodeProcess a : side) {
      for (NodeProcess b : other) {
        drop(a, b);
        drop(b, a);
      }
    }
    run("iptables", "-I", "INPUT", "1", "-j", chain);
  }

  /** Removes the rules: the sides can talk again. */
  public void heal() {
    if (!installed) {
      return;
    }
    installed = false;
    runQuietly("iptables", "-D", "INPUT", "-j", chain);
    runQuietly("iptables", "-F", chain);
    runQuietly("iptables", "-X", chain);
  }

  @Override
  public void close() {
    heal();
  }

  /** Drops what {@code from} sends to {@code to}'s member port and its answers to {@code to}. */
  private void drop(NodeProcess from, NodeProcess to) {
    String toPort = Integer.toString(to.clusterPort());
    String fromPort = Integer.toString(from.clusterPort());
    run(rule(from.host(), to.host(), "--dport", toPort));
    run(rule(from.host(), to.host(), "--sport", fromPort));
  }

  private String[] rule(String source, String destination, String portFlag, String port) {
    return new String[] {
      "iptables",
      "-A",
      chain,
      "-p",
      "tcp",
      "-s",
      source,
      "-d",
      destination,
      portFlag,
      port,
      "-j",
      "DROP"
    };
  }

  private static void run(String... command) {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      if (!process.waitFor(10, TimeUnit.SECONDS) || process.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", command) + " failed: " + read(process));
      }
    } catch (IOException e) {
      throw new IllegalStateException(String.join(" ", command) + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static void runQuietly(String... command) {
    try {
      run(command);
    } catch (IllegalStateException ignored) {
      // Healing is best effort: a rule already gone is fine.
    }
  }

  private static String read(Process process) {
    try {
      return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    } catch (IOException e) {
      return e.toString();
    }
  }
}
