package io.roster.client.internal;

import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.CompositeChannelCredentials;
import io.grpc.ConnectivityState;
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
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The registry nodes a client may call, with one channel to each (opened on first use), and unary
 * calls that move on to the next node when one does not answer.
 *
 * <p>One configured address whose host is a DNS name resolving to several addresses stands for all
 * of them (resolved once, at creation; TLS still checks the name). Every channel carries the
 * client's bearer token, if it has one ({@link BearerToken}), on every call and stream.
 *
 * <p><b>Connect backoff.</b> grpc-java waits a backoff of its own before connecting again to an
 * address that refused (1 s, growing 1.6 times per failure up to 2 min) and meanwhile fails calls
 * at once without trying. After an outage of a minute, a node back on its feet would get no call
 * for up to half a minute more. The client's own backoff (see {@link Backoff}) decides when a node
 * is tried again, so every try resets grpc-java's: {@link #channelToTry} and {@link
 * #reconnectWait}.
 *
 * <p>Threading: thread-safe. Channels, the reachability marks and the waiters are guarded by this
 * object's monitor; {@link #preferred} is a volatile hint. Channel state callbacks run on gRPC
 * threads.
 */
final class RegistryNodes implements AutoCloseable {

  private static final System.Logger log = System.getLogger(RegistryNodes.class.getName());

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
  private final ChannelCredentials credentials;
  private volatile int preferred;

  /** Per node: when its channel was first seen failing, in a row; 0 while not failing. */
  private final long[] failingSinceNanos;

  /** Per node: whether a state callback is registered on its channel. */
  private final boolean[] watched;

  /** Reconnect waits in progress, each completed with the first node that becomes READY. */
  private final List<CompletableFuture<Integer>> readyWaiters = new ArrayList<>();

  private boolean closed;

  RegistryNodes(RosterClientOptions options) {
    this.options = options;
    this.nodes = expand(options.nodes());
    this.credentials = withToken(options, credentials(options));
    this.channels = new ManagedChannel[nodes.size()];
    this.failingSinceNanos = new long[nodes.size()];
    this.watched = new boolean[nodes.size()];
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

  /**
   * The channel to node {@code index} for a call or stream about to be made: if it is failing, it
   * connects again now rather than after grpc-java's backoff. A channel that failed stays failing
   * until a connection succeeds, so the call made right after this still fails at once; the
   * connection it started serves the next try (and {@link #reconnectWait} waits for it).
   */
  synchronized Channel channelToTry(int index) {
    ManagedChannel channel = channel(index);
    ConnectivityState state = channel.getState(false);
    if (state == ConnectivityState.TRANSIENT_FAILURE) {
      connectAgain(index, channel);
    } else if (state == ConnectivityState.READY) {
      connected(index);
    }
    return channel;
  }

  /**
   * The wait before a stream is opened again, on the node it completes with: {@code next} after
   * {@code delayNanos}, unless the channel of a node that was failing becomes READY first (then
   * that node, at once). Every failing channel connects again now, so a node that came back during
   * the outage is found within one wait of the client's backoff, whatever grpc-java's has grown to.
   * Channels that are READY already do not cut the wait short: a node that keeps ending streams is
   * not called in a loop.
   *
   * @param timer where the wait runs out (the client's control thread)
   */
  synchronized CompletableFuture<Integer> reconnectWait(
      int next, long delayNanos, ScheduledExecutorService timer) {
    CompletableFuture<Integer> wait = new CompletableFuture<>();
    boolean anyFailing = false;
    for (int i = 0; i < nodes.size(); i++) {
      if (channels[i] != null
          && channels[i].getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
        connectAgain(i, channels[i]);
        watch(i, ConnectivityState.TRANSIENT_FAILURE);
        anyFailing = true;
      }
    }
    if (anyFailing) {
      readyWaiters.add(wait);
    }
    timer.schedule(() -> wait.complete(next), delayNanos, TimeUnit.NANOSECONDS);
    wait.whenComplete(
        (index, failure) -> {
          synchronized (this) {
            readyWaiters.remove(wait);
          }
        });
    return wait;
  }

  /** Resets the connect backoff of a failing channel; logs once per failing spell of the node. */
  private void connectAgain(int index, ManagedChannel channel) {
    long now = System.nanoTime();
    if (failingSinceNanos[index] == 0) {
      failingSinceNanos[index] = now;
      log.log(
          System.Logger.Level.INFO,
          "node {0} is unreachable; connecting to it again at each of the client''s retries",
          nodes.get(index));
    } else {
      log.log(
          System.Logger.Level.DEBUG,
          "connecting again to node {0}, unreachable for {1} ms",
          nodes.get(index),
          TimeUnit.NANOSECONDS.toMillis(now - failingSinceNanos[index]));
    }
    channel.resetConnectBackoff();
  }

  private void connected(int index) {
    if (failingSinceNanos[index] != 0) {
      log.log(
          System.Logger.Level.INFO,
          "node {0} is reachable again after {1} ms",
          nodes.get(index),
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - failingSinceNanos[index]));
      failingSinceNanos[index] = 0;
    }
  }

