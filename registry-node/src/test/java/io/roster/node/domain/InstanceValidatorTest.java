package io.roster.node.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class InstanceValidatorTest {

  /** Asserts {@code call} is refused with a message that starts with the field's name. */
  private static InvalidArgumentException assertRejected(String field, Executable call) {
    InvalidArgumentException e = assertThrows(InvalidArgumentException.class, call);
    assertEquals(field, e.field());
    assertTrue(e.getMessage().startsWith(field + ": "), e::getMessage);
    assertFalse(e.getMessage().contains("\n"), "control characters are escaped in messages");
    return e;
  }

  private static Map<String, Integer> namedPorts(int count) {
    Map<String, Integer> ports = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      ports.put("p" + i, 8000 + i);
    }
    return ports;
  }

  private static Map<String, String> labels(int count, String value) {
    Map<String, String> labels = new HashMap<>();
    for (int i = 0; i < count; i++) {
      labels.put(String.format("key-%02d", i), value);
    }
    return labels;
  }

  // ---- namespace ----

  static Stream<String> validNamespaces() {
    return Stream.of("default", "a", "0", "prod-eu-1", "a" + "b".repeat(61) + "c");
  }

  @ParameterizedTest
  @MethodSource("validNamespaces")
  void validNamespaceIsKept(String namespace) {
    assertEquals(namespace, InstanceValidator.namespace("namespace", namespace));
  }

  @Test
  void emptyNamespaceBecomesDefault() {
    assertEquals("default", InstanceValidator.namespace("namespace", ""));
  }

  static Stream<String> invalidNamespaces() {
    return Stream.of(
        "-a",
        "a-",
        "-",
        "Prod",
        "a_b",
        "a.b",
        "a/b",
        "a@b",
        "a b",
        " a",
        "é",
        "a\n",
        "a\0",
        "a".repeat(64));
  }

  @ParameterizedTest
  @MethodSource("invalidNamespaces")
  void invalidNamespaceIsRejected(String namespace) {
    InvalidArgumentException e =
        assertRejected("namespace", () -> InstanceValidator.namespace("namespace", namespace));
    assertTrue(e.getMessage().contains("must be 1-63 lower-case letters"), e::getMessage);
  }

  // ---- service ----

  static Stream<String> validServices() {
    return Stream.of("orders", "Orders.v2", "a", "9lives", "my_service-1", "s".repeat(128));
  }

  @ParameterizedTest
  @MethodSource("validServices")
  void validServiceIsKept(String service) {
    assertEquals(service, InstanceValidator.service("instance.service", service));
  }

  @Test
  void emptyServiceIsRequired() {
    InvalidArgumentException e =
        assertRejected("instance.service", () -> InstanceValidator.service("instance.service", ""));
    assertEquals("instance.service: is required", e.getMessage());
  }

  static Stream<String> invalidServices() {
    return Stream.of(
        "-orders",
        ".orders",
        "_x",
        "a/b",
        "a@b",
        "a b",
        "ünicode",
        "a\t",
        "a\n",
        "a:b",
        "s".repeat(129));
  }

  @ParameterizedTest
  @MethodSource("invalidServices")
  void invalidServiceIsRejected(String service) {
    assertRejected(
        "instance.service", () -> InstanceValidator.service("instance.service", service));
  }

  @Test
  void rejectedValueIsQuotedWithControlAndNonAsciiCharactersEscaped() {
    InvalidArgumentException e =
        assertRejected("svc", () -> InstanceValidator.service("svc", "bad/\u00e9\n"));
    assertEquals(
        "svc: must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit,"
            + " got \"bad/\\u00e9\\u000a\"",
        e.getMessage());
  }

  @Test
  void longRejectedValueIsTruncatedInTheMessage() {
    InvalidArgumentException e =
        assertRejected("svc", () -> InstanceValidator.service("svc", "s".repeat(300)));
    assertTrue(e.getMessage().endsWith("got \"" + "s".repeat(80) + "...\""), e::getMessage);
  }

  // ---- instance id ----

  static Stream<String> validInstanceIds() {
    return Stream.of("10.0.0.1:8080", "pod-abc_1.x", "a", "UPPER", "i".repeat(256));
  }

  @ParameterizedTest
  @MethodSource("validInstanceIds")
  void validInstanceIdIsKept(String instanceId) {
    assertEquals(instanceId, InstanceValidator.instanceId("instance.instance_id", instanceId));
  }

  @Test
  void emptyInstanceIdIsRequired() {
    InvalidArgumentException e =
        assertRejected(
            "instance.instance_id", () -> InstanceValidator.instanceId("instance.instance_id", ""));
    assertEquals("instance.instance_id: is required", e.getMessage());
  }

  static Stream<String> invalidInstanceIds() {
    return Stream.of("a/b", "a@b", "a b", "é", "a\7", "a\0", "a\r", "i".repeat(257));
  }

  @ParameterizedTest
  @MethodSource("invalidInstanceIds")
  void invalidInstanceIdIsRejected(String instanceId) {
    assertRejected(
        "instance.instance_id",
        () -> InstanceValidator.instanceId("instance.instance_id", instanceId));
  }

  @Test
  void defaultInstanceIdIsHostColonPortAndIsItselfValid() {
    String id = InstanceValidator.defaultInstanceId("instance_id", "10.0.0.1", 8080);

    assertEquals("10.0.0.1:8080", id);
    assertEquals(id, InstanceValidator.instanceId("instance.instance_id", id));
    assertEquals(
        InstanceValidator.defaultInstanceId("instance_id", "10.0.0.1", 8080),
        InstanceValidator.defaultInstanceId("instance_id", "10.0.0.1", 8080));
  }

  @Test
  void defaultInstanceIdOverTheLimitIsRefusedAskingForAnInstanceId() {
    InvalidArgumentException refused =
        assertThrows(
            InvalidArgumentException.class,
            () ->
                InstanceValidator.defaultInstanceId("instance.instance_id", "h".repeat(253), 8080));

    assertEquals("instance.instance_id", refused.field());
    assertTrue(refused.getMessage().contains("give an instance_id"), refused.getMessage());
    assertEquals(
        "h".repeat(250) + ":65535",
        InstanceValidator.defaultInstanceId("instance.instance_id", "h".repeat(250), 65_535));
  }

  // ---- host ----

  static Stream<String> validHosts() {
    return Stream.of(
        "example.com",
        "10.0.0.1",
        "::1",
        "fe80::1ff:fe23:4567:890a",
        "my-host",
        "host.",
        "H",
        "h".repeat(253));
  }

  @ParameterizedTest
  @MethodSource("validHosts")
  void validHostIsKept(String host) {
    assertEquals(host, InstanceValidator.host("instance.host", host));
  }

  @Test
  void emptyHostIsRequired() {
    InvalidArgumentException e =
        assertRejected("instance.host", () -> InstanceValidator.host("instance.host", ""));
    assertEquals("instance.host: is required", e.getMessage());
  }

  static Stream<String> invalidHosts() {
    return Stream.of(
        "-host",
        ".host",
        "[::1]",
        "host_name",
        "a/b",
        "user@host",
        "my host",
        "hôst",
        "host\r",
        "h".repeat(254));
  }

  @ParameterizedTest
  @MethodSource("invalidHosts")
  void invalidHostIsRejected(String host) {
    assertRejected("instance.host", () -> InstanceValidator.host("instance.host", host));
  }

  // ---- port ----

  @ParameterizedTest
  @ValueSource(longs = {1, 80, 8080, 65_535})
  void validPortIsKept(long port) {
    assertEquals(port, InstanceValidator.port("instance.port", port));
  }

  @ParameterizedTest
  @ValueSource(longs = {0, -1, 65_536, 4_294_967_295L, Long.MAX_VALUE})
  void portOutsideOneTo65535IsRejected(long port) {
    InvalidArgumentException e =
        assertRejected("instance.port", () -> InstanceValidator.port("instance.port", port));
    assertEquals("instance.port: must be 1-65535, got " + port, e.getMessage());
  }

  // ---- named ports ----

  static Stream<Map<String, Integer>> validNamedPorts() {
    return Stream.of(
        Map.of(),
        Map.of("http", 80, "grpc-admin", 9090),
        Map.of("abcdefghijklmno", 1, "0", 65_535),
        namedPorts(InstanceValidator.MAX_NAMED_PORTS));
  }

  @ParameterizedTest
  @MethodSource("validNamedPorts")
  void validNamedPortsAreKept(Map<String, Integer> ports) {
    assertEquals(ports, InstanceValidator.namedPorts("instance.ports", ports));
  }

  @Test
  void tooManyNamedPortsAreRejected() {
    InvalidArgumentException e =
        assertRejected(
            "instance.ports", () -> InstanceValidator.namedPorts("instance.ports", namedPorts(17)));
    assertEquals("instance.ports: at most 16 named ports, got 17", e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "HTTP",
        "-http",
        "http-",
        "a_b",
        "a.b",
        "a/b",
        "a@b",
        "a b",
        "é",
        "a\n",
        "abcdefghijklmnop"
      })
  void badPortNameIsRejected(String name) {
    InvalidArgumentException e =
        assertRejected(
            "instance.ports",
            () -> InstanceValidator.namedPorts("instance.ports", Map.of(name, 8080)));
    assertTrue(e.getMessage().contains("port names must be"), e::getMessage);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 65_536, -1, Integer.MIN_VALUE})
  void namedPortOutOfRangeIsRejectedUnderItsName(int port) {
    InvalidArgumentException e =
        assertRejected(
            "instance.ports[http]",
            () -> InstanceValidator.namedPorts("instance.ports", Map.of("ok", 1, "http", port)));
    assertTrue(e.getMessage().startsWith("instance.ports[http]: must be 1-65535"), e::getMessage);
  }

  @Test
  void zeroNamedPortMessageGivesTheValue() {
    InvalidArgumentException e =
        assertRejected(
            "instance.ports[http]",
            () -> InstanceValidator.namedPorts("instance.ports", Map.of("http", 0)));
    assertEquals("instance.ports[http]: must be 1-65535, got 0", e.getMessage());
  }

  // ---- weight ----

  @ParameterizedTest
  @ValueSource(longs = {0, 1, 100, 10_000})
  void validWeightIsKept(long weight) {
    assertEquals(weight, InstanceValidator.weight("instance.weight", weight));
  }

  @ParameterizedTest
  @ValueSource(longs = {-1, 10_001, Long.MIN_VALUE, Long.MAX_VALUE})
  void weightOutsideZeroToTenThousandIsRejected(long weight) {
    InvalidArgumentException e =
        assertRejected(
            "instance.weight", () -> InstanceValidator.weight("instance.weight", weight));
    assertEquals(
        "instance.weight: must be 0-10000 (0: listed but no traffic), got " + weight,
        e.getMessage());
  }

  // ---- zone ----

  static Stream<String> validZones() {
    return Stream.of("", "us-east-1a", "zone_a.1", "Z", "z".repeat(64));
  }

  @ParameterizedTest
  @MethodSource("validZones")
  void validZoneIsKept(String zone) {
    assertEquals(zone, InstanceValidator.zone("instance.zone", zone));
  }

  static Stream<String> invalidZones() {
    return Stream.of("us east", "a/b", "a@b", "a:b", "zöne", "a\n", "a\0", "z".repeat(65));
  }

  @ParameterizedTest
  @MethodSource("invalidZones")
  void invalidZoneIsRejected(String zone) {
    assertRejected("instance.zone", () -> InstanceValidator.zone("instance.zone", zone));
  }

  // ---- version ----

  static Stream<String> validVersions() {
    return Stream.of(
        "", "1.0.0", "v1.2.3-rc.1+build.5", "1.0 beta", "~!@#$%^&*()/", "x", "v".repeat(64));
  }

  @ParameterizedTest
  @MethodSource("validVersions")
  void validVersionIsKept(String version) {
    assertEquals(version, InstanceValidator.version("instance.version", version));
  }

  static Stream<String> invalidVersions() {
    return Stream.of(
        " 1.0", "1.0 ", " ", "1.0\t", "1.0\n", "1.0\0", "1.0\177", "1.0é", "v".repeat(65));
  }

  @ParameterizedTest
  @MethodSource("invalidVersions")
  void invalidVersionIsRejected(String version) {
    assertRejected(
        "instance.version", () -> InstanceValidator.version("instance.version", version));
  }

  // ---- metadata and selector ----

  static Stream<Map<String, String>> validMetadata() {
    return Stream.of(
        Map.of(),
        Map.of("team", "core", "app.kubernetes.io/name", "orders"),
        Map.of("A_b-c.d/e", ""),
        Map.of("k".repeat(63), "v"),
        Map.of("k", "v".repeat(512)),
        Map.of("k", "é".repeat(256)), // 512 bytes
        Map.of("k", "free text: spaces, ünïcode are fine in values"),
        labels(InstanceValidator.MAX_METADATA_ENTRIES, "v"),
        labels(8, "v".repeat(506))); // 8 * (6 + 506) = 4096 bytes
  }

  @ParameterizedTest
  @MethodSource("validMetadata")
  void validMetadataIsKept(Map<String, String> metadata) {
    assertEquals(metadata, InstanceValidator.metadata("instance.metadata", metadata));
  }

  @Test
  void keptMetadataIsAnImmutableCopy() {
    Map<String, String> source = new HashMap<>(Map.of("team", "core"));
    Map<String, String> kept = InstanceValidator.metadata("instance.metadata", source);
    source.put("env", "prod");

    assertEquals(Map.of("team", "core"), kept);
    assertThrows(UnsupportedOperationException.class, () -> kept.put("x", "y"));
  }

  @Test
  void tooManyMetadataEntriesAreRejected() {
    InvalidArgumentException e =
        assertRejected(
            "instance.metadata",
            () -> InstanceValidator.metadata("instance.metadata", labels(65, "v")));
    assertEquals("instance.metadata: at most 64 entries, got 65", e.getMessage());
  }

  @Test
  void metadataValueOver512BytesIsRejectedUnderItsKey() {
    InvalidArgumentException e =
        assertRejected(
            "instance.metadata[k]",
            () -> InstanceValidator.metadata("instance.metadata", Map.of("k", "v".repeat(513))));
    assertEquals("instance.metadata[k]: values must be at most 512 bytes, got 513", e.getMessage());
  }

  @Test
  void metadataValueLimitCountsUtf8BytesNotCharacters() {
    String value = "\u20ac".repeat(171); // 171 characters, 513 bytes
    InvalidArgumentException e =
        assertRejected(
            "instance.metadata[price]",
            () -> InstanceValidator.metadata("instance.metadata", Map.of("price", value)));
    assertTrue(e.getMessage().endsWith("got 513"), e::getMessage);
  }

  @Test
  void metadataOver4096BytesInTotalIsRejected() {
    Map<String, String> big = labels(8, "v".repeat(507)); // 8 * (6 + 507) = 4104 bytes
    InvalidArgumentException e =
        assertRejected(
            "instance.metadata", () -> InstanceValidator.metadata("instance.metadata", big));
    assertEquals(
        "instance.metadata: keys and values together must be at most 4096 bytes, got 4104",
        e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "a b", "a@b", "a:b", "a=b", "é", "a\n", "a\0"})
  void badMetadataKeyIsRejected(String key) {
    InvalidArgumentException e =
        assertRejected(
            "instance.metadata",
            () -> InstanceValidator.metadata("instance.metadata", Map.of(key, "v")));
    assertTrue(e.getMessage().contains("keys must be"), e::getMessage);
  }

  @Test
  void metadataKeyOver63CharactersIsRejected() {
    assertRejected(
        "instance.metadata",
        () -> InstanceValidator.metadata("instance.metadata", Map.of("k".repeat(64), "v")));
  }

  @Test
  void selectorFollowsTheMetadataRulesWithAtMost16Entries() {
    Map<String, String> sixteen = labels(InstanceValidator.MAX_SELECTOR_ENTRIES, "v");
    assertEquals(sixteen, InstanceValidator.selector("query.selector", sixteen));

    InvalidArgumentException tooMany =
        assertRejected(
            "query.selector", () -> InstanceValidator.selector("query.selector", labels(17, "v")));
    assertEquals("query.selector: at most 16 entries, got 17", tooMany.getMessage());

    assertRejected(
        "query.selector", () -> InstanceValidator.selector("query.selector", Map.of("a b", "v")));
    assertRejected(
        "query.selector[k]",
        () -> InstanceValidator.selector("query.selector", Map.of("k", "v".repeat(513))));
  }
}
