package io.roster.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roster.node.config.ConfigLoader;
import io.roster.node.config.NodeConfig;
import io.roster.node.config.Profile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Where the deployment files are, and what the checks share about them. */
final class DeployFiles {

  /** The repository's root (the build passes it; the module is {@code deploy/}). */
  static final Path REPO = Path.of(System.getProperty("roster.repo", "..")).toAbsolutePath();

  static final Path DOCKERFILE = REPO.resolve("Dockerfile");
  static final Path COMPOSE = REPO.resolve("deploy/compose/compose.yaml");
  static final Path KUBERNETES = REPO.resolve("deploy/kubernetes");
  static final Path MAKE_SECRETS = REPO.resolve("deploy/make-secrets");
  static final Path DOCS = REPO.resolve("docs/deploy.md");

  /** The project's version: the image tag every deployment names. */
  static final String VERSION = System.getProperty("roster.version", "");

  /** The image name the docs build and every deployment runs. */
  static String image() {
    assertTrue(!VERSION.isEmpty(), "the build passes roster.version");
    return "roster:" + VERSION;
  }

  /**
   * Launcher variables (bin/roster-node), not node keys: ConfigLoader ignores every ROSTER_
   * variable that names no key, so any other is a typo that would silently change nothing.
   */
  static final Set<String> LAUNCHER_VARIABLES =
      Set.of(
          "ROSTER_HOME", "ROSTER_HEAP", "ROSTER_CONFIG", "ROSTER_PROFILE", "ROSTER_DRAIN_WAIT_S");

  /** bin/roster-node drain waits this long after the drain unless ROSTER_DRAIN_WAIT_S says. */
  static final int DEFAULT_DRAIN_WAIT_S = 5;

  private DeployFiles() {}

  /**
   * Loads a node's configuration from its environment as a container would get it, after checking
   * that every ROSTER_ variable is a key or a launcher variable.
   */
  static NodeConfig loadNodeConfig(Map<String, String> environment, String where) {
    Set<String> known = new java.util.HashSet<>(LAUNCHER_VARIABLES);
    Profile.LAN.defaults().keySet().forEach(key -> known.add(ConfigLoader.environmentName(key)));
    for (String name : environment.keySet()) {
      if (name.startsWith("ROSTER_")) {
        assertTrue(
            known.contains(name),
            where + ": " + name + " is no configuration key (a typo is silently ignored)");
      }
    }
    // The image's ROSTER_CONFIG is a file holding one comment line (DockerfileTest): read as such,
    // so that the environment is everything.
    Map<String, String> withFile = new java.util.HashMap<>(environment);
    if (withFile.containsKey("ROSTER_CONFIG")) {
      try {
        Path empty = Files.createTempFile("container", ".yaml");
        empty.toFile().deleteOnExit();
        Files.writeString(empty, "# Containers: every key comes from ROSTER_* variables.\n");
        withFile.put("ROSTER_CONFIG", empty.toString());
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    return ConfigLoader.load(new String[0], withFile);
  }

  /**
   * Runs deploy/make-secrets into {@code dir} (which must not exist yet), as the docs tell an
   * operator to; returns the directory.
   */
  static Path makeSecrets(Path dir, String... subjectAltNames)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(MAKE_SECRETS.toString(), dir.toString()));
    command.addAll(List.of(subjectAltNames));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "make-secrets did not finish in 60 s");
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, process.exitValue(), "make-secrets failed: " + output);
    return dir;
  }

  /** Bytes of a JVM heap size as -Xmx takes it (640m, 1g, 1048576k). */
  static long heapBytes(String size) {
    Matcher m = Pattern.compile("(\\d+)([kmg]?)").matcher(size.toLowerCase(Locale.ROOT));
    assertTrue(m.matches(), "not a heap size: " + size);
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "k" -> n << 10;
      case "m" -> n << 20;
      case "g" -> n << 30;
      default -> n;
    };
  }

  /** Seconds of a compose duration such as 90s, 1m30s. */
  static long durationSeconds(String duration) {
    Matcher m = Pattern.compile("(?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?").matcher(duration);
    assertTrue(m.matches() && !duration.isEmpty(), "not a duration: " + duration);
    long seconds = 0;
    for (int group = 1; group <= 3; group++) {
      if (m.group(group) != null) {
        seconds += Long.parseLong(m.group(group)) * new long[] {3600, 60, 1}[group - 1];
      }
    }
    return seconds;
  }

  static String read(Path file) throws IOException {
    return Files.readString(file);
  }
}