  /**
   * One state callback per channel at a time, however many waits are in progress. {@code seen} is
   * the state last looked at: if the channel has left it meanwhile, the callback comes at once.
   */
  private void watch(int index, ConnectivityState seen) {
    if (watched[index]) {
      return;
    }
    watched[index] = true;
    channels[index].notifyWhenStateChanged(seen, () -> stateChanged(index));
  }

  private void stateChanged(int index) {
    List<CompletableFuture<Integer>> ready = List.of();
    synchronized (this) {
      watched[index] = false;
      if (closed) {
        return;
      }
      ConnectivityState state = channels[index].getState(false);
      if (state == ConnectivityState.READY) {
        connected(index);
        ready = List.copyOf(readyWaiters);
      } else if (!readyWaiters.isEmpty() && state != ConnectivityState.SHUTDOWN) {
        watch(index, state);
      }
    }
    for (CompletableFuture<Integer> wait : ready) {
      wait.complete(index); // off the monitor: completing runs the waiter's removal
    }
  }

  /** The channel to node {@code index}, created on first use. */
  synchronized ManagedChannel channel(int index) {
    if (channels[index] == null) {
      Node node = nodes.get(index);
      channels[index] =
          NettyChannelBuilder.forTarget(node.target(), credentials)
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
    attempt(doing, rpc, preferred, 0, new Failures(), result);
    return result;
  }

  /** What the nodes tried so far said. */
  private static final class Failures {
    final List<String> said = new ArrayList<>();
    boolean allOverLimits = true;
    Duration shortestRetry; // of the refusals that gave one

    void add(String what, Status status, Throwable failure) {
      said.add(what);
      if (status.getCode() != Status.Code.RESOURCE_EXHAUSTED) {
        allOverLimits = false;
        return;
      }
      Duration retry = Errors.retryAfter(failure);
      if (retry != null && (shortestRetry == null || retry.compareTo(shortestRetry) < 0)) {
        shortestRetry = retry;
      }
    }
  }

  private <T> void attempt(
      String doing,
      Rpc<T> rpc,
      int index,
      int attempt,
      Failures failures,
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
                  Errors.toRoster(
                      status.getCode(),
                      doing + " on " + nodes.get(index) + ": " + explain(status)));
              return;
            }
            failures.add(nodes.get(index) + ": " + explain(status), status, t);
            if (attempt + 1 >= nodes.size()) {
              String said = String.join("; ", failures.said);
              result.completeExceptionally(
                  failures.allOverLimits
                      // Every node refused for a limit: that, and when to retry, is the answer.
                      ? new RosterException(
                          RosterException.Code.RESOURCE_EXHAUSTED,
                          doing + ": every registry node refused it for a limit (" + said + ")",
                          failures.shortestRetry)
                      : new RosterException(
                          RosterException.Code.UNAVAILABLE,
                          doing + ": no registry node answered (" + said + ")"));
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
      rpc.start(channelToTry(index), options.callTimeout().toMillis(), observer);
    } catch (RuntimeException e) {
      result.completeExceptionally(Errors.toRoster(e, doing));
    }
  }

  /**
   * {@link Errors#describe} and, when the failure looks like a TLS mistake or a refused credential,
   * which option to change.
   */
  String explain(Status status) {
    String text = Errors.describe(status);
    boolean token = options.token().isPresent() || options.tokenFile().isPresent();
    return switch (status.getCode()) {
      case UNAUTHENTICATED ->
          text
              + "; "
              + (token
                  ? "check the client's token (token, tokenFile, ROSTER_TOKEN or"
                      + " ROSTER_TOKEN_FILE): the nodes' security.access-file must list its"
                      + " SHA-256"
                  : "the nodes check callers: set a token (token or tokenFile, or ROSTER_TOKEN"
                      + " or ROSTER_TOKEN_FILE), or a client certificate their access file names");
      case PERMISSION_DENIED ->
          text
              + "; the nodes' security.access-file must grant this client's principal that role"
              + " in that namespace (or give the client a token that has it)";
      default ->
          TransportProblem.of(
                  status, options.tlsEnabled(), options.tlsClientCertificateFile().isPresent())
              .map(problem -> text + "; " + hint(problem))
              .orElse(text);
    };
  }

  private static String hint(TransportProblem problem) {
    return switch (problem) {
      case PLAINTEXT_TO_TLS ->
          "the node closed the connection at once: if it speaks TLS, set tlsEnabled(true) and"
              + " tlsTrustCertificateFile (or ROSTER_CA_FILE)";
      case TLS_TO_PLAINTEXT -> "the node does not speak TLS: set tlsEnabled(false)";
      case UNTRUSTED_CERTIFICATE ->
          "the node's certificate is not signed by a trusted CA: set tlsTrustCertificateFile (or"
              + " ROSTER_CA_FILE) to the CA that signed it";
      case WRONG_HOST ->
          "the node's certificate does not name the host it was called at: give nodes by a name or"
              + " address their certificates list";
      case CLIENT_CERTIFICATE_MISSING ->
          "the node requires a client certificate: set tlsClientCertificate (or ROSTER_CERT_FILE"
              + " and ROSTER_KEY_FILE)";
      case CLIENT_CERTIFICATE_REFUSED ->
          "the node refused the client certificate: it must be valid now and signed by a CA of the"
              + " node's api.tls.client-ca-file";
    };
  }

  /**
   * The credentials of every channel, checked now: grpc-java reads the files here and parses them
   * when a channel builder is made, so a bad certificate or key fails {@code RosterClient.create}
   * with a message naming the option, not each call later.
   */
  private static ChannelCredentials credentials(RosterClientOptions options) {
    if (!options.tlsEnabled()) {
      return InsecureChannelCredentials.create();
    }
    TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder();
    Path trust = options.tlsTrustCertificateFile().orElse(null);
    try {
      if (trust != null) {
        tls.trustManager(trust.toFile());
      }
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(
          "tlsTrustCertificateFile " + trust + ": cannot read PEM certificates: " + e, e);
    }
    Path cert = options.tlsClientCertificateFile().orElse(null);
    Path key = options.tlsClientKeyFile().orElse(null);
    try {
      if (cert != null) {
        tls.keyManager(cert.toFile(), key.toFile());
      }
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(
          "tlsClientCertificate " + cert + ", " + key + ": cannot read them: " + e, e);
    }
    ChannelCredentials credentials = tls.build();
    try {
      NettyChannelBuilder.forTarget("localhost:1", credentials); // parses, connects nothing
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "TLS settings refused (tlsTrustCertificateFile "
              + trust
              + ", tlsClientCertificate "
              + cert
              + ", "
              + key
              + "; a private key must be unencrypted PEM PKCS#8, -----BEGIN PRIVATE KEY-----): "
              + e.getMessage(),
          e);
    }
    return credentials;
  }

  /**
   * {@code transport} with the client's bearer token on every call, if it has one; the token file
   * is read now, so an unusable one fails {@code RosterClient.create} naming the option.
   */
  private static ChannelCredentials withToken(
      RosterClientOptions options, ChannelCredentials transport) {
    BearerToken token =
        options
            .token()
            .map(value -> BearerToken.of(value, "token"))
            .or(() -> options.tokenFile().map(file -> BearerToken.fromFile(file, "tokenFile")))
            .orElse(null);
    if (token == null) {
      return transport;
    }
    if (!options.tlsEnabled()) {
      log.log(
          System.Logger.Level.WARNING,
          "a bearer token is set but TLS is off: the token crosses the network in the clear, where"
              + " anyone on the path can take it; set tlsEnabled(true) (or ROSTER_CA_FILE)");
    }
    return CompositeChannelCredentials.create(transport, token);
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
    closed = true;
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
