package io.roster.node.dns;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.roster.node.config.NodeConfig;
import io.roster.node.domain.InstanceKey;
import io.roster.node.domain.InstanceRecord;
import io.roster.node.domain.InstanceSpec;
import io.roster.node.domain.InstanceStatus;
import io.roster.node.domain.LeaseCondition;
import io.roster.node.domain.ServiceKey;
import io.roster.node.domain.ServiceView;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

class DnsResponderTest {

  private static final NodeConfig.Dns CONFIG =
      new NodeConfig.Dns(true, "127.0.0.1", 8600, 2, 8, "roster.", "");

  private final Map<ServiceKey, ServiceView> views = new HashMap<>();
  private final Random random = new Random(42);

  private DnsResponder responder(NodeConfig.Dns config) {
    return new DnsResponder(
        config,
        (namespace, service) -> {
          ServiceKey key = new ServiceKey(namespace, service);
          return views.getOrDefault(key, ServiceView.empty(key));
        },
        () -> random);
  }

  private final DnsResponder responder = responder(CONFIG);

  @Test
  void aServiceNameAnswersTheAddressesOfItsServingInstancesOnly() {
    service(
        "default",
        "orders",
        instance("a", "10.0.0.1", 100),
        instance("b", "10.0.0.2", 100),
        instance("draining", "10.0.0.3", 100, InstanceStatus.DRAINING, true),
        instance("out", "10.0.0.4", 100, InstanceStatus.OUT_OF_SERVICE, true),
        instance("expired", "10.0.0.5", 100, InstanceStatus.UP, false),
        instance("v6", "fd00::7", 100),
        instance("named", "orders-3.internal.example", 100));

    Message answer = ask("orders.service.roster.", Type.A);

    assertEquals(Rcode.NOERROR, answer.getRcode());
    assertTrue(answer.getHeader().getFlag(Flags.AA), "authoritative");
    assertEquals(List.of("10.0.0.1", "10.0.0.2"), sorted(addresses(answer)));
    answer.getSection(Section.ANSWER).forEach(record -> assertEquals(2, record.getTTL()));
    assertEquals(
        List.of("fd00:0:0:0:0:0:0:7"), addresses(ask("orders.service.roster.", Type.AAAA)));
  }

  @Test
  void theNamespaceIsNamedAfterTheServiceLabelInAnyCase() {
    service("prod", "orders", instance("a", "10.0.1.1", 100));
    service("default", "orders", instance("b", "10.0.0.1", 100));

    assertEquals(List.of("10.0.1.1"), addresses(ask("orders.service.prod.roster.", Type.A)));
    assertEquals(List.of("10.0.1.1"), addresses(ask("orders.Service.PROD.Roster.", Type.A)));
    assertEquals(List.of("10.0.0.1"), addresses(ask("orders.service.roster.", Type.A)));
  }

  @Test
  void atMostMaxRecordsAreAnswered() {
    List<InstanceRecord> many = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      many.add(instance("i" + i, "10.0.0." + (i + 1), 100));
    }
    service("default", "orders", many.toArray(InstanceRecord[]::new));

