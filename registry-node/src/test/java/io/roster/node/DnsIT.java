package io.roster.node;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.roster.testing.NodeProcess;
import io.roster.testing.RosterCluster;
import io.roster.v1.DeregisterRequest;
import io.roster.v1.Instance;
import io.roster.v1.InstanceKey;
import io.roster.v1.InstanceStatus;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import javax.naming.directory.Attribute;
import javax.naming.directory.InitialDirContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * DNS on three real nodes, asked by {@code dig} (Debian's {@code dnsutils}) and by Java's own JNDI
 * resolver: what one node registered, every node answers from its view. The {@code dig} tests skip,
 * saying so, only when dig is missing; the others need nothing.
 */
@Timeout(300)
class DnsIT {

  private static final Duration PROPAGATION = Duration.ofSeconds(30);
  private static final Path DIG = Path.of("/usr/bin/dig");
  private static final int BIG_SERVICE_SIZE = 60;

  private static RosterCluster cluster;

  @BeforeAll
  static void startClusterAndRegister() {
    cluster =
        RosterCluster.builder()
            .size(3)
            .withDns()
            .flags(
                "--dns.ttl-s=1",
                "--dns.max-records=100",
                "--eviction.sweep-interval-ms=200",
                "--eviction.grace-ms=60000")
            .start();
    register(instance("orders", "a", "10.0.0.1", 100, "eu-1a").putPorts("grpc", 9090));
    register(instance("orders", "b", "10.0.0.2", 100, "eu-1b"));
    register(
        instance("orders", "c", "10.0.0.3", 100, "eu-1a")
            .setStatus(InstanceStatus.INSTANCE_STATUS_DRAINING));
    register(instance("orders", "d", "orders-d.internal.example", 100, "eu-1a"));
    register(
        instance("idle", "x", "10.0.9.9", 100, "")
            .setStatus(InstanceStatus.INSTANCE_STATUS_OUT_OF_SERVICE));
    register(instance("weighted", "light", "10.1.0.1", 100, ""));
    register(instance("weighted", "middle", "10.1.0.2", 200, ""));
    register(instance("weighted", "heavy", "10.1.0.3", 700, ""));
    for (int i = 0; i < BIG_SERVICE_SIZE; i++) {
      register(instance("big", "i" + i, "10.2.0." + (i + 1), 100, ""));
    }
    await("every node's DNS answers for the big service")
        .atMost(PROPAGATION)
        .untilAsserted(
            () -> {
              for (NodeProcess node : cluster.nodes()) {
                assertEquals(
                    BIG_SERVICE_SIZE,
                    query(node, "big.service.roster.", Type.A, true)
                        .getSection(Section.ANSWER)
                        .size());
              }
            });
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void digFindsAddressesSrvNamedPortsAndZonesOnAnyNode() {
    assumeDig();
    NodeProcess third = cluster.node(2);

    assertEquals(
        Set.of("10.0.0.1", "10.0.0.2"),
        lines(dig(third, "+short", "orders.service.roster.", "A")),
        "serving instances with an address: not the draining one, not the host name");
    assertEquals(
        Set.of("10.0.0.1", "10.0.0.2"),
        lines(dig(third, "+short", "ORDERS.service.default.roster.", "A")),
        "any case, namespace named");
    assertEquals(
        Set.of("10.0.0.1"), lines(dig(third, "+short", "eu-1a.orders.service.roster.", "A")));

    assertEquals(
        Set.of(
            "0 100 8080 0a000001.addr.roster.",
            "1 100 8080 0a000002.addr.roster.",
            "0 100 8080 orders-d.internal.example."),
        lines(dig(third, "+short", "eu-1a.orders.service.roster.", "SRV")),
        "SRV: the named zone at priority 0, the others at 1, host names as targets");
    assertEquals(
        Set.of("0 100 9090 0a000001.addr.roster."),
        lines(dig(third, "+short", "_grpc._tcp.orders.service.roster.", "SRV")));
    String srv = dig(third, "orders.service.roster.", "SRV");
    assertTrue(
        srv.contains("0a000001.addr.roster.\t1\tIN\tA\t10.0.0.1"), "glue in additional: " + srv);
    assertTrue(srv.contains(" aa "), "authoritative: " + srv);
  }

  @Test
  void digSeesNxdomainForAnUnknownServiceAndNodataWithTheSoaForOneWithNothingServing() {
    assumeDig();
    String unknown = dig(cluster.node(1), "nothing.service.roster.", "A");
    assertTrue(unknown.contains("status: NXDOMAIN"), unknown);
    assertTrue(unknown.contains("IN\tSOA\tns.roster. hostmaster.roster."), unknown);

    String idle = dig(cluster.node(1), "idle.service.roster.", "A");
    assertTrue(idle.contains("status: NOERROR"), idle);
    assertTrue(idle.contains("ANSWER: 0, AUTHORITY: 1"), idle);
    assertTrue(idle.contains("IN\tSOA\t"), idle);

    String outside = dig(cluster.node(1), "example.com.", "A");
    assertTrue(outside.contains("status: REFUSED"), outside);
  }

  @Test
  void aBigAnswerIsTruncatedOverUdpAndWholeOverTcp() {
    assumeDig();
    NodeProcess node = cluster.node(0);
    String udp = dig(node, "+noedns", "+ignore", "big.service.roster.", "A");
    assertTrue(udp.matches("(?s).*;; flags:[a-z ]* tc[ ;].*"), "TC set over UDP: " + udp);
    int cut = answers(udp);
    assertTrue(cut > 10 && cut < BIG_SERVICE_SIZE, "the likeliest that fit in 512 bytes: " + cut);

    String tcp = dig(node, "+tcp", "big.service.roster.", "A");
    assertEquals(BIG_SERVICE_SIZE, answers(tcp), tcp);
    assertEquals(
        lines(dig(node, "+short", "orders.service.roster.", "A")),
        lines(dig(node, "+short", "+tcp", "orders.service.roster.", "A")),
        "TCP answers as UDP does");
    // dig retries a truncated answer over TCP by itself, as resolvers do.
    assertEquals(
        BIG_SERVICE_SIZE, lines(dig(node, "+short", "+noedns", "big.service.roster.", "A")).size());
  }

  @Test
  void oneTcpConnectionCarriesSeveralQueriesAnsweredInOrder() throws Exception {
    List<String> names =
        List.of("orders.service.roster.", "nothing.service.roster.", "big.service.roster.");
    try (java.net.Socket socket =
        new java.net.Socket(InetAddress.getLoopbackAddress(), cluster.node(1).dnsPort())) {
      socket.setSoTimeout(5_000);
      java.io.DataOutputStream out = new java.io.DataOutputStream(socket.getOutputStream());
      // Sent together, before reading any answer (RFC 7766 pipelining).
      for (String name : names) {
        byte[] bytes =
            Message.newQuery(Record.newRecord(Name.fromConstantString(name), Type.A, DClass.IN))
                .toWire();
        out.writeShort(bytes.length);
        out.write(bytes);
      }
      out.flush();
      java.io.DataInputStream in = new java.io.DataInputStream(socket.getInputStream());
      List<String> answered = new ArrayList<>();
      for (int i = 0; i < names.size(); i++) {
        byte[] answer = new byte[in.readUnsignedShort()];
        in.readFully(answer);
        Message message = new Message(answer);
        answered.add(
            message.getQuestion().getName()
                + " "
                + Rcode.string(message.getRcode())
                + " "
                + message.getSection(Section.ANSWER).size());
      }
      assertEquals(
          List.of(
              "orders.service.roster. NOERROR 2",
              "nothing.service.roster. NXDOMAIN 0",
              "big.service.roster. NOERROR " + BIG_SERVICE_SIZE),
          answered);
    }
  }

  @Test
  void garbageOverUdpIsAnsweredWithFormerrAndTheNodeGoesOnAnswering() throws Exception {
    NodeProcess node = cluster.node(1);
    try (DatagramSocket socket = new DatagramSocket()) {
      socket.setSoTimeout(5_000);
      byte[] garbage = "\u00ab\u00cd this is no DNS query at all".getBytes(StandardCharsets.UTF_8);
      garbage[2] = 0x01; // QR clear: a query, with a question count nothing follows
      socket.send(
          new DatagramPacket(
              garbage, garbage.length, InetAddress.getLoopbackAddress(), node.dnsPort()));
      byte[] buffer = new byte[512];
      DatagramPacket answer = new DatagramPacket(buffer, buffer.length);
      socket.receive(answer);
      assertEquals(garbage[0], buffer[0], "the query's id");
      assertEquals(garbage[1], buffer[1]);
      assertEquals(Rcode.FORMERR, buffer[3] & 0x0f);
    }
    assertEquals(
        2, query(node, "orders.service.roster.", Type.A, false).getSection(Section.ANSWER).size());
    String metrics = metrics(node);
    assertTrue(
        metrics.contains("roster_dns_queries_total{rcode=\"formerr\",transport=\"udp\"} "),
        metrics);
  }

  @Test
  void javasOwnResolverReadsAddressesAndSrvRecords() throws Exception {
    NodeProcess node = cluster.node(0);
    Hashtable<String, String> environment = new Hashtable<>();
    environment.put("java.naming.factory.initial", "com.sun.jndi.dns.DnsContextFactory");
    environment.put("java.naming.provider.url", "dns://127.0.0.1:" + node.dnsPort());
    InitialDirContext dns = new InitialDirContext(environment);
    try {
      Attribute a = dns.getAttributes("orders.service.roster.", new String[] {"A"}).get("A");
      Set<String> addresses = new TreeSet<>();
      for (int i = 0; i < a.size(); i++) {
        addresses.add(a.get(i).toString());
      }
      assertEquals(Set.of("10.0.0.1", "10.0.0.2"), addresses);
      Attribute srv =
          dns.getAttributes("_grpc._tcp.orders.service.roster.", new String[] {"SRV"}).get("SRV");
      assertEquals("0 100 9090 0a000001.addr.roster.", srv.get(0).toString());
    } finally {
      dns.close();
    }
  }

  @Test
  void theFirstAddressFollowsTheWeights() throws Exception {
    int rounds = 3_000;
    Map<String, Integer> first = new HashMap<>();
    for (int i = 0; i < rounds; i++) {
      Record top =
          query(cluster.node(i % 3), "weighted.service.roster.", Type.A, false)
              .getSection(Section.ANSWER)
              .get(0);
      first.merge(top.rdataToString(), 1, Integer::sum);
    }
    // Shares 0.1, 0.2, 0.7; +-0.05 is at least 6 standard deviations of each share over 3,000
    // draws (0.7: sigma 0.0084), so a correct shuffle fails this about once in 10^8 runs, while
    // an unweighted one (a third each) fails it at once.
    Map<String, Double> expected = Map.of("10.1.0.1", 0.1, "10.1.0.2", 0.2, "10.1.0.3", 0.7);
    expected.forEach(
        (address, share) -> {
          double observed = first.getOrDefault(address, 0) / (double) rounds;
          assertTrue(
              Math.abs(observed - share) < 0.05,
              address + " came first in " + observed + " of answers, expected " + share);
        });
  }

  @Test
  void aDeregisteredOrDeadInstanceLeavesTheAnswers() throws Exception {
    RegisterResponse leaving = register(instance("leaving", "gone", "10.3.0.1", 100, ""));
    register(instance("leaving", "stays", "10.3.0.2", 100, ""));
    RegisterResponse silent =
        register(instance("leaving", "silent", "10.3.0.3", 100, ""), Duration.ofSeconds(2));
    NodeProcess node = cluster.node(2);
    await("the three instances answered")
        .atMost(PROPAGATION)
        .until(() -> addresses(node, "leaving.service.roster.").size() == 3);

    RegistryServiceGrpc.newBlockingStub(cluster.node(0).channel())
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .deregister(
            DeregisterRequest.newBuilder()
                .setKey(
                    InstanceKey.newBuilder()
                        .setNamespace("default")
                        .setService("leaving")
                        .setInstanceId("gone"))
                .setEpoch(leaving.getEpoch())
                .build());
    long since = System.nanoTime();
    await("the deregistered and the silent instance left the answers")
        .atMost(PROPAGATION)
        .pollInterval(Duration.ofMillis(200))
        .until(() -> addresses(node, "leaving.service.roster.").equals(Set.of("10.3.0.2")));
    System.out.printf(
        "deregistered and expired (lease 2 s, epoch %d) instances left DNS answers within %d ms%n",
        silent.getEpoch(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since));
  }

  // --- helpers

  private static Instance.Builder instance(
      String service, String id, String host, int weight, String zone) {
    return Instance.newBuilder()
        .setService(service)
        .setInstanceId(id)
        .setHost(host)
        .setPort(8080)
        .setWeight(weight)
        .setZone(zone);
  }

  private static RegisterResponse register(Instance.Builder instance) {
    return register(instance, Duration.ofMinutes(10));
  }

  private static RegisterResponse register(Instance.Builder instance, Duration ttl) {
    return RegistryServiceGrpc.newBlockingStub(cluster.node(0).channel())
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .register(
            RegisterRequest.newBuilder()
                .setInstance(instance)
                .setLeaseTtl(
                    com.google.protobuf.Duration.newBuilder().setSeconds(ttl.toSeconds()).build())
                .build());
  }

  private static void assumeDig() {
    assumeTrue(
        Files.isExecutable(DIG),
        "skipped: dig is not installed; on Debian or Ubuntu: sudo apt-get install -y dnsutils");
  }

  /** dig's output, asking the node's DNS port. */
  private static String dig(NodeProcess node, String... arguments) {
    List<String> command = new ArrayList<>();
    command.add(DIG.toString());
    command.add("@127.0.0.1");
    command.add("-p");
    command.add(Integer.toString(node.dnsPort()));
    command.add("+time=5");
    command.add("+tries=1");
    command.addAll(Arrays.asList(arguments));
    try {
      Process dig = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(dig.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(dig.waitFor(30, TimeUnit.SECONDS), "dig did not end: " + command);
      assertEquals(0, dig.exitValue(), command + ": " + output);
      return output;
    } catch (IOException e) {
      throw new AssertionError("cannot run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  private static Set<String> lines(String output) {
    Set<String> lines = new TreeSet<>();
    for (String line : output.split("\n")) {
      if (!line.isBlank()) {
        lines.add(line.trim());
      }
    }
    return lines;
  }

  /** The ANSWER count of dig's header. */
  private static int answers(String output) {
    java.util.regex.Matcher count =
        java.util.regex.Pattern.compile("ANSWER: (\\d+),").matcher(output);
    assertTrue(count.find(), output);
    return Integer.parseInt(count.group(1));
  }

  private static Set<String> addresses(NodeProcess node, String name) throws Exception {
    Set<String> addresses = new TreeSet<>();
    for (Record record : query(node, name, Type.A, false).getSection(Section.ANSWER)) {
      addresses.add(record.rdataToString());
    }
    return addresses;
  }

  /** One query over UDP, or over TCP (2-byte length framing). */
  private static Message query(NodeProcess node, String name, int type, boolean tcp)
      throws IOException {
    Message query =
        Message.newQuery(Record.newRecord(Name.fromConstantString(name), type, DClass.IN));
    byte[] bytes = query.toWire();
    if (tcp) {
      try (java.net.Socket socket =
          new java.net.Socket(InetAddress.getLoopbackAddress(), node.dnsPort())) {
        socket.setSoTimeout(5_000);
        java.io.DataOutputStream out = new java.io.DataOutputStream(socket.getOutputStream());
        out.writeShort(bytes.length);
        out.write(bytes);
        out.flush();
        java.io.DataInputStream in = new java.io.DataInputStream(socket.getInputStream());
        byte[] answer = new byte[in.readUnsignedShort()];
        in.readFully(answer);
        return new Message(answer);
      }
    }
    try (DatagramSocket socket = new DatagramSocket()) {
      socket.setSoTimeout(5_000);
      socket.send(
          new DatagramPacket(
              bytes, bytes.length, InetAddress.getLoopbackAddress(), node.dnsPort()));
      byte[] buffer = new byte[1232];
      DatagramPacket answer = new DatagramPacket(buffer, buffer.length);
      socket.receive(answer);
      return new Message(Arrays.copyOf(buffer, answer.getLength()));
    }
  }

  private static String metrics(NodeProcess node) throws Exception {
    HttpResponse<String> response =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .build()
            .send(
                HttpRequest.newBuilder(URI.create("http://" + node.apiAddress() + "/metrics"))
                    .timeout(Duration.ofSeconds(10))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode());
    return response.body();
  }
}
