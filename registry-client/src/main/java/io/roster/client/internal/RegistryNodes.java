package io.roster.client.internal;

import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.stub.StreamObserver;
import io.roster.client.RosterClientOptions;
import io.roster.client.RosterException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The registry nodes a client may call, with one channel to each (opened on first use), and unary
 * calls that move on to the next node when one does not answer.
 *
 * <p>One configured address whose host is a DNS name resolving to several addresses stands for all
 * of them (resolved once, at creation; TLS still checks the name).
 *
 * <p>Threading: thread-safe. Channels are created under this object's monitor; {@link #preferred}
 * is a volatile hint.
 */
final class RegistryNodes implements AutoCloseable {

  /** A snapshot of a large service may exceed grpc-java's 4 MiB default. */
  private static final int MAX_MESSAGE_BYTES = 64 << 20;

  /** One node: where to reach it and the name TLS checks. */
  record Node(String target, String authority) {
    @Override
    public String toString() {
      return target.equals(authority) ? target : target + " (" + authority + ")";
    }
  }

  /** A unary call, started on {@code channel} with a deadline of {@code deadlineMillis}. */
  interface Rpc<T> {
    void start(Channel channel, long deadlineMillis, StreamObserver<T> observer);
  }

  private final List<Node> nodes;
  private final ManagedChannel[] channels;
  private final RosterClientOptions options;
  private volatile int preferred;

  RegistryNodes(RosterClientOptions options) {
    this.options = options;
    this.nodes = expand(options.nodes());
    this.channels = new ManagedChannel[nodes.size()];
  }

  int size() {
    return nodes.size();
  }

  Node node(int index) {
    return nodes.get(index);
  }

  /** The node that answered last: where streams start. */
  int preferred() {
    return preferred;
  }

  synchronized Channel channel(int index) {
    if (channels[index] == null) {
      Node node = nodes.get(index);
      channels[index] =
          NettyChannelBuilder.forTarget(node.target(), credentials())
              .overrideAuthority(node.authority())
              .withOption(
                  ChannelOption.CONNECT_TIMEOUT_MILLIS,
                  (int) Math.min(Integer.MAX_VALUE, options.connectTimeout().toMillis()))
              .maxInboundMessageSize(MAX_MESSAGE_BYTES)
              .userAgent("roster-java-client")
              .build();
    }
    return channels[index];
  }

  /**
   * Makes {@code rpc} on the preferred node, then on each other node in turn while they fail in a
   * way another node may not ({@link Errors#tryAnotherNode}); each attempt with the call timeout.
   *
   * @return the first answer, or a RosterException: the first final error, or UNAVAILABLE naming
   *     what every node said
   */
  <T> CompletableFuture<T> call(String doing, Rpc<T> rpc) {
    CompletableFuture<T> result = new CompletableFuture<>();
    attempt(doing, rpc, preferred, 0, new ArrayList<>(), result);
    return result;
  }

  private <T> void attempt(
      String doing,
      Rpc<T> rpc,
      int index,
      int attempt,
      List<String> failures,
      CompletableFuture<T> result) {
    StreamObserver<T> observer =
        new StreamObserver<>() {
          private T value;

          @Override
          public void onNext(T answer) {
            value = answer;
          }

          @Override
          public void onError(Throwable t) {
            Status status = Status.fromThrowable(t);
            if (!Errors.tryAnotherNode(status.getCode())) {
              result.completeExceptionally(
                  Errors.toRoster(status, doing + " on " + nodes.get(index)));
              return;
            }
            failures.add(nodes.get(index) + ": " + Errors.describe(status));
            if (attempt + 1 >= nodes.size()) {
              result.completeExceptionally(
                  new RosterException(
                      RosterException.Code.UNAVAILABLE,
                      doing + ": no registry node answered (" + String.join("; ", failures) + ")"));
            } else {
              attempt(doing, rpc, (index + 1) % nodes.size(), attempt + 1, failures, result);
            }
          }

          @Override
          public void onCompleted() {
            preferred = index;
            result.complete(value);
          }
        };
    try {
      rpc.start(channel(index), options.callTimeout().toMillis(), observer);
    } catch (RuntimeException e) {
      result.completeExceptionally(Errors.toRoster(e, doing));
    }
  }

  private ChannelCredentials credentials() {
    if (!options.tlsEnabled()) {
      return InsecureChannelCredentials.create();
    }
    if (options.tlsTrustCertificateFile().isEmpty()) {
      return TlsChannelCredentials.create();
    }
    try {
      return TlsChannelCredentials.newBuilder()
          .trustManager(options.tlsTrustCertificateFile().get().toFile())
          .build();
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot read tlsTrustCertificateFile " + options.tlsTrustCertificateFile().get(), e);
    }
  }

  /** One DNS name for several nodes becomes one target per address. */
  private static List<Node> expand(List<String> addresses) {
    List<Node> nodes = new ArrayList<>();
    if (addresses.size() == 1) {
      String address = addresses.get(0);
      int colon = address.lastIndexOf(':');
      String host = address.substring(0, colon);
      String port = address.substring(colon + 1);
      if (!host.startsWith("[") && !host.matches("[0-9.]+")) {
        try {
          InetAddress[] all = InetAddress.getAllByName(host);
          if (all.length > 1) {
            for (InetAddress ip : all) {
              String literal = ip.getHostAddress();
              String target = (literal.contains(":") ? "[" + literal + "]" : literal) + ":" + port;
              nodes.add(new Node(target, address));
            }
            return List.copyOf(nodes);
          }
        } catch (UnknownHostException e) {
          // Not resolvable now: keep the name; the channel resolves it at each connection.
        }
      }
    }
    for (String address : addresses) {
      nodes.add(new Node(address, address));
    }
    return List.copyOf(nodes);
  }

  @Override
  public synchronized void close() {
    for (ManagedChannel channel : channels) {
      if (channel != null) {
        channel.shutdownNow();
      }
    }
    for (ManagedChannel channel : channels) {
      if (channel != null) {
        try {
          channel.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }
}
