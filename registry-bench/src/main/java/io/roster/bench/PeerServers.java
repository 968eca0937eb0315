package io.roster.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The server processes of one peer, started by the bench on loopback, with their data and logs in a
 * temporary folder of their own ({@code roster-bench-<peer>-*} under {@code java.io.tmpdir}).
 *
 * <p>{@link #close} stops them (SIGTERM, then SIGKILL after {@link #STOP_WAIT_SECONDS}), copies
 * each log into the results directory as {@code <server>.log} and deletes the folder, so a run
 * leaves no process and no data behind, whatever the phases did. A bench killed with SIGKILL cannot
 * do this: its servers then keep running until killed by hand (their command lines name the
 * folder).
 *
 * <p>Threading: one thread (the runner's) starts and closes; {@link #pids} may be read from any.
 */
final class PeerServers implements AutoCloseable {
  static final long STOP_WAIT_SECONDS = 10;

  private final String peer;
  private final Path directory;
  private final Path resultsDirectory;
  private final Map<String, Process> processes = new LinkedHashMap<>();

  private PeerServers(String peer, Path directory, Path resultsDirectory) {
    this.peer = peer;
    this.directory = directory;
    this.resultsDirectory = resultsDirectory;
  }

  /**
   * A new temporary folder for {@code peer}'s servers; their logs go to {@code results} at the end.
   */
  static PeerServers inTemporaryFolder(String peer, Path results) {
    try {
      return new PeerServers(
          peer, Files.createTempDirectory("roster-bench-" + peer + "-"), results);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary folder for " + peer, e);
    }
  }

  /** The temporary folder: data directories and configuration files go here. */
  Path directory() {
    return directory;
  }

  /**
   * Fails, naming them, if any of these ports of 127.0.0.1 is taken: a peer started on a taken port
   * would fail late and obscurely, or the bench would measure whatever listens there.
   */
  static void checkPortsFree(String peer, List<Integer> ports) {
    List<Integer> taken = new ArrayList<>();
    for (int port : ports) {
      try (ServerSocket socket = new ServerSocket()) {
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      } catch (IOException e) {
        taken.add(port);
      }
    }
    if (!taken.isEmpty()) {
      throw new IllegalStateException(
          "cannot start "
              + peer
              + ": ports "
              + taken
              + " of 127.0.0.1 are taken (it uses "
              + ports
              + "); a server left by an earlier run? see: ss -ltnp");
    }
  }

  /**
   * Starts server {@code name} ("etcd-1": named after its peer, since its log keeps the name in the
   * results directory) with {@code command}, its output going to {@code name}.log.
   */
  void start(String name, List<String> command) {
    Path log = directory.resolve(name + ".log");
    try {
      Process process =
          new ProcessBuilder(command)
              .directory(directory.toFile())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
      processes.put(name, process);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot start " + peer + " server " + name + " (" + command.get(0) + ")", e);
    }
  }

  List<Long> pids() {
    return processes.values().stream().map(Process::pid).toList();
  }

  /**
   * Fails if a server has exited, with the end of its log: called while waiting for the cluster to
   * form, so a server that cannot start is reported at once rather than as a time-out.
   */
  void checkRunning() {
    for (Map.Entry<String, Process> server : processes.entrySet()) {
      if (!server.getValue().isAlive()) {
        throw new IllegalStateException(
            peer
                + " server "
                + server.getKey()
                + " exited with code "
                + server.getValue().exitValue()
                + "; the end of its log:\n"
                + logTail(server.getKey(), 20));
      }
    }
  }

  /** The last {@code lines} lines of server {@code name}'s log. */
  String logTail(String name, int lines) {
    try {
      List<String> all =
          Files.readAllLines(directory.resolve(name + ".log"), StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException | UncheckedIOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /** Stops every server, keeps their logs in the results directory, deletes the folder. */
  @Override
  public void close() {
    for (Process process : processes.values()) {
      process.destroy(); // SIGTERM: etcd and ZooKeeper shut down cleanly on it
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(STOP_WAIT_SECONDS);
    for (Process process : processes.values()) {
      try {
        long remaining = deadline - System.nanoTime();
        if (remaining <= 0 || !process.waitFor(remaining, TimeUnit.NANOSECONDS)) {
          process.destroyForcibly().waitFor(STOP_WAIT_SECONDS, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    for (String name : processes.keySet()) {
      Path log = directory.resolve(name + ".log");
      try {
        Files.createDirectories(resultsDirectory);
        if (Files.exists(log)) {
          Files.copy(
              log, resultsDirectory.resolve(name + ".log"), StandardCopyOption.REPLACE_EXISTING);
        }
      } catch (IOException e) {
        // The log is a convenience; the figures are already written.
      }
    }
    deleteRecursively(directory);
  }

  private static void deleteRecursively(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException | UncheckedIOException e) {
      // Left in the temporary directory; the servers are stopped, so it is inert.
    }
  }
}
