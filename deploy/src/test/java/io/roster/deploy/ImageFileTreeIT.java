package io.roster.deploy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roster.testing.FreePorts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image's file tree, made here as the Dockerfile makes it (no engine runs here): the release
 * tarball unpacked by the build stage's own command, then the run stage's entry point, health check
 * and the Kubernetes preStop run from that tree with the image's environment. Only the user (this
 * one, not 10001) and the base image differ from a container.
 */
@Timeout(180)
class ImageFileTreeIT {

  @TempDir Path temp;

  private Process node;

  @AfterEach
  void stopNode() throws InterruptedException {
    if (node != null && node.isAlive()) {
      node.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void entryPointHealthCheckAndDrainRunFromTheUnpackedTarball() throws Exception {
    Dockerfile dockerfile = Dockerfile.read(DeployFiles.DOCKERFILE);
    int run = dockerfile.lastStage();
    Path tarball =
        DeployFiles.REPO.resolve("registry-dist/target/roster-" + DeployFiles.VERSION + ".tar.gz");
    assertTrue(Files.isRegularFile(tarball), "the build made " + tarball);

    // The build stage's unpacking, verbatim but for its output directory.
    Dockerfile.Instruction unpack =
        dockerfile.all("RUN", 0).stream()
            .filter(r -> r.arguments().contains("tar -xzf"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("the build stage unpacks the tarball"));
    Path out = temp.resolve("out");
    String script = unpack.arguments().replace("/out", out.toString());
    assertEquals(0, bash(script, DeployFiles.REPO, Map.of()).exitCode, "unpacking: " + script);

    // COPY --from=build /out/roster ROSTER_HOME: the tree that becomes ROSTER_HOME.
    Map<String, String> imageEnv = dockerfile.environment();
    String rosterHome = imageEnv.get("ROSTER_HOME");
    assertTrue(
        dockerfile.all("COPY", run).stream()
            .anyMatch(c -> c.arguments().equals("--from=build /out/roster " + rosterHome)));
    Path home = out.resolve("roster");
    List<String> entryPoint =
        inTree(dockerfile.only("ENTRYPOINT", run).execForm(null), rosterHome, home);
    List<String> healthCheck =
        inTree(dockerfile.only("HEALTHCHECK", run).execForm("CMD"), rosterHome, home);
    for (String program : List.of(entryPoint.get(0), healthCheck.get(0))) {
      assertTrue(Files.isExecutable(Path.of(program)), program + " is in the tarball, executable");
    }

    Map<String, String> env = new LinkedHashMap<>();
    imageEnv.forEach((key, value) -> env.put(key, value.replace(rosterHome, home.toString())));
    env.put("PATH", home.resolve("bin") + ":" + System.getenv("PATH"));
    int health = FreePorts.next();
    env.put("ROSTER_HEALTH_PORT", String.valueOf(health));
    // One node on loopback; the rest as the image sets it.
    env.put("ROSTER_API_HOST", "127.0.0.1");
    env.put("ROSTER_API_PORT", String.valueOf(FreePorts.next()));
    env.put("ROSTER_CLUSTER_HOST", "127.0.0.1");
    env.put("ROSTER_CLUSTER_PORT", String.valueOf(FreePorts.next()));
    env.put("ROSTER_CLUSTER_SIZE", "1");
    env.put("ROSTER_CLUSTER_JOIN_WAIT_S", "1");
    env.put("ROSTER_CLUSTER_NAME", "image-tree-" + health);
    env.put("ROSTER_SECURITY_INSECURE", "true");
    env.put("ROSTER_HEAP", "256m");
    env.put("ROSTER_DRAIN_WAIT_S", "1");

    Path log = temp.resolve("node.log");
    ProcessBuilder start = new ProcessBuilder(entryPoint).directory(temp.toFile());
    start.environment().clear();
    start.environment().putAll(env);
    node = start.redirectErrorStream(true).redirectOutput(log.toFile()).start();

    // HEALTHCHECK: live once the node has joined; ready too, a cluster of one being its own quorum.
    await("the image's HEALTHCHECK passes (node log: " + log + ")")
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> run(healthCheck, env).exitCode == 0 || !node.isAlive());
    assertTrue(node.isAlive(), "the node runs: " + tail(log));
    List<String> launcher = List.of(entryPoint.get(0));
    assertEquals(0, run(concat(launcher, "health", "ready"), env).exitCode, "ready");

    // Kubernetes' preStop: drained, the node stays live but is no longer ready.
    Result drain = run(concat(launcher, "drain"), env);
    assertEquals(0, drain.exitCode, "drain: " + drain.output);
    assertNotEquals(0, run(concat(launcher, "health", "ready"), env).exitCode, "not ready");
    assertEquals(0, run(concat(launcher, "health", "live"), env).exitCode, "still live");

    // STOPSIGNAL SIGTERM reaches the JVM through the launcher's exec.
    node.destroy();
    assertTrue(node.waitFor(60, TimeUnit.SECONDS), "the node left within 60 s of SIGTERM");
    assertTrue(
        Files.readString(log).contains("stopped"), "the node stopped gracefully: " + tail(log));
  }

  private static List<String> inTree(List<String> command, String rosterHome, Path home) {
    assertTrue(command.get(0).startsWith(rosterHome + "/"), command + " runs from ROSTER_HOME");
    List<String> mapped = new ArrayList<>(command);
    mapped.set(0, home + command.get(0).substring(rosterHome.length()));
    return mapped;
  }

  private static List<String> concat(List<String> command, String... more) {
    List<String> all = new ArrayList<>(command);
    all.addAll(List.of(more));
    return all;
  }

  private record Result(int exitCode, String output) {}

  private static Result run(List<String> command, Map<String, String> env)
      throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().clear();
    builder.environment().putAll(env);
    Process process = builder.start();
    byte[] output = process.getInputStream().readAllBytes();
    assertTrue(process.waitFor(30, TimeUnit.SECONDS), command + " finished within 30 s");
    return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
  }

  private static Result bash(String script, Path directory, Map<String, String> env)
      throws IOException, InterruptedException {
    ProcessBuilder builder =
        new ProcessBuilder("bash", "-c", script)
            .directory(directory.toFile())
            .redirectErrorStream(true);
    builder.environment().putAll(env);
    Process process = builder.start();
    byte[] output = process.getInputStream().readAllBytes();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS));
    return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
  }

  private static String tail(Path log) throws IOException {
    List<String> lines = Files.readAllLines(log);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
  }
}
