package io.roster.bench;

import io.grpc.Attributes;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;

/**
 * One client of the nodes as their limits tell it apart: by the principal of its token when access
 * control is on, else by its address. So that two callers of one bench process are two callers to
 * the nodes with access control off, each connects from a source address of its own on loopback
 * (Linux routes all of 127.0.0.0/8 to {@code lo}, so 127.0.0.2 needs no setup); with access control
 * on, each sends a token of its own ({@link BenchTransport}).
 *
 * <p>The source address is chosen per connection ({@link NettyChannelBuilder#localSocketPicker}),
 * for IPv4 targets only: an IPv4 source cannot reach an IPv6 target, so those connect from the
 * address the system picks and the caller is told apart by its token alone.
 *
 * <p>Immutable and thread-safe.
 */
final class Caller {
  private final String label;
  private final InetAddress sourceAddress;
  private final BenchTransport transport;

  private Caller(String label, InetAddress sourceAddress, BenchTransport transport) {
    this.label = label;
    this.sourceAddress = sourceAddress;
    this.transport = transport;
  }

  /**
   * A caller connecting from {@code sourceAddress} (an IPv4 literal on loopback; null: the address
   * the system picks) with {@code transport}'s credentials.
   */
  static Caller from(String label, String sourceAddress, BenchTransport transport) {
    if (sourceAddress == null) {
      return new Caller(label, null, transport);
    }
    try {
      return new Caller(label, InetAddress.getByName(sourceAddress), transport);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an address: " + sourceAddress, e);
    }
  }

  /**
   * A new connection to {@code target}; its callbacks run on the transport's threads (as {@link
   * Cluster}'s do).
   */
  ManagedChannel connect(TargetAddress target) {
    NettyChannelBuilder builder =
        NettyChannelBuilder.forTarget(target.authority(), transport.credentials()).directExecutor();
    if (sourceAddress != null) {
      builder.localSocketPicker(new FromSource(sourceAddress));
    }
    return builder.build();
  }

  /** "flooder (from 127.0.0.2, with a bearer token (...))": how the report names the caller. */
  String describe() {
    return label
        + " (from "
        + sourceAddress()
        + (transport.hasToken() ? ", with " + transport.tokenSource() : "")
        + ")";
  }

  /** The source address, or "the address the system picks". */
  String sourceAddress() {
    return sourceAddress == null ? "the address the system picks" : sourceAddress.getHostAddress();
  }

  /** Binds each new connection to the source address, when the target is IPv4. */
  private static final class FromSource extends NettyChannelBuilder.LocalSocketPicker {
    private final InetAddress source;

    FromSource(InetAddress source) {
      this.source = source;
    }

    @Override
    public SocketAddress createSocketAddress(SocketAddress remoteAddress, Attributes attrs) {
      if (remoteAddress instanceof InetSocketAddress remote
          && remote.getAddress() instanceof Inet4Address) {
        return new InetSocketAddress(source, 0);
      }
      return null; // the system's choice
    }
  }
}
