package io.roster.testing;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One registry node running as its own JVM process, which a test can stop, kill, pause and start
 * again. Its output goes to a log file named after it.
 *
 * <p>Not thread-safe: one test thread drives it.
 */
public final class NodeProcess {

  private final String name;
  private final String host;
  private final int apiPort;
  private final int clusterPort;
  private final int dnsPort;
  private final ChannelCredentials credentials;
  private final List<String> command;
  private final Path logFile;
  private Process process;
  private ManagedChannel channel;

  NodeProcess(
      String name,
      String host,
      int apiPort,
      int clusterPort,
      int dnsPort,
      ChannelCredentials credentials,
      List<String> command,
      Path logFile) {
    this.name = name;
    this.host = host;
    this.apiPort = apiPort;
    this.clusterPort = clusterPort;
    this.dnsPort = dnsPort;
    this.credentials = credentials;
    this.command = List.copyOf(command);
    this.logFile = logFile;
  }

  public String name() {
    return name;
  }

  public int apiPort() {
    return apiPort;
  }

  public int clusterPort() {
    return clusterPort;
  }

  /** The node's DNS port (UDP and TCP); 0 unless the cluster was built {@code withDns()}. */
  public int dnsPort() {
    return dnsPort;
  }

  /** The loopback address the node listens and talks on. */
  public String host() {
    return host;
  }

  /** "host:port" of the API. */
  public String apiAddress() {
    return host + ":" + apiPort;
  }

  public Path logFile() {
    return logFile;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process != null && process.isAlive();
  }

  /**
   * A channel to this node (plaintext, or TLS as the cluster's builder was told), created once and
   * closed with the node.
   */
  public synchronized ManagedChannel channel() {
    if (channel == null) {
      channel = Grpc.newChannelBuilderForAddress(host, apiPort, credentials).build();
    }
    return channel;
  }

  /** Starts (or starts again) the process; does not wait for it to serve. */
  public void start() {
    if (isAlive()) {
      throw new IllegalStateException(name + " is already running");
    }
    try {
      process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start node " + name + ": " + command, e);
    }
  }

  /** SIGKILL: the node gets no chance to hand anything over. */
  public void kill() {
    process.destroyForcibly();
    waitForExit();
  }

  /** SIGTERM: the node leaves gracefully. */
  public void stop() {
    process.destroy();
    waitForExit();
  }

  /** SIGSTOP: the node hangs with its sockets open, as a process stuck in a long GC would. */
  public void pause() {
    signal("STOP");
  }

  /** SIGCONT after {@link #pause}. */
  public void resume() {
    signal("CONT");
  }

  void closeChannel() {
    if (channel != null) {
      channel.shutdownNow();
      channel = null;
    }
  }

  private void signal(String signal) {
    try {
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid())).start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill -" + signal + " " + pid() + " failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private void waitForExit() {
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static List<String> javaCommand(Path jar, List<String> flags) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx256m");
    command.add("-XX:+UseSerialGC");
    command.add("-XX:TieredStopAtLevel=1");
    command.add("--add-modules");
    command.add("java.se");
    command.add("-jar");
    command.add(jar.toString());
    command.addAll(flags);
    return command;
  }
}
