package io.roster.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.Config;
import io.roster.node.cluster.HazelcastConfigFactory;
import io.roster.node.config.NodeConfig;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * deploy/compose/compose.yaml, read as Compose reads it (anchors and merge keys resolved; no engine
 * runs here): three secured nodes whose member port is on an internal network only, and each node's
 * environment loads as a configuration through the node's own loader.
 */
@Timeout(60)
class ComposeTest {

  private static final String SECRETS_MOUNT = "/run/secrets/";

  private static Map<String, Object> compose;
  private static Map<String, Map<String, Object>> services;
  private static Dockerfile dockerfile;

  @TempDir static Path temp;

  /** The files of deploy/make-secrets, made as the compose file's header says. */
  private static Path secrets;

  @BeforeAll
  static void read() throws Exception {
    try (Reader reader = Files.newBufferedReader(DeployFiles.COMPOSE)) {
      compose = new Yaml().load(reader);
    }
    services = new LinkedHashMap<>();
    map(compose, "services").forEach((name, service) -> services.put(name, asMap(service, name)));
    dockerfile = Dockerfile.read(DeployFiles.DOCKERFILE);
    secrets =
        DeployFiles.makeSecrets(
            temp.resolve("secrets"),
            "DNS:roster-1",
            "DNS:roster-2",
            "DNS:roster-3",
            "DNS:localhost",
            "IP:127.0.0.1");
  }

  @Test
  void threeNodesOfOneClusterEachWithItsOwnAddress() {
    assertEquals(Set.of("roster-1", "roster-2", "roster-3"), services.keySet());
    Set<String> addresses = new TreeSet<>();
    Set<String> names = new HashSet<>();
    for (String name : services.keySet()) {
      NodeConfig config = config(name);
      assertEquals(services.size(), config.cluster().expectedSize(), name + ": cluster.size");
      assertTrue(names.add(config.nodeName()), name + ": node.name is unique");
      String memberAddress =
          (String) map(map(services.get(name), "networks"), "members").get("ipv4_address");
      assertEquals(
          memberAddress, config.cluster().host(), name + ": cluster.host is its member address");
      assertTrue(
          inSubnet(memberAddress, membersSubnet()), name + ": address in the members subnet");
      addresses.add(config.cluster().host() + ":" + config.cluster().port());
    }
    for (String name : services.keySet()) {
      NodeConfig config = config(name);
      assertFalse(config.cluster().discoversByDns());
      assertEquals(
          addresses, new TreeSet<>(config.cluster().members()), name + ": every node listed");
      Config hazelcast = HazelcastConfigFactory.create(config);
      assertEquals(
          addresses,
          new TreeSet<>(
              hazelcast.getAdvancedNetworkConfig().getJoin().getTcpIpConfig().getMembers()),
          name + ": Hazelcast joins by the same list");
    }
  }

  @Test
  void memberPortOnlyOnTheInternalNetworkAndApiPortsPublished() {
    Map<String, Object> networks = map(compose, "networks");
    assertEquals(Boolean.TRUE, map(networks, "members").get("internal"), "members is internal");
    Set<Integer> hostPorts = new HashSet<>();
    for (String name : services.keySet()) {
      NodeConfig config = config(name);
      List<?> ports = list(services.get(name), "ports");
      assertEquals(1, ports.size(), name + ": one published port, the API");
      String[] mapping = ports.get(0).toString().split(":");
      assertEquals(2, mapping.length, name + ": HOST:CONTAINER, got " + ports.get(0));
      int published = Integer.parseInt(mapping[1]);
      assertEquals(config.api().port(), published, name + ": the API port is the one published");
      assertFalse(published == config.cluster().port() || published == config.health().port());
      assertTrue(hostPorts.add(Integer.parseInt(mapping[0])), name + ": host port reused");
      assertFalse(
          services.get(name).containsKey("expose")
              || services.get(name).containsKey("network_mode"),
          name + ": no expose or network_mode to bypass the networks");
      Set<String> attached = map(services.get(name), "networks").keySet();
      assertEquals(Set.of("api", "members"), attached, name + ": networks");
    }
    assertEquals(Set.of(7101, 7102, 7103), hostPorts);
  }

  @Test
  void healthCheckRestartAndStopGrace() {
    List<String> imageCheck =
        dockerfile.only("HEALTHCHECK", dockerfile.lastStage()).execForm("CMD");
    for (String name : services.keySet()) {
      Map<String, Object> service = services.get(name);
      List<Object> expected = new ArrayList<>(List.of("CMD"));
      expected.addAll(imageCheck);
      assertEquals(expected, list(map(service, "healthcheck"), "test"), name + ": healthcheck");
      assertTrue(
          Set.of("unless-stopped", "on-failure", "always").contains(service.get("restart")),
          name + ": restart policy, got " + service.get("restart"));
      NodeConfig config = config(name);
      long stopGrace = DeployFiles.durationSeconds((String) service.get("stop_grace_period"));
      long leave = config.shutdownGraceMillis() / 1000 + handOverSeconds(config);
      assertTrue(
          stopGrace > leave,
          name + ": stop_grace_period " + stopGrace + " s must exceed the leave, " + leave + " s");
      assertEquals(Boolean.TRUE, service.get("read_only"), name + ": read-only root");
      assertTrue(list(service, "tmpfs").contains("/tmp"), name + ": /tmp is writable");
    }
  }

