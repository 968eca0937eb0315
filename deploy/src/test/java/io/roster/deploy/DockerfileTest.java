package io.roster.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roster.node.config.NodeConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Dockerfile, read as Docker reads it (no engine runs here, so no image is built): its stages,
 * user, ports, health check and entry point agree with the node's configuration and the release
 * tarball's layout.
 */
@Timeout(30)
class DockerfileTest {

  private static Dockerfile dockerfile;
  private static int run;

  @BeforeAll
  static void read() throws IOException {
    dockerfile = Dockerfile.read(DeployFiles.DOCKERFILE);
    run = dockerfile.lastStage();
  }

  @Test
  void buildsTheTarballWithMavenAndRunsOnAJre17() {
    assertEquals(2, dockerfile.stages(), "a build stage and a run stage");
    String build = dockerfile.only("FROM", 0).arguments();
    assertTrue(
        build.matches("maven:3\\.9\\.\\d+-eclipse-temurin-17 AS build"),
        "build stage: Maven 3.9 on JDK 17, named build: " + build);
    assertTrue(
        dockerfile.all("RUN", 0).stream()
            .anyMatch(
                r -> r.arguments().contains("mvn -B -DskipTests package -pl registry-dist -am")),
        "the build stage packages registry-dist and what it needs");
    String base = dockerfile.only("FROM", run).arguments();
    // A tag naming the JRE's exact update: "17-jre" or "latest" would move under a rebuild.
    assertTrue(
        base.matches("eclipse-temurin:17\\.0\\.\\d+_\\d+-jre(-[a-z]+)?( AS \\w+)?"),
        "run stage on a pinned Temurin 17 JRE: " + base);
    assertTrue(
        dockerfile.all("COPY", run).stream()
            .anyMatch(c -> c.arguments().equals("--from=build /out/roster " + rosterHome())),
        "the unpacked tarball is copied to ROSTER_HOME");
  }

  @Test
  void runsAsAFixedUnprivilegedUser() {
    String user = dockerfile.only("USER", run).arguments();
    // Numeric: Kubernetes' runAsNonRoot cannot check a user name.
    Matcher ids = Pattern.compile("(\\d+):(\\d+)").matcher(user);
    assertTrue(ids.matches(), "USER uid:gid in numbers, got " + user);
    assertNotEquals("0", ids.group(1), "not root");
    assertTrue(
        dockerfile.all("RUN", run).stream()
            .anyMatch(
                r ->
                    r.arguments().contains("--uid " + ids.group(1))
                        && r.arguments().contains("--gid " + ids.group(2))),
        "the user is created with the uid and gid USER names");
    assertEquals(
        List.of(), dockerfile.all("USER", 0), "the build stage needs no USER (it is discarded)");
  }

  @Test
  void exposesTheConfiguredPorts() {
    NodeConfig config = imageDefaults();
    Set<Integer> exposed =
        dockerfile.all("EXPOSE", run).stream()
            .flatMap(e -> Dockerfile.words(e.arguments()).stream())
            .map(Integer::valueOf)
            .collect(Collectors.toCollection(TreeSet::new));
    assertTrue(config.health().enabled(), "the image turns on the health port");
    assertEquals(
        new TreeSet<>(Set.of(config.api().port(), config.cluster().port(), config.health().port())),
        exposed);
  }

  @Test
  void healthCheckAndEntryPointAreTheLauncher() {
    String launcher = rosterHome() + "/bin/roster-node";
    assertEquals(List.of(launcher), dockerfile.only("ENTRYPOINT", run).execForm(null));
    List<String> check = dockerfile.only("HEALTHCHECK", run).execForm("CMD");
    assertEquals(launcher, check.get(0));
    assertEquals("health", check.get(1));
    assertTrue(Set.of("live", "ready").contains(check.get(2)), "health live or ready: " + check);
    assertTrue(
        dockerfile.only("HEALTHCHECK", run).arguments().contains("--start-period="),
        "a start period: the node needs seconds to join before it is live");
    assertEquals("SIGTERM", dockerfile.only("STOPSIGNAL", run).arguments());
  }

  @Test
  void imageEnvironmentIsConfiguration() {
    Map<String, String> env = dockerfile.environment();
    assertEquals(rosterHome(), env.get("ROSTER_HOME"));
    // Not the tarball's conf/roster.yaml (an example for hosts, with their addresses): a file the
    // build stage makes holding a comment only, so the variables are the whole configuration.
    String config = env.get("ROSTER_CONFIG");
    assertEquals(rosterHome() + "/conf/container.yaml", config);
    String made = "/out/roster/conf/container.yaml";
    assertTrue(
        dockerfile.all("RUN", 0).stream()
            .anyMatch(r -> r.arguments().matches("(?s).*echo '# [^']*' +> " + made + ".*")),
        "the build stage writes " + made + " with a comment only");
    // Every ROSTER_ variable is a key or a launcher variable; the rest of the check is loading.
    assertEquals(7180, imageDefaults().health().port());
  }

  @Test
  void buildContextLeavesOutBuildOutputAndSecrets() throws IOException {
    List<String> ignored =
        Files.readAllLines(DeployFiles.REPO.resolve(".dockerignore")).stream()
            .map(String::strip)
            .filter(line -> !line.isEmpty() && !line.startsWith("#"))
            .toList();
    for (String must : List.of("**/target", ".git", "deploy/compose/secrets", "deploy/local/run")) {
      assertTrue(ignored.contains(must), ".dockerignore leaves out " + must);
    }
    // The reactor reads every module's pom.xml, even of modules the image does not build.
    String rootPom = Files.readString(DeployFiles.REPO.resolve("pom.xml"));
    Matcher module = Pattern.compile("<module>([^<]+)</module>").matcher(rootPom);
    while (module.find()) {
      String name = module.group(1);
      assertFalse(
          ignored.stream().anyMatch(p -> p.equals(name) || p.equals(name + "/") || p.equals("*")),
          ".dockerignore must keep module " + name);
    }
    assertFalse(ignored.stream().anyMatch(p -> p.contains("pom.xml")), "poms stay in the context");
  }

  private static String rosterHome() {
    String home = dockerfile.environment().get("ROSTER_HOME");
    assertTrue(home != null && home.startsWith("/"), "ROSTER_HOME is an absolute path");
    return home;
  }

  /** What a container of the image runs with when given nothing (security waived to load). */
  private static NodeConfig imageDefaults() {
    Map<String, String> env = new HashMap<>(dockerfile.environment());
    env.put("ROSTER_SECURITY_INSECURE", "true");
    return DeployFiles.loadNodeConfig(env, "Dockerfile ENV");
  }
}
