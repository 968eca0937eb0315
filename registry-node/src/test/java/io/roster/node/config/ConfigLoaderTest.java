package io.roster.node.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roster.node.logging.LogFormat;
import io.roster.node.logging.LogLevel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

  /** The lan profile starts without TLS, callers' credentials and a cluster secret only so. */
  private static final String INSECURE = "--security.insecure=true";

  @Test
  void lanProfileIsTheDefault() {
    NodeConfig config = ConfigLoader.load(new String[] {INSECURE}, Map.of());

    assertEquals("0.0.0.0", config.api().host());
    assertEquals(7101, config.api().port());
    assertEquals("127.0.0.1", config.api().advertisedHost());
    assertEquals("roster", config.cluster().name());
    assertEquals(3, config.cluster().expectedSize());
    assertEquals(2, config.cluster().quorumSize());
    assertEquals(1, config.cluster().backupCount());
    assertEquals(20, config.cluster().maxNoHeartbeatSeconds());
    assertEquals(10_000, config.leases().defaultTtlMillis());
    assertFalse(config.api().tls().enabled());
  }

  @Test
  void theClusterSecretIsReadFromItsFileAndNeverPrinted(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("cluster.secret");
    Files.writeString(file, "  3f1c0a9e5b7d4c2a8e6f1b3d5a7c9e0f  \n");

    NodeConfig config =
        ConfigLoader.load(new String[] {INSECURE, "--cluster.secret-file=" + file}, Map.of());

    assertTrue(config.cluster().secret().isSet());
    assertEquals(32, config.cluster().secret().bytes().length, "surrounding spaces stripped");
    assertFalse(config.toString().contains("3f1c0a9e"), config.toString());
    assertFalse(config.cluster().hazelcastClients(), "Hazelcast clients are refused by default");
  }

  @Test
  void aShortOrUnreadableClusterSecretIsRefusedSayingWhatToDo(@TempDir Path dir)
      throws IOException {
    Path shortOne = dir.resolve("short.secret");
    Files.writeString(shortOne, "hunter2\n");

    ConfigException tooShort =
        assertThrows(
            ConfigException.class,
            () ->
                ConfigLoader.load(
                    new String[] {INSECURE, "--cluster.secret-file=" + shortOne}, Map.of()));
    ConfigException missing =
        assertThrows(
            ConfigException.class,
            () ->
                ConfigLoader.load(
                    new String[] {INSECURE, "--cluster.secret-file=" + dir.resolve("absent")},
                    Map.of()));

    assertTrue(tooShort.getMessage().contains("openssl rand -hex 32"), tooShort.getMessage());
    assertTrue(missing.getMessage().startsWith("cluster.secret-file: cannot read"));
  }

  @Test
  void callersAreLimitedOnTheLanProfileAndNotOnTheLocalOne() {
    NodeConfig.Limits lan = ConfigLoader.load(new String[] {INSECURE}, Map.of()).limits();
    NodeConfig.Limits local =
        ConfigLoader.load(new String[] {"--profile=local"}, Map.of()).limits();
    NodeConfig.Limits tried =
        ConfigLoader.load(
                new String[] {
                  "--profile=local", "--limits.enabled=true", "--limits.caller.streams=0"
                },
                Map.of())
            .limits();

    assertTrue(lan.enabled());
    assertEquals(new NodeConfig.Rates(100, 5_000, 1_000, 100), lan.perConnection());
    assertEquals(new NodeConfig.Rates(200, 20_000, 5_000, 1_000), lan.perCaller());
    assertEquals(100_000, lan.instancesPerNamespace());
    assertEquals(100, lan.refusalsPerSecondBeforeClose());
    assertFalse(local.enabled());
    assertEquals(0, local.instancesPerNamespace());
    assertTrue(tried.enabled());
    assertEquals(0, tried.perCaller().streams(), "0: no limit of that kind");
    assertMessage(
        "limits.connection.writes-per-s: must be between 0 and 10000000",
        "--limits.connection.writes-per-s=-1");
  }

  @Test
  void localProfileSeedsThreeLoopbackMembers() {
    NodeConfig config = ConfigLoader.load(new String[] {"--profile=local"}, Map.of());

    assertEquals(
        List.of("127.0.0.1:5701", "127.0.0.1:5702", "127.0.0.1:5703"), config.cluster().members());
    assertEquals("127.0.0.1", config.api().host());
    assertEquals(10, config.cluster().maxNoHeartbeatSeconds());
  }

  @Test
  void flagsBeatEnvironmentWhichBeatsFileWhichBeatsProfile(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("roster.yaml");
    Files.writeString(
        file, "api.port: 7201\ncluster.name: from-file\nlease.default-ttl-ms: 20000\n");

    NodeConfig config =
        ConfigLoader.load(
            new String[] {INSECURE, "--config=" + file, "--api.port=7301"},
            Map.of("ROSTER_API_PORT", "7401", "ROSTER_CLUSTER_NAME", "from-env"));

    assertEquals(7301, config.api().port());
    assertEquals("from-env", config.cluster().name());
    assertEquals(20_000, config.leases().defaultTtlMillis());
  }

  @Test
  void fileKeysMayBeDottedOrNestedAndEveryScalarIsReadAsWritten(@TempDir Path dir)
      throws IOException {
    Path file = dir.resolve("roster.yaml");
    Files.writeString(
        file,
        """
        # the same keys as the flags
        node.name: ~
        api:
          port: 7201
          tls.reload-interval-ms: 0
        cluster:
          members:
            - 10.0.0.1:5701
            - 10.0.0.2:5701
          name: "from-file"
        cluster.size: 5
        security: {insecure: true}
        log.levels: [io.roster.node.cluster=debug, com.hazelcast=warn]
        """);

    NodeConfig config = ConfigLoader.load(new String[] {"--config=" + file}, Map.of());

    assertEquals("127.0.0.1:7201", config.nodeName(), "a YAML null is the empty value");
    assertEquals(7201, config.api().port());
    assertEquals(List.of("10.0.0.1:5701", "10.0.0.2:5701"), config.cluster().members());
    assertEquals("from-file", config.cluster().name());
    assertEquals(5, config.cluster().expectedSize());
    assertEquals(
        Map.of("io.roster.node.cluster", LogLevel.DEBUG, "com.hazelcast", LogLevel.WARN),
        config.logs().levels());
  }

  @Test
  void anEmptyFileSetsNothing(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("roster.yaml");
    Files.writeString(file, "# every key at its default\n");

    NodeConfig config = ConfigLoader.load(new String[] {INSECURE, "--config=" + file}, Map.of());

    assertEquals(7101, config.api().port());
  }

  @Test
  void fileMistakesNameTheFileTheLineAndWhatIsWrong(@TempDir Path dir) throws IOException {
    assertFileMessage(
        dir,
        "api.port: 7201\napi.prot: 7202\n",
        "unknown configuration key \"api.prot\" in file ",
        "roster.yaml (line 2)");
    assertFileMessage(
        dir,
        "api:\n  port: 7201\n  port 7202\n",
        "is not valid YAML: could not find expected ':'",
        "while scanning a simple key at line 3, column 3");
    assertFileMessage(
        dir, "api.port: 7201\napi:\n  port: 7202\n", "api.port is given twice, at lines 1 and 3");
    assertFileMessage(
        dir,
        "api.port=7201\n",
        "must be a YAML mapping of keys to values",
        "a Java properties file (key=value) is no longer read");
    assertFileMessage(dir, "api.port: [1, 2]\n", "line 1: api.port takes one value, not a list");
    assertFileMessage(dir, "cluster.size: yes\n", "cluster.size: must be a whole number");
    assertFileMessage(
        dir, "security.insecure: yes\n", "security.insecure: must be true or false, got \"yes\"");
  }

  private static void assertFileMessage(Path dir, String yaml, String... expected)
      throws IOException {
    Path file = dir.resolve("roster.yaml");
    Files.writeString(file, yaml);
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> ConfigLoader.load(new String[] {"--config=" + file}, Map.of()));
    for (String part : expected) {
      assertTrue(e.getMessage().contains(part), e.getMessage());
    }
  }

  @Test
  void environmentChoosesTheProfile() {
    NodeConfig config = ConfigLoader.load(new String[0], Map.of("ROSTER_PROFILE", "local"));

    assertEquals(3, config.cluster().members().size());
  }

  @Test
  void unknownKeysAreErrorsNamingTheKey() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> ConfigLoader.load(new String[] {INSECURE, "--api.prot=1"}, Map.of()));

    assertTrue(e.getMessage().contains("\"api.prot\""), e.getMessage());
  }

  @Test
  void badValuesAreErrorsNamingTheKeyAndTheRule() {
    assertMessage("api.port: must be between 1 and 65535, got 0", "--api.port=0");
    assertMessage("cluster.size: must be a whole number, got \"three\"", "--cluster.size=three");
    assertMessage("profile: must be one of lan, local", "--profile=wan");
    assertMessage("flags take the form --key=value", "api.port");
    assertMessage("cluster.members: addresses take the form host:port", "--cluster.members=a");
    assertMessage("api.tls.cert-chain-file: required", "--api.tls.enabled=true");
    assertMessage(
        "must be longer than cluster.heartbeat-interval-s",
        "--cluster.heartbeat-interval-s=5",
        "--cluster.max-no-heartbeat-s=5");
    assertMessage("lease.*", "--lease.min-ttl-ms=5000", "--lease.default-ttl-ms=1000");
  }

  @Test
  void xdsIsOnAndOnTheApiPortUnlessToldOtherwise() {
    NodeConfig config = ConfigLoader.load(new String[] {"--profile=local"}, Map.of());
    assertTrue(config.xds().enabled());
    assertEquals(0, config.xds().port());
    assertMessage(
        "xds.port (7101) is api.port: set xds.port=0 to serve xDS on the API port",
        "--profile=local",
        "--xds.port=7101");
  }

  @Test
  void environmentNamesAreUpperCaseWithUnderscores() {
    assertEquals(
        "ROSTER_CLUSTER_MAX_NO_HEARTBEAT_S",
        ConfigLoader.environmentName("cluster.max-no-heartbeat-s"));
  }

  @Test
  void theAccessLogIsOffUnlessAskedFor() {
    assertFalse(ConfigLoader.load(new String[] {INSECURE}, Map.of()).logs().access());
    assertFalse(ConfigLoader.load(new String[] {"--profile=local"}, Map.of()).logs().access());
    assertTrue(
        ConfigLoader.load(new String[] {INSECURE}, Map.of("ROSTER_LOG_ACCESS", "true"))
            .logs()
            .access());
    assertMessage("log.access", "--log.access=yes");
  }

  @Test
  void connectionTimeoutsHaveDefaultsAndAKeepaliveShorterThanTheIdleTimeout() {
    NodeConfig.Connections defaults =
        ConfigLoader.load(new String[] {INSECURE}, Map.of()).api().connections();
    assertEquals(new NodeConfig.Connections(300, 60, 20), defaults);

    assertMessage(
        "api.keepalive-interval-s (300) must be shorter than api.idle-timeout-s (300)",
        "--api.keepalive-interval-s=300");
  }

  @Test
  void apiEventLoopsAreHalfTheCoresOnALanAndOneForThreeNodesOnOneMachine() {
    assertEquals(
        Math.max(1, Runtime.getRuntime().availableProcessors() / 2),
        ConfigLoader.load(new String[] {INSECURE}, Map.of()).api().eventLoops());
    assertEquals(
        1, ConfigLoader.load(new String[] {"--profile=local"}, Map.of()).api().eventLoops());
    assertEquals(
        4,
        ConfigLoader.load(new String[] {"--profile=local", "--api.event-loops=4"}, Map.of())
            .api()
            .eventLoops());

    assertMessage("api.event-loops: must be between 1 and 256, got 0", "--api.event-loops=0");
    assertMessage(
        "api.event-loops: must be a whole number, got \"auto\"", "--api.event-loops=auto");
  }

  @Test
  void tlsClientCertificatesAreRequiredWhenAClientCaIsGiven(@TempDir Path dir) throws IOException {
    Path cert = Files.writeString(dir.resolve("node.pem"), "x");
    Path key = Files.writeString(dir.resolve("node.key"), "x");
    Path ca = Files.writeString(dir.resolve("ca.pem"), "x");
    String on = "--api.tls.enabled=true";
    String certFlag = "--api.tls.cert-chain-file=" + cert;
    String keyFlag = "--api.tls.private-key-file=" + key;

    NodeConfig.Tls tlsOnly =
        ConfigLoader.load(new String[] {INSECURE, on, certFlag, keyFlag}, Map.of()).api().tls();
    assertEquals(NodeConfig.ClientAuth.NONE, tlsOnly.clientAuth());
    assertEquals(5_000, tlsOnly.reloadIntervalMillis());
    NodeConfig.Tls mutual =
        ConfigLoader.load(
                new String[] {INSECURE, on, certFlag, keyFlag, "--api.tls.client-ca-file=" + ca},
                Map.of())
            .api()
            .tls();
    assertEquals(NodeConfig.ClientAuth.REQUIRE, mutual.clientAuth());
    assertEquals(ca, mutual.clientCaFile());
    assertEquals(
        NodeConfig.ClientAuth.REQUEST,
        ConfigLoader.load(
                new String[] {
                  INSECURE,
                  on,
                  certFlag,
                  keyFlag,
                  "--api.tls.client-ca-file=" + ca,
                  "--api.tls.client-auth=request"
                },
                Map.of())
            .api()
            .tls()
            .clientAuth());
  }

  @Test
  void tlsMistakesAreErrorsSayingWhatToDo(@TempDir Path dir) throws IOException {
    Path cert = Files.writeString(dir.resolve("node.pem"), "x");
    Path key = Files.writeString(dir.resolve("node.key"), "x");
    String on = "--api.tls.enabled=true";
    String certFlag = "--api.tls.cert-chain-file=" + cert;
    String keyFlag = "--api.tls.private-key-file=" + key;

    assertMessage(
        "api.tls.cert-chain-file is set but api.tls.enabled=false, so the API port would speak"
            + " plaintext",
        certFlag);
    assertMessage("api.tls.private-key-file: required when api.tls.enabled=true", on, certFlag);
    assertMessage(
        "api.tls.private-key-file: no such file: " + dir.resolve("missing.key"),
        on,
        certFlag,
        "--api.tls.private-key-file=" + dir.resolve("missing.key"));
    assertMessage(
        "api.tls.cert-chain-file: " + dir + " is not a file this process can read",
        on,
        "--api.tls.cert-chain-file=" + dir,
        keyFlag);
    assertMessage(
        "api.tls.client-auth=require needs api.tls.client-ca-file",
        on,
        certFlag,
        keyFlag,
        "--api.tls.client-auth=require");
    assertMessage(
        "api.tls.client-ca-file is set but api.tls.client-auth=none",
        on,
        certFlag,
        keyFlag,
        "--api.tls.client-ca-file=" + cert,
        "--api.tls.client-auth=none");
    assertMessage(
        "api.tls.client-auth: must be none, request or require, got \"mutual\"",
        on,
        certFlag,
        keyFlag,
        "--api.tls.client-auth=mutual");
    assertMessage(
        "api.tls.reload-interval-ms: must be 0 (never reload) or at least 100, got 10",
        on,
        certFlag,
        keyFlag,
        "--api.tls.reload-interval-ms=10");
  }

  @Test
  void theLanProfileRefusesToStartUnsecuredSayingWhatIsMissing() {
    ConfigException refused =
        assertThrows(ConfigException.class, () -> ConfigLoader.load(new String[0], Map.of()));

    assertTrue(
        refused.getMessage().startsWith("the lan profile runs secured"), refused.getMessage());
    assertTrue(refused.getMessage().contains("api.tls.enabled=true"), refused.getMessage());
    assertTrue(refused.getMessage().contains("security.access-file"), refused.getMessage());
    assertTrue(refused.getMessage().contains("cluster.secret-file"), refused.getMessage());
    assertTrue(refused.getMessage().contains("security.insecure=true"), refused.getMessage());
  }

  @Test
  void aSecuredLanNodeHasNoGapsAndAnInsecureOrLocalOneListsThem(@TempDir Path dir)
      throws IOException {
    Path cert = dir.resolve("node.pem");
    Path key = dir.resolve("node.key");
    Path access = dir.resolve("access");
    Path secret = dir.resolve("cluster.secret");
    Files.writeString(cert, "x");
    Files.writeString(key, "x");
    Files.writeString(access, "");
    Files.writeString(secret, "0123456789abcdef0123456789abcdef");

    NodeConfig secured =
        ConfigLoader.load(
            new String[] {
              "--api.tls.enabled=true",
              "--api.tls.cert-chain-file=" + cert,
              "--api.tls.private-key-file=" + key,
              "--security.access-file=" + access,
              "--cluster.secret-file=" + secret
            },
            Map.of());
    NodeConfig local = ConfigLoader.load(new String[] {"--profile=local"}, Map.of());

    assertEquals(List.of(), secured.securityGaps());
    assertEquals(3, local.securityGaps().size(), local.securityGaps().toString());
    assertEquals(
        local.securityGaps(), ConfigLoader.load(new String[] {INSECURE}, Map.of()).securityGaps());
  }

  @Test
  void logsAreJsonOnALanAndTextOnOneMachineWithLevelsByLogger() {
    NodeConfig.Logs lan = ConfigLoader.load(new String[] {INSECURE}, Map.of()).logs();
    NodeConfig.Logs local = ConfigLoader.load(new String[] {"--profile=local"}, Map.of()).logs();
    NodeConfig.Logs chosen =
        ConfigLoader.load(
                new String[] {
                  "--profile=local",
                  "--log.format=JSON",
                  "--log.levels= io.roster.node.cluster = debug ,com.hazelcast=WARN,ROOT=off,"
                },
                Map.of())
            .logs();
    NodeConfig.Logs fromEnvironment =
        ConfigLoader.load(
                new String[] {INSECURE},
                Map.of("ROSTER_LOG_FORMAT", "text", "ROSTER_LOG_LEVELS", "io.vertx=error"))
            .logs();

    assertEquals(new NodeConfig.Logs(LogFormat.JSON, Map.of(), false), lan);
    assertEquals(new NodeConfig.Logs(LogFormat.TEXT, Map.of(), false), local);
    assertEquals(LogFormat.JSON, chosen.format());
    assertEquals(
        Map.of(
            "io.roster.node.cluster",
            LogLevel.DEBUG,
            "com.hazelcast",
            LogLevel.WARN,
            "ROOT",
            LogLevel.OFF),
        chosen.levels());
    assertEquals(
        new NodeConfig.Logs(LogFormat.TEXT, Map.of("io.vertx", LogLevel.ERROR), false),
        fromEnvironment);
  }

  @Test
  void aBadLogFormatOrLevelIsAnErrorNamingTheKeyAndWhatIsAccepted() {
    assertMessage("log.format: must be json or text, got \"yaml\"", "--log.format=yaml");
    assertMessage(
        "log.levels: unknown level \"verbose\" for io.roster; levels are trace, debug, info,"
            + " warn, error, off",
        "--log.levels=io.roster=verbose");
    assertMessage(
        "log.levels: entries take the form LOGGER=LEVEL", "--log.levels=io.roster.node:debug");
    assertMessage(
        "log.levels: the logger name \"io roster\" may hold only letters, digits and _ . $ -",
        "--log.levels=io roster=debug");
    assertMessage("log.levels: the logger name \"\" is empty", "--log.levels==debug");
    assertMessage(
        "log.levels: the logger name \"" + "a".repeat(201) + "\" is longer than 200 characters",
        "--log.levels=" + "a".repeat(201) + "=info");
    assertMessage(
        "log.levels: io.roster is given twice", "--log.levels=io.roster=info,io.roster=debug");
  }

  @Test
  void dnsIsOffByDefaultAndItsKeysAreCheckedWhenOn() {
    NodeConfig.Dns defaults = ConfigLoader.load(new String[] {INSECURE}, Map.of()).dns();
    assertEquals(
        new NodeConfig.Dns(false, "0.0.0.0", 8600, 2, 8, "roster.", ""), defaults, "lan defaults");
    NodeConfig.Dns local =
        ConfigLoader.load(
                new String[] {
                  "--profile=local",
                  "--dns.enabled=true",
                  "--dns.port=8601",
                  "--dns.domain=Roster.Example.com",
                  "--dns.zone=eu-1a"
                },
                Map.of())
            .dns();
    assertEquals(
        new NodeConfig.Dns(true, "127.0.0.1", 8601, 2, 8, "roster.example.com.", "eu-1a"),
        local,
        "the host follows api.host; the domain is lower case and absolute");

    assertMessage("dns.port (7101) is already", INSECURE, "--dns.enabled=true", "--dns.port=7101");
    assertMessage("dns.domain: must be", INSECURE, "--dns.domain=bad_domain.");
    assertMessage("dns.zone: must be", INSECURE, "--dns.zone=eu.1a");
    assertMessage("dns.max-records: must be between 1 and 256", INSECURE, "--dns.max-records=0");
    assertMessage("dns.ttl-s: must be", INSECURE, "--dns.ttl-s=-1");
  }

  @Test
  void membersAreListedOrFoundByOneDnsName() {
    NodeConfig listed =
        ConfigLoader.load(
            new String[] {INSECURE, "--cluster.members=10.0.0.1:5701,10.0.0.2:5701"}, Map.of());
    assertFalse(listed.cluster().discoversByDns());
    assertEquals(List.of("10.0.0.1:5701", "10.0.0.2:5701"), listed.cluster().members());

    NodeConfig byDns =
        ConfigLoader.load(
            new String[0],
            Map.of(
                "ROSTER_SECURITY_INSECURE", "true",
                "ROSTER_CLUSTER_DISCOVERY", "dns",
                "ROSTER_CLUSTER_DNS_NAME", "roster-members.roster.svc.cluster.local",
                "ROSTER_CLUSTER_DNS_TIMEOUT_S", "3"));
    assertTrue(byDns.cluster().discoversByDns());
    assertEquals("roster-members.roster.svc.cluster.local", byDns.cluster().dnsName());
    assertEquals(3, byDns.cluster().dnsTimeoutSeconds());
    assertEquals(List.of(), byDns.cluster().members(), "no seed list beside the name");

    assertMessage(
        "cluster.discovery=dns needs cluster.dns-name", INSECURE, "--cluster.discovery=dns");
    assertMessage(
        "cluster.members is set but cluster.discovery=dns",
        INSECURE,
        "--cluster.discovery=dns",
        "--cluster.dns-name=members.example.com",
        "--cluster.members=10.0.0.1:5701");
    assertMessage(
        "cluster.dns-name is set but cluster.discovery=members",
        INSECURE,
        "--cluster.dns-name=members.example.com");
    assertMessage(
        "cluster.dns-name: must be a host name",
        INSECURE,
        "--cluster.discovery=dns",
        "--cluster.dns-name=members example.com");
    assertMessage("cluster.discovery: must be members", INSECURE, "--cluster.discovery=multicast");
  }

  @Test
  void theHealthPortIsOffByDefaultAndAPortOfItsOwn() {
    assertFalse(ConfigLoader.load(new String[] {INSECURE}, Map.of()).health().enabled());
    assertEquals(
        7180,
        ConfigLoader.load(new String[] {INSECURE, "--health.port=7180"}, Map.of()).health().port());

    assertMessage("health.port (7101) is already", INSECURE, "--health.port=7101");
    assertMessage("health.port (5701) is already", INSECURE, "--health.port=5701");
    assertMessage(
        "health.port (7102) is already", INSECURE, "--dashboard.port=7102", "--health.port=7102");
  }

  private static void assertMessage(String expected, String... args) {
    ConfigException e =
        assertThrows(ConfigException.class, () -> ConfigLoader.load(args, Map.of()));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }
}