    assertEquals(8, addresses(ask("orders.service.roster.", Type.A)).size());
  }

  @Test
  void aZoneInTheNameFiltersAddressesAndOrdersSrvByPriority() {
    service(
        "default",
        "orders",
        zoned("a", "10.0.0.1", "eu-1a"),
        zoned("b", "10.0.0.2", "eu-1b"),
        zoned("c", "10.0.0.3", "eu-1a"));

    assertEquals(
        List.of("10.0.0.1", "10.0.0.3"),
        sorted(addresses(ask("eu-1a.orders.service.roster.", Type.A))));
    Message none = ask("us-2.orders.service.roster.", Type.A);
    assertEquals(Rcode.NOERROR, none.getRcode(), "the service exists: NODATA");
    assertTrue(none.getSection(Section.ANSWER).isEmpty());

    List<SRVRecord> srv = srv(ask("eu-1b.orders.service.roster.", Type.SRV));
    assertEquals(3, srv.size(), "SRV lists every zone");
    assertEquals("10.0.0.2", target(srv.get(0)));
    assertEquals(0, srv.get(0).getPriority());
    assertEquals(1, srv.get(1).getPriority());
    assertEquals(1, srv.get(2).getPriority());
  }

  @Test
  void theNodesZoneGivesPriorityZeroWhenTheNameNamesNone() {
    service("default", "orders", zoned("a", "10.0.0.1", "eu-1a"), zoned("b", "10.0.0.2", "eu-1b"));
    DnsResponder inZone =
        responder(new NodeConfig.Dns(true, "127.0.0.1", 8600, 2, 8, "roster.", "eu-1b"));

    List<SRVRecord> srv = srv(inZone.answer(query("orders.service.roster.", Type.SRV)));
    assertEquals("10.0.0.2", target(srv.get(0)));
    assertEquals(List.of(0, 1), srv.stream().map(SRVRecord::getPriority).toList());
    List<SRVRecord> noZone = srv(ask("orders.service.roster.", Type.SRV));
    assertEquals(List.of(0, 0), noZone.stream().map(SRVRecord::getPriority).toList());
  }

  @Test
  void srvRecordsCarryWeightPortAndATargetWithGlueOrTheHostName() throws Exception {
    service(
        "default",
        "orders",
        instance("a", "10.0.0.1", 250),
        instance("named", "orders-3.internal.example", 40));

    Message answer = ask("orders.service.roster.", Type.SRV);

    Map<String, SRVRecord> byTarget = new HashMap<>();
    srv(answer).forEach(record -> byTarget.put(record.getTarget().toString(), record));
    SRVRecord byAddress = byTarget.get("0a000001.addr.roster.");
    assertEquals(250, byAddress.getWeight());
    assertEquals(8080, byAddress.getPort());
    SRVRecord byName = byTarget.get("orders-3.internal.example.");
    assertEquals(40, byName.getWeight());
    List<Record> glue = answer.getSection(Section.ADDITIONAL);
    assertEquals(1, glue.size(), "glue for the address target only: " + glue);
    assertEquals(Name.fromString("0a000001.addr.roster."), glue.get(0).getName());
    assertEquals(
        InetAddress.getByName("10.0.0.1"), ((ARecord) glue.get(0)).getAddress(), "glue address");
    assertEquals(
        List.of("10.0.0.1"), addresses(ask("0a000001.addr.roster.", Type.A)), "address names");
  }

  @Test
  void aNamedPortIsAskedInRfc2782Form() {
    service(
        "default",
        "orders",
        withPorts("a", "10.0.0.1", Map.of("grpc", 9090, "admin", 9901)),
        withPorts("b", "10.0.0.2", Map.of("admin", 9902)));

    List<SRVRecord> grpc = srv(ask("_grpc._tcp.orders.service.roster.", Type.SRV));
    assertEquals(1, grpc.size());
    assertEquals(9090, grpc.get(0).getPort());
    assertEquals(2, srv(ask("_admin._tcp.orders.service.roster.", Type.SRV)).size());
    assertEquals(
        Rcode.NXDOMAIN, ask("_grpc._udp.orders.service.roster.", Type.SRV).getRcode(), "_tcp only");
  }

  @Test
  void anUnknownServiceIsNxdomainAndOneWithNoServingInstanceIsNodataBothWithTheSoa() {
    service("default", "idle", instance("x", "10.0.0.9", 100, InstanceStatus.UP, false));
    service("default", "orders", instance("a", "10.0.0.1", 100));

    for (String unknown :
        List.of("nothing.service.roster.", "orders.service.other.roster.", "foo.roster.")) {
      Message answer = ask(unknown, Type.A);
      assertEquals(Rcode.NXDOMAIN, answer.getRcode(), unknown);
      assertSoaInAuthority(answer);
    }
    for (Message nodata :
        List.of(ask("idle.service.roster.", Type.A), ask("orders.service.roster.", Type.TXT))) {
      assertEquals(Rcode.NOERROR, nodata.getRcode());
      assertTrue(nodata.getSection(Section.ANSWER).isEmpty());
      assertSoaInAuthority(nodata);
    }
    Message apex = ask("roster.", Type.SOA);
    assertEquals(1, apex.getSection(Section.ANSWER).size());
  }

  @Test
  void namesOutsideTheZoneAreRefusedAndOtherOpcodesAreNotImplemented() {
    assertEquals(Rcode.REFUSED, ask("example.com.", Type.A).getRcode());
    assertEquals(Rcode.REFUSED, ask("roster.", Type.AXFR).getRcode());
    Message chaos = Message.newQuery(Record.newRecord(name("roster."), Type.TXT, DClass.CH));
    assertEquals(Rcode.REFUSED, responder.answer(chaos).getRcode());
    Message update = query("orders.service.roster.", Type.A);
    update.getHeader().setOpcode(Opcode.UPDATE);
    assertEquals(Rcode.NOTIMP, responder.answer(update).getRcode());
  }

  @Test
  void garbageIsAnsweredWithFormerrAndWhatCannotBeAnsweredIsDropped() throws Exception {
    byte[] garbage = new byte[40];
    new Random(7).nextBytes(garbage);
    garbage[0] = 0x12;
    garbage[1] = 0x34;
    garbage[2] = 0x00; // a query, opcode QUERY
    garbage[4] = 0x00;
    garbage[5] = 0x05; // five questions that are not there
    DnsResponder.Reply reply = responder.respond(garbage, DnsResponder.Transport.UDP);
    Message parsed = new Message(reply.bytes());
    assertEquals(Rcode.FORMERR, parsed.getRcode());
    assertEquals(0x1234, parsed.getHeader().getID());

    assertTrue(responder.respond(new byte[5], DnsResponder.Transport.UDP).dropped(), "no header");
    byte[] anAnswer = query("orders.service.roster.", Type.A).toWire();
    anAnswer[2] |= (byte) 0x80;
    assertTrue(responder.respond(anAnswer, DnsResponder.Transport.UDP).dropped(), "QR set");
    for (int i = 0; i < 2_000; i++) {
      byte[] fuzz = new byte[12 + random.nextInt(100)];
      random.nextBytes(fuzz);
      fuzz[2] &= 0x7f;
      DnsResponder.Reply any = responder.respond(fuzz, DnsResponder.Transport.UDP);
      assertFalse(any.dropped());
      assertEquals(fuzz[0], any.bytes()[0], "answered with the query's id");
    }
  }

  @Test
  void anUnknownEdnsVersionIsBadvers() {
    Message query = query("orders.service.roster.", Type.A);
    query.addRecord(new OPTRecord(1232, 0, 1), Section.ADDITIONAL);
    assertEquals(Rcode.BADVERS, responder.answer(query).getRcode());
  }

  @Test
  void aBigAnswerIsTruncatedOverUdpToTheLikeliestRecordsAndWholeOverTcp() throws Exception {
    List<InstanceRecord> many = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      many.add(instance("i" + i, "10.0." + (i / 200) + "." + (i % 200 + 1), 100));
    }
    service("default", "big", many.toArray(InstanceRecord[]::new));
    DnsResponder wide =
        responder(new NodeConfig.Dns(true, "127.0.0.1", 8600, 2, 100, "roster.", ""));

    byte[] plain = query("big.service.roster.", Type.A).toWire();
    DnsResponder.Reply udp = wide.respond(plain, DnsResponder.Transport.UDP);
    Message cut = new Message(udp.bytes());
    assertTrue(udp.truncated());
    assertTrue(cut.getHeader().getFlag(Flags.TC));
    assertTrue(udp.bytes().length <= 512, "512 bytes without EDNS0: " + udp.bytes().length);
    int fitted = cut.getSection(Section.ANSWER).size();
    assertTrue(fitted > 20, "as many records as fit, got " + fitted);

    Message withEdns = query("big.service.roster.", Type.A);
    withEdns.addRecord(new OPTRecord(4096, 0, 0), Section.ADDITIONAL);
    DnsResponder.Reply edns = wide.respond(withEdns.toWire(), DnsResponder.Transport.UDP);
    assertTrue(edns.truncated());
    assertTrue(edns.bytes().length <= 1232, "EDNS0 capped at 1232: " + edns.bytes().length);
    assertTrue(edns.bytes().length > 1100, "EDNS0 room used: " + edns.bytes().length);

    DnsResponder.Reply tcp = wide.respond(plain, DnsResponder.Transport.TCP);
    assertFalse(tcp.truncated());
    assertEquals(100, new Message(tcp.bytes()).getSection(Section.ANSWER).size());
  }

  @Test
  void theFirstAddressFollowsTheWeights() {
    service(
        "default",
        "orders",
        instance("light", "10.0.0.1", 100),
        instance("middle", "10.0.0.2", 200),
        instance("heavy", "10.0.0.3", 700),
        instance("idle", "10.0.0.4", 0));
    int rounds = 20_000;
    Map<String, Integer> first = new HashMap<>();
    for (int i = 0; i < rounds; i++) {
      List<String> order = addresses(ask("orders.service.roster.", Type.A));
      first.merge(order.get(0), 1, Integer::sum);
      assertEquals("10.0.0.4", order.get(3), "weight 0 comes last");
    }
    // Chi-square with 2 degrees of freedom; 13.8 is p = 0.001. The seed is fixed: no flake.
    double[] expected = {0.1 * rounds, 0.2 * rounds, 0.7 * rounds};
    String[] hosts = {"10.0.0.1", "10.0.0.2", "10.0.0.3"};
    double chiSquare = 0;
    for (int i = 0; i < 3; i++) {
      double observed = first.getOrDefault(hosts[i], 0);
      chiSquare += (observed - expected[i]) * (observed - expected[i]) / expected[i];
    }
    assertTrue(chiSquare < 13.8, "first addresses " + first + ", chi-square " + chiSquare);
  }

  @Test
  void addressNamesRoundTrip() throws Exception {
    InetAddress v6 = InetAddress.getByName("fd00::1:2");
    Name name = QueryName.addressName(v6, name("roster."));
    assertEquals(
        new QueryName.Address(v6), QueryName.parse(name, name("roster.")), name.toString());
    assertNull(QueryName.parse(name("a.example."), name("roster.")));
    assertArrayEquals(
        InetAddress.getByName("127.0.0.1").getAddress(),
        ((QueryName.Address) QueryName.parse(name("7F000001.addr.roster."), name("roster.")))
            .address()
            .getAddress());
  }

  // --- helpers

  private void assertSoaInAuthority(Message answer) {
    List<Record> authority = answer.getSection(Section.AUTHORITY);
    assertEquals(1, authority.size(), answer::toString);
    SOARecord soa = (SOARecord) authority.get(0);
    assertEquals(2, soa.getMinimum(), "negative answers are cached for the TTL");
  }

  private Message ask(String name, int type) {
    return responder.answer(query(name, type));
  }

  private static Message query(String name, int type) {
    return Message.newQuery(Record.newRecord(name(name), type, DClass.IN));
  }

  private static Name name(String name) {
    return Name.fromConstantString(name);
  }

  private static List<String> addresses(Message answer) {
    List<String> addresses = new ArrayList<>();
    for (Record record : answer.getSection(Section.ANSWER)) {
      addresses.add(record.rdataToString());
    }
    return addresses;
  }

  private static List<SRVRecord> srv(Message answer) {
    return answer.getSection(Section.ANSWER).stream().map(SRVRecord.class::cast).toList();
  }

  /** The address a target's glue gives. */
  private static String target(SRVRecord srv) {
    String hex = srv.getTarget().getLabelString(0);
    StringBuilder address = new StringBuilder();
    for (int i = 0; i < 8; i += 2) {
      address.append(i == 0 ? "" : ".").append(Integer.parseInt(hex.substring(i, i + 2), 16));
    }
    return address.toString();
  }

  private static List<String> sorted(List<String> values) {
    return values.stream().sorted().toList();
  }

  private void service(String namespace, String service, InstanceRecord... instances) {
    ServiceKey key = new ServiceKey(namespace, service);
    List<InstanceRecord> inService = new ArrayList<>();
    for (InstanceRecord record : instances) {
      InstanceSpec spec = record.spec();
      inService.add(
          new InstanceRecord(
              new InstanceSpec(
                  new InstanceKey(namespace, service, spec.key().instanceId()),
                  spec.host(),
                  spec.port(),
                  spec.ports(),
                  spec.weight(),
                  spec.zone(),
                  spec.version(),
                  spec.metadata(),
                  spec.initialStatus()),
              record.status(),
              record.lease(),
              record.epoch(),
              record.revision(),
              record.registeredAtMillis()));
    }
    views.put(key, new ServiceView(key, 1, inService));
  }

  private static InstanceRecord instance(String id, String host, int weight) {
    return instance(id, host, weight, InstanceStatus.UP, true);
  }

  private static InstanceRecord zoned(String id, String host, String zone) {
    return record(id, host, 100, zone, Map.of(), InstanceStatus.UP, true);
  }

  private static InstanceRecord withPorts(String id, String host, Map<String, Integer> ports) {
    return record(id, host, 100, "", ports, InstanceStatus.UP, true);
  }

  private static InstanceRecord instance(
      String id, String host, int weight, InstanceStatus status, boolean healthy) {
    return record(id, host, weight, "", Map.of(), status, healthy);
  }

  private static InstanceRecord record(
      String id,
      String host,
      int weight,
      String zone,
      Map<String, Integer> ports,
      InstanceStatus status,
      boolean healthy) {
    InstanceSpec spec =
        new InstanceSpec(
            new InstanceKey("default", "x", id),
            host,
            8080,
            ports,
            weight,
            zone,
            "",
            Map.of(),
            status);
    LeaseCondition lease = healthy ? LeaseCondition.ok(0) : LeaseCondition.expired(0, 1);
    return new InstanceRecord(spec, status, lease, 1, 1, 0);
  }
}
