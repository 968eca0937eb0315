package io.roster.node.dns;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.roster.node.config.NodeConfig;
import io.roster.node.view.LocalView;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.datagram.DatagramSocket;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.parsetools.RecordParser;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Rcode;

/**
 * The node's DNS port: UDP datagrams and TCP connections (RFC 7766: each message after its 2-byte
 * length, several per connection, answered in order) on one port, answered by {@link DnsResponder}
 * from the node's view. Every query is counted by outcome ({@code roster.dns.queries}, tags {@code
 * rcode} and {@code transport}).
 *
 * <p>Threading: the UDP socket and the TCP server each run on one Vert.x event loop; a query is
 * answered on the loop it arrived on, from memory, without blocking.
 */
public final class DnsServer {

  private static final Logger log = LoggerFactory.getLogger(DnsServer.class);

  /**
   * A TCP connection silent this long is closed (RFC 7766 asks for seconds, not minutes: idle
   * connections are what a flood of them costs).
   */
  static final int TCP_IDLE_TIMEOUT_S = 10;

  /** TCP connections open at once; further ones are closed at once. */
  static final int MAX_TCP_CONNECTIONS = 512;

  private final DatagramSocket udp;
  private final NetServer tcp;
  private final DnsResponder responder;
  private final Outcomes outcomes;
  private final AtomicInteger tcpConnections = new AtomicInteger();

  private DnsServer(Vertx vertx, DnsResponder responder, Outcomes outcomes) {
    this.responder = responder;
    this.outcomes = outcomes;
    this.udp = vertx.createDatagramSocket(new DatagramSocketOptions());
    this.tcp =
        vertx.createNetServer(
            new NetServerOptions()
                .setIdleTimeout(TCP_IDLE_TIMEOUT_S)
                .setIdleTimeoutUnit(TimeUnit.SECONDS));
  }

  /** Opens the UDP and TCP port; fails when either cannot be bound. */
  public static Future<DnsServer> start(
      Vertx vertx, NodeConfig.Dns config, LocalView view, MeterRegistry meters) {
    ServiceIndex services = new ServiceIndex(view);
    DnsResponder responder = new DnsResponder(config, services::find, ThreadLocalRandom::current);
    DnsServer server = new DnsServer(vertx, responder, new Outcomes(meters));
    return server.listen(config.host(), config.port()).map(server);
  }

  private Future<Void> listen(String host, int port) {
    udp.handler(
        packet -> {
          DnsResponder.Reply reply = answer(packet.data().getBytes(), DnsResponder.Transport.UDP);
          if (!reply.dropped()) {
            udp.send(Buffer.buffer(reply.bytes()), packet.sender().port(), packet.sender().host())
                .onFailure(failure -> log.debug("DNS answer not sent: {}", failure.toString()));
          }
        });
    tcp.connectHandler(this::serve);
    return udp.listen(port, host).compose(bound -> tcp.listen(port, host)).mapEmpty();
  }

  private void serve(NetSocket socket) {
    if (tcpConnections.incrementAndGet() > MAX_TCP_CONNECTIONS) {
      tcpConnections.decrementAndGet();
      socket.close();
      return;
    }
    socket.closeHandler(closed -> tcpConnections.decrementAndGet());
    RecordParser parser = RecordParser.newFixed(2);
    parser.handler(
        new io.vertx.core.Handler<>() {
          private boolean readingLength = true;

          @Override
          public void handle(Buffer frame) {
            if (readingLength) {
              int length = frame.getUnsignedShort(0);
              if (length == 0) {
                socket.close();
                return;
              }
              readingLength = false;
              parser.fixedSizeMode(length);
              return;
            }
            readingLength = true;
            parser.fixedSizeMode(2);
            DnsResponder.Reply reply = answer(frame.getBytes(), DnsResponder.Transport.TCP);
            if (reply.dropped()) {
              return;
            }
            socket.write(
                Buffer.buffer(2 + reply.bytes().length)
                    .appendUnsignedShort(reply.bytes().length)
                    .appendBytes(reply.bytes()));
            if (socket.writeQueueFull()) {
              // A client that sends faster than it reads waits for its answers, not our memory.
              socket.pause();
              socket.drainHandler(drained -> socket.resume());
            }
          }
        });
    socket.handler(parser);
  }

  private DnsResponder.Reply answer(byte[] query, DnsResponder.Transport transport) {
    DnsResponder.Reply reply = responder.respond(query, transport);
    outcomes.count(reply, transport);
    return reply;
  }

  /** The port DNS listens on (UDP and TCP). */
  public int port() {
    return tcp.actualPort();
  }

  public Future<Void> close() {
    return udp.close().eventually(() -> tcp.close());
  }

  /** Counters of queries by outcome, made once per outcome and transport. */
  private static final class Outcomes {
    private final MeterRegistry meters;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    Outcomes(MeterRegistry meters) {
      this.meters = meters;
      // The usual outcomes show as 0 before the first query of each.
      for (DnsResponder.Transport transport : DnsResponder.Transport.values()) {
        for (int rcode : new int[] {Rcode.NOERROR, Rcode.NXDOMAIN, Rcode.FORMERR, Rcode.REFUSED}) {
          counter(rcodeTag(rcode), transport);
        }
      }
      truncated();
    }

    void count(DnsResponder.Reply reply, DnsResponder.Transport transport) {
      counter(reply.dropped() ? "dropped" : rcodeTag(reply.rcode()), transport).increment();
      if (reply.truncated()) {
        truncated().increment();
      }
    }

    private Counter counter(String rcode, DnsResponder.Transport transport) {
      String transportTag = transport.name().toLowerCase(Locale.ROOT);
      return counters.computeIfAbsent(
          rcode + "/" + transportTag,
          key ->
              Counter.builder("roster.dns.queries")
                  .description(
                      "DNS queries this node answered, by response code (dropped: not answered)"
                          + " and transport")
                  .tag("rcode", rcode)
                  .tag("transport", transportTag)
                  .register(meters));
    }

    private Counter truncated() {
      return counters.computeIfAbsent(
          "truncated",
          key ->
              Counter.builder("roster.dns.truncated")
                  .description("UDP answers cut to fit, with TC set: their clients retry over TCP")
                  .register(meters));
    }

    private static String rcodeTag(int rcode) {
      return Rcode.string(rcode).toLowerCase(Locale.ROOT);
    }
  }
}
