package io.roster.node.dns;

import com.google.common.net.InetAddresses;
import io.roster.node.config.NodeConfig;
import io.roster.node.domain.InstanceRecord;
import io.roster.node.domain.InstanceStatus;
import io.roster.node.domain.ServiceView;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.SRVRecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Answers one DNS query from the node's view: bytes in, bytes out, no I/O. The names and records
 * are described in docs/dns.md; in short, A and AAAA records of a service's serving instances in a
 * weighted random order, SRV records with zone priority, weight and port, NXDOMAIN for a name that
 * names nothing, and an empty answer with the zone's SOA (for negative caching) for a service with
 * no serving instance.
 *
 * <p>Work per query is bounded: one question, one service's instances walked once and sorted once
 * (O(n log n) for n instances), at most {@link NodeConfig.Dns#maxRecords} records out, and the
 * answer cut to the transport's size limit.
 *
 * <p>Threading: stateless but for the random source, which the caller supplies per thread; called
 * on event loops, never blocks.
 */
final class DnsResponder {

  /** What a UDP answer may take without EDNS0 (RFC 1035). */
  static final int PLAIN_UDP_BYTES = 512;

  /**
   * The largest UDP answer, whatever a client's EDNS0 offers: 1232 bytes fit in one IPv6 packet on
   * any link (the DNS Flag Day 2020 figure), so an answer is never fragmented; larger ones go over
   * TCP, which a truncated answer tells the client to use.
   */
  static final int MAX_UDP_BYTES = 1232;

  /** A TCP message's length is two bytes. */
  static final int MAX_TCP_BYTES = 65_535;

  /** SOA timers other than the negative-caching TTL: no secondary servers transfer this zone. */
  private static final long SOA_REFRESH_S = 3600;

  private static final long SOA_RETRY_S = 600;
  private static final long SOA_EXPIRE_S = 86_400;

  /** Finds a service's view by the labels of a name. */
  @FunctionalInterface
  interface Services {
    /** The service's view; an empty one when it is not known. */
    ServiceView find(String namespace, String service);
  }

  /** How a query came. */
  enum Transport {
    UDP,
    TCP
  }

  /**
   * An answer to send.
   *
   * @param bytes the message, or null when the query is dropped (too short to answer, or itself an
   *     answer)
   * @param rcode its response code, with the EDNS0 extended bits
   * @param truncated whether records were left out for size (TC set)
   */
  record Reply(byte[] bytes, int rcode, boolean truncated) {
    static final Reply DROPPED = new Reply(null, -1, false);

    boolean dropped() {
      return bytes == null;
    }
  }

  private static final Logger log = LoggerFactory.getLogger(DnsResponder.class);

  private final AtomicBoolean firstMalformed = new AtomicBoolean();
  private final AtomicBoolean firstFailure = new AtomicBoolean();
  private final NodeConfig.Dns config;
  private final Services services;
  private final Supplier<RandomGenerator> random;
  private final Name domain;
  private final SOARecord soa;
  private final NSRecord ns;

  DnsResponder(NodeConfig.Dns config, Services services, Supplier<RandomGenerator> random) {
    this.config = config;
    this.services = services;
    this.random = random;
    this.domain = Name.fromConstantString(config.domain());
    Name nameServer = Name.fromConstantString("ns." + config.domain());
    this.soa =
        new SOARecord(
            domain,
            DClass.IN,
            config.ttlSeconds(),
            nameServer,
            Name.fromConstantString("hostmaster." + config.domain()),
            1,
            SOA_REFRESH_S,
            SOA_RETRY_S,
            SOA_EXPIRE_S,
            // The negative-caching TTL (RFC 2308): an instance registered while a resolver
            // remembers "no such name" is seen after this long, like any other change.
            config.ttlSeconds());
    this.ns = new NSRecord(domain, DClass.IN, config.ttlSeconds(), nameServer);
  }

  /** The answer to the bytes of one query, cut to what the transport may carry. */
  Reply respond(byte[] query, Transport transport) {
    if (query.length < 12 || (query[2] & 0x80) != 0) {
      // No header to answer with, or an answer itself: answering answers makes loops.
      return Reply.DROPPED;
    }
    int id = ((query[0] & 0xff) << 8) | (query[1] & 0xff);
    int opcode = (query[2] >> 3) & 0x0f;
    Message parsed;
    try {
      parsed = new Message(query);
    } catch (IOException | RuntimeException e) {
      if (firstMalformed.compareAndSet(false, true)) {
        log.info(
            "answered a malformed DNS query with FORMERR ({}); later ones are counted in"
                + " roster_dns_queries_total{rcode=\"formerr\"}, not logged",
            e.toString());
      }
      return encode(error(id, opcode, Rcode.FORMERR), PLAIN_UDP_BYTES);
    }
    Message response;
    try {
      response = answer(parsed);
    } catch (RuntimeException e) {
      // A defect of ours, not the client's: it gets SERVFAIL, the next query its answer.
      if (firstFailure.compareAndSet(false, true)) {
        log.warn("failed to answer DNS query {}; later failures are logged at DEBUG", parsed, e);
      } else {
        log.debug("failed to answer DNS query {}", parsed, e);
      }
      response = error(id, opcode, Rcode.SERVFAIL);
    }
    return encode(response, sizeLimit(parsed, transport));
  }

  /** The answer to a parsed query, whole (no size limit). */
  Message answer(Message query) {
    int opcode = query.getHeader().getOpcode();
    if (opcode != Opcode.QUERY) {
      return error(query.getHeader().getID(), opcode, Rcode.NOTIMP);
    }
    List<Record> questions = query.getSection(Section.QUESTION);
    if (questions.size() != 1) {
      return error(query.getHeader().getID(), opcode, Rcode.FORMERR);
    }
    Record question = questions.get(0);
    Message response = new Message(query.getHeader().getID());
    response.getHeader().setFlag(Flags.QR);
    response.getHeader().setFlag(Flags.AA);
    if (query.getHeader().getFlag(Flags.RD)) {
      response.getHeader().setFlag(Flags.RD);
    }
    response.addRecord(question, Section.QUESTION);
    OPTRecord clientOpt = query.getOPT();
    if (clientOpt != null) {
      if (clientOpt.getVersion() != 0) {
        // RFC 6891: an unknown EDNS version is answered BADVERS (16: 1 in the extended bits).
        response.addRecord(
            new OPTRecord(MAX_UDP_BYTES, Rcode.BADVERS >>> 4, 0), Section.ADDITIONAL);
        return response;
      }
      response.addRecord(new OPTRecord(MAX_UDP_BYTES, 0, 0), Section.ADDITIONAL);
    }
    if (question.getDClass() != DClass.IN) {
      response.getHeader().setRcode(Rcode.REFUSED);
      return response;
    }
    int type = question.getType();
    if (type == Type.AXFR || type == Type.IXFR) {
      // No zone transfers: the zone is made from the registry on every query.
      response.getHeader().setRcode(Rcode.REFUSED);
      return response;
    }
    QueryName name = QueryName.parse(question.getName(), domain);
    if (name == null) {
      // Not our zone, and this is no recursive resolver.
      response.getHeader().setRcode(Rcode.REFUSED);
      return response;
    }
    List<Record> answers = new ArrayList<>();
    List<Record> glue = new ArrayList<>();
    if (name instanceof QueryName.Apex) {
      if (type == Type.SOA || type == Type.ANY) {
        answers.add(soa);
      }
      if (type == Type.NS || type == Type.ANY) {
        answers.add(ns);
      }
    } else if (name instanceof QueryName.Address address) {
      addressRecord(question.getName(), address.address(), type, answers);
    } else if (name instanceof QueryName.Service service) {
      ServiceView view = services.find(service.namespace(), service.service());
      if (view.isEmpty()) {
        return nameError(response);
      }
      serviceRecords(question.getName(), type, service, view, answers, glue);
    } else {
      return nameError(response);
    }
    if (answers.isEmpty()) {
      // NODATA: the name exists, with no record of this type (RFC 2308 section 2.2).
      response.addRecord(soa, Section.AUTHORITY);
      return response;
    }
    answers.forEach(record -> response.addRecord(record, Section.ANSWER));
    glue.forEach(record -> response.addRecord(record, Section.ADDITIONAL));
    return response;
  }

  private Message nameError(Message response) {
    response.getHeader().setRcode(Rcode.NXDOMAIN);
    response.addRecord(soa, Section.AUTHORITY);
    return response;
  }

  private void serviceRecords(
      Name owner,
      int type,
      QueryName.Service query,
      ServiceView view,
      List<Record> answers,
      List<Record> glue) {
    boolean addresses = type == Type.A || type == Type.AAAA || type == Type.ANY;
    if (!addresses && type != Type.SRV) {
      return;
    }
    List<InstanceRecord> eligible = new ArrayList<>();
    for (InstanceRecord instance : view.instances()) {
      if (serving(instance)
          && (query.portName().isEmpty() || instance.spec().ports().containsKey(query.portName()))
          // A and AAAA cannot say "prefer": a zone in the name filters them. SRV can: every zone
          // is listed, the named one first by priority.
          && (!addresses
              || query.zone().isEmpty()
              || query.zone().equalsIgnoreCase(instance.spec().zone()))) {
        eligible.add(instance);
      }
    }
    List<InstanceRecord> ordered =
        WeightedShuffle.order(eligible, instance -> instance.spec().weight(), random.get());
    if (addresses) {
      addressRecords(owner, type, ordered, answers);
    } else {
      srvRecords(owner, query, ordered, answers, glue);
    }
  }

  /** Healthy and taking new work: DRAINING and OUT_OF_SERVICE instances are left out. */
  private static boolean serving(InstanceRecord instance) {
    return instance.healthy() && instance.status() == InstanceStatus.UP;
  }

  private void addressRecords(
      Name owner, int type, List<InstanceRecord> ordered, List<Record> answers) {
    // A and AAAA are two record sets; each stays together (truncation cuts whole sets first).
    List<Record> v4 = new ArrayList<>();
    List<Record> v6 = new ArrayList<>();
    for (InstanceRecord instance : ordered) {
      if (v4.size() + v6.size() == config.maxRecords()) {
        break;
      }
      // A host name has no address here: it is left out of A and AAAA answers (a CNAME may not
      // stand beside other records) and is the target of its SRV record.
      InetAddress address = literal(instance.spec().host());
      if (address instanceof Inet4Address && (type == Type.A || type == Type.ANY)) {
        v4.add(new ARecord(owner, DClass.IN, config.ttlSeconds(), address));
      } else if (address instanceof Inet6Address && (type == Type.AAAA || type == Type.ANY)) {
        v6.add(new AAAARecord(owner, DClass.IN, config.ttlSeconds(), address));
      }
    }
    answers.addAll(v4);
    answers.addAll(v6);
  }

  private void srvRecords(
      Name owner,
      QueryName.Service query,
      List<InstanceRecord> ordered,
      List<Record> answers,
      List<Record> glue) {
    String preferredZone = query.zone().isEmpty() ? config.zone() : query.zone();
    List<InstanceRecord> byPriority = new ArrayList<>(ordered);
    // Stable: the weighted order holds within each priority.
    byPriority.sort(
        (a, b) -> Integer.compare(priority(a, preferredZone), priority(b, preferredZone)));
    for (InstanceRecord instance : byPriority) {
      if (answers.size() == config.maxRecords()) {
        break;
      }
      int port =
          query.portName().isEmpty()
              ? instance.spec().port()
              : instance.spec().ports().get(query.portName());
      String host = instance.spec().host();
      InetAddress address = literal(host);
      Name target;
      if (address != null) {
        target = QueryName.addressName(address, domain);
        glue.add(
            address instanceof Inet4Address
                ? new ARecord(target, DClass.IN, config.ttlSeconds(), address)
                : new AAAARecord(target, DClass.IN, config.ttlSeconds(), address));
      } else {
        target = hostName(host);
        if (target == null) {
          continue;
        }
      }
      answers.add(
          new SRVRecord(
              owner,
              DClass.IN,
              config.ttlSeconds(),
              priority(instance, preferredZone),
              // Instance weights (0-10000) fit SRV's 16 bits as they are: the shares are the same.
              instance.spec().weight(),
              port,
              target));
    }
  }

  private static int priority(InstanceRecord instance, String preferredZone) {
    return preferredZone.isEmpty() || preferredZone.equalsIgnoreCase(instance.spec().zone())
        ? 0
        : 1;
  }

  private void addressRecord(Name owner, InetAddress address, int type, List<Record> answers) {
    if (address instanceof Inet4Address && (type == Type.A || type == Type.ANY)) {
      answers.add(new ARecord(owner, DClass.IN, config.ttlSeconds(), address));
    } else if (address instanceof Inet6Address && (type == Type.AAAA || type == Type.ANY)) {
      answers.add(new AAAARecord(owner, DClass.IN, config.ttlSeconds(), address));
    }
  }

  /** The IP address a host is written as, or null for a host name (never looked up). */
  private static InetAddress literal(String host) {
    return InetAddresses.isInetAddress(host) ? InetAddresses.forString(host) : null;
  }

  /** A registered host name as an absolute DNS name, or null when DNS cannot carry it. */
  private static Name hostName(String host) {
    try {
      return Name.fromString(host.endsWith(".") ? host : host + ".");
    } catch (TextParseException e) {
      return null;
    }
  }

  private static Message error(int id, int opcode, int rcode) {
    Message response = new Message(id);
    response.getHeader().setFlag(Flags.QR);
    response.getHeader().setOpcode(opcode);
    response.getHeader().setRcode(rcode);
    return response;
  }

  /**
   * UDP: 512 bytes, or what the client's EDNS0 offers up to {@link #MAX_UDP_BYTES}; TCP: a whole
   * message.
   */
  static int sizeLimit(Message query, Transport transport) {
    if (transport == Transport.TCP) {
      return MAX_TCP_BYTES;
    }
    OPTRecord opt = query.getOPT();
    return opt == null
        ? PLAIN_UDP_BYTES
        : Math.max(PLAIN_UDP_BYTES, Math.min(opt.getPayloadSize(), MAX_UDP_BYTES));
  }

  /**
   * The message in at most {@code limit} bytes. When it does not fit, the glue goes first (a
   * resolver can ask for the targets' addresses), then answers from the end, the least likely picks
   * of the weighted order, and TC tells the client the rest is over TCP. Clients that never retry
   * over TCP (some stub resolvers) still get the likeliest instances, not an empty answer.
   */
  static Reply encode(Message response, int limit) {
    byte[] wire = response.toWire(limit);
    if (!truncated(wire)) {
      return new Reply(wire, response.getRcode(), false);
    }
    OPTRecord opt = response.getOPT();
    response.removeAllRecords(Section.ADDITIONAL);
    if (opt != null) {
      response.addRecord(opt, Section.ADDITIONAL);
    }
    wire = response.toWire(limit);
    if (!truncated(wire)) {
      return new Reply(wire, response.getRcode(), false);
    }
    List<Record> answers = new ArrayList<>(response.getSection(Section.ANSWER));
    response.getHeader().setFlag(Flags.TC);
    // The largest count of leading answers that fits; answers are similar in size, so a binary
    // search keeps this to a few renderings of at most max-records records.
    int fits = 0;
    int tooMany = answers.size();
    while (tooMany - fits > 1) {
      int middle = (fits + tooMany) >>> 1;
      keepAnswers(response, answers, middle);
      if (fitsIn(response, limit)) {
        fits = middle;
      } else {
        tooMany = middle;
      }
    }
    keepAnswers(response, answers, fits);
    return new Reply(response.toWire(limit), response.getRcode(), true);
  }

  private static void keepAnswers(Message response, List<Record> answers, int count) {
    response.removeAllRecords(Section.ANSWER);
    for (int i = 0; i < count; i++) {
      response.addRecord(answers.get(i), Section.ANSWER);
    }
  }

  private static boolean fitsIn(Message response, int limit) {
    response.getHeader().unsetFlag(Flags.TC);
    boolean fits = !truncated(response.toWire(limit));
    response.getHeader().setFlag(Flags.TC);
    return fits;
  }

  private static boolean truncated(byte[] wire) {
    return wire.length >= 4 && (wire[2] & 0x02) != 0;
  }
}