  @Test
  void imageHeapAndMemoryLimitAgree() {
    for (String name : services.keySet()) {
      Map<String, Object> service = services.get(name);
      assertEquals(DeployFiles.image(), service.get("image"), name + ": image");
      Path context =
          DeployFiles.COMPOSE.getParent().resolve((String) map(service, "build").get("context"));
      assertTrue(
          Files.isRegularFile(context.resolve("Dockerfile")), "build context has the Dockerfile");
      String limit = (String) map(map(map(service, "deploy"), "resources"), "limits").get("memory");
      long limitBytes = DeployFiles.heapBytes(limit.replaceFirst("(?i)b$", ""));
      long heap = DeployFiles.heapBytes(environment(name).get("ROSTER_HEAP"));
      double share = (double) heap / limitBytes;
      assertTrue(
          share >= 0.5 && share <= 0.75,
          name + ": heap " + heap + " is " + share + " of the memory limit, not 50-75%");
    }
  }

  @Test
  void securedWithTheFilesMakeSecretsMakes() {
    Map<String, Object> declared = map(compose, "secrets");
    for (Map.Entry<String, Object> secret : declared.entrySet()) {
      String file = (String) asMap(secret.getValue(), secret.getKey()).get("file");
      assertTrue(file.startsWith("./secrets/"), "secrets live in deploy/compose/secrets: " + file);
      assertTrue(
          Files.isRegularFile(secrets.resolve(Path.of(file).getFileName())),
          "make-secrets makes " + file);
    }
    for (String name : services.keySet()) {
      NodeConfig config = config(name);
      assertEquals(List.of(), config.securityGaps(), name + ": runs secured");
      assertEquals(
          new TreeSet<>(declared.keySet()),
          new TreeSet<>(list(services.get(name), "secrets")),
          name + ": mounts every secret");
    }
  }

  /** The node's configuration in the container: the image's ENV under the service's. */
  private static NodeConfig config(String service) {
    return DeployFiles.loadNodeConfig(environment(service), "compose service " + service);
  }

  private static Map<String, String> environment(String service) {
    Map<String, String> env = new LinkedHashMap<>(dockerfile.environment());
    Map<String, Object> declared = map(compose, "secrets");
    map(services.get(service), "environment")
        .forEach(
            (key, value) -> {
              String text = String.valueOf(value);
              if (text.startsWith(SECRETS_MOUNT)) {
                // Mounted from the secret's file: here, make-secrets' file of the same name.
                String secret = text.substring(SECRETS_MOUNT.length());
                assertTrue(
                    declared.containsKey(secret), key + " names an undeclared secret " + secret);
                String file = (String) asMap(declared.get(secret), secret).get("file");
                text = secrets.resolve(Path.of(file).getFileName()).toString();
              }
              env.put(key, text);
            });
    return env;
  }

  private static long handOverSeconds(NodeConfig config) {
    return Long.parseLong(
        HazelcastConfigFactory.create(config).getProperty("hazelcast.graceful.shutdown.max.wait"));
  }

  private static String membersSubnet() {
    Map<String, Object> ipam = map(map(map(compose, "networks"), "members"), "ipam");
    List<?> configs = list(ipam, "config");
    assertEquals(1, configs.size());
    return (String) asMap(configs.get(0), "ipam config").get("subnet");
  }

  static boolean inSubnet(String address, String cidr) {
    String[] parts = cidr.split("/");
    int bits = Integer.parseInt(parts[1]);
    long mask = bits == 0 ? 0 : (0xffffffffL << (32 - bits)) & 0xffffffffL;
    return (ipv4(address) & mask) == (ipv4(parts[0]) & mask);
  }

  private static long ipv4(String address) {
    String[] octets = address.split("\\.");
    assertEquals(4, octets.length, "an IPv4 address: " + address);
    long value = 0;
    for (String octet : octets) {
      value = (value << 8) | Integer.parseInt(octet);
    }
    return value;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> asMap(Object value, String what) {
    assertTrue(value instanceof Map, what + " is a mapping");
    return (Map<String, Object>) value;
  }

  static Map<String, Object> map(Map<String, Object> parent, String key) {
    Object value = parent.get(key);
    assertNotNull(value, "missing " + key);
    return asMap(value, key);
  }

  static List<?> list(Map<String, Object> parent, String key) {
    Object value = parent.get(key);
    assertTrue(value instanceof List, key + " is a list");
    return (List<?>) value;
  }
}
