package io.roster.cli;

import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.AbstractStub;
import io.roster.client.internal.TransportProblem;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The registry nodes one command may call, in the order the user gave them, with one channel to
 * each (opened on first use), plaintext or TLS as the options say, carrying the bearer token when
 * one is given.
 *
 * <p>A node that answers UNAVAILABLE (down, unreachable, or shutting down, as the API documents) is
 * skipped for the next one. Every other status is the cluster's answer and is returned as is: in
 * particular DEADLINE_EXCEEDED is not retried elsewhere, since the caller's time is spent.
 *
 * <p>Threading: used by the command's thread only.
 */
final class Targets implements AutoCloseable {
  private static final long INITIAL_BACKOFF_MILLIS = 250;
  private static final long MAX_BACKOFF_MILLIS = 2_000;

  /**
   * How channels connect.
   *
   * @param credentials plaintext or TLS, with the CA and client certificate given, and the token
   * @param tls whether {@code credentials} speak TLS
   * @param clientCertificate whether they present a client certificate
   * @param token whether they send a bearer token
   */
  record Transport(
      ChannelCredentials credentials, boolean tls, boolean clientCertificate, boolean token) {}

  private final List<String> addresses;
  private final long timeoutMillis;
  private final Transport transport;
  private final ManagedChannel[] channels;
  private final boolean[] answered; // whether each target answered once: its transport works
  private int current; // the target that answered last; the first one until then

  Targets(List<String> addresses, long timeoutMillis, Transport transport) {
    if (addresses.isEmpty()) {
      throw new IllegalArgumentException("no target");
    }
    this.addresses = List.copyOf(addresses);
    this.timeoutMillis = timeoutMillis;
    this.transport = transport;
    this.channels = new ManagedChannel[addresses.size()];
    this.answered = new boolean[addresses.size()];
  }

  int size() {
    return addresses.size();
  }

  /** The target streams go to: the one that answered last. */
  String address() {
    return addresses.get(current);
  }

  Channel channel() {
    if (channels[current] == null) {
      channels[current] =
          Grpc.newChannelBuilder(addresses.get(current), transport.credentials()).build();
    }
    return channels[current];
  }

  /**
   * Notes that the current target answered on a stream: a failure of its connection from now on is
   * the node going away, not a TLS mistake to explain.
   */
  void answered() {
    answered[current] = true;
  }

  /** Moves to the next target, after the current one failed a stream. */
  void advance() {
    current = (current + 1) % addresses.size();
  }

  /**
   * Makes a unary call with the {@code --timeout-ms} deadline, on the target that answered last and
   * then on each other target in turn while they answer UNAVAILABLE.
   *
   * @param newStub e.g. {@code RegistryServiceGrpc::newBlockingStub}
   * @param rpc the call, e.g. {@code stub -> stub.register(request)}
   * @throws StatusRuntimeException the first status other than UNAVAILABLE, or UNAVAILABLE naming
   *     every target when none answered
   */
  <S extends AbstractStub<S>, T> T call(Function<Channel, S> newStub, Function<S, T> rpc) {
    List<String> failures = new ArrayList<>();
    for (int attempt = 0; attempt < addresses.size(); attempt++) {
      try {
        T answer =
            rpc.apply(
                newStub.apply(channel()).withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS));
        answered();
        return answer;
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.UNAVAILABLE) {
          throw explained(e.getStatus()).asRuntimeException();
        }
        failures.add(address() + " (" + explain(e.getStatus()) + ")");
        advance();
      }
    }
    throw noTargetAnswered(failures);
  }

  /** UNAVAILABLE, listing what each target said. */
  static StatusRuntimeException noTargetAnswered(List<String> failures) {
    return Status.UNAVAILABLE
        .withDescription("no target answered: " + String.join(", ", failures))
        .asRuntimeException();
  }

  /** The description of a status, or of its cause ("Connection refused") when it has none. */
  static String describe(Status status) {
    if (status.getDescription() != null && status.getCause() != null) {
      return status.getDescription() + ": " + status.getCause().getMessage();
    }
    if (status.getDescription() != null) {
      return status.getDescription();
    }
    if (status.getCause() != null) {
      return String.valueOf(status.getCause().getMessage());
    }
    return "(no description)";
  }

  /**
   * {@link #describe} and, when the failure looks like a TLS mistake (on the current target, if it
   * never answered) or a refused credential, what to change on this command line.
   */
  String explain(Status status) {
    String text = describe(status);
    return switch (status.getCode()) {
      case UNAUTHENTICATED ->
          text
              + "; "
              + (transport.token()
                  ? "check --token or --token-file ($ROSTER_TOKEN, $ROSTER_TOKEN_FILE): the nodes'"
                      + " security.access-file must list the token's SHA-256"
                  : "the nodes check callers: give --token-file or --token ($ROSTER_TOKEN_FILE,"
                      + " $ROSTER_TOKEN), or a client certificate their access file names"
                      + " (--cert-file, --key-file)");
      case PERMISSION_DENIED ->
          text
              + (text.contains("lease_id")
                  ? "; give --lease-id with the leaseId register printed, or the token of an"
                      + " admin of the namespace"
                  : "; the nodes' security.access-file must grant the caller that role in that"
                      + " namespace (or give a token that has it)");
      default ->
          answered[current]
              ? text
              : TransportProblem.of(status, transport.tls(), transport.clientCertificate())
                  .map(problem -> text + "; " + hint(problem))
                  .orElse(text);
    };
  }

  /**
   * {@code status} with what to change added when it refused the caller's credentials
   * (UNAUTHENTICATED, PERMISSION_DENIED), as the error to print; any other status as it is.
   */
  Status explained(Status status) {
    Status.Code code = status.getCode();
    if (code != Status.Code.UNAUTHENTICATED && code != Status.Code.PERMISSION_DENIED) {
      return status;
    }
    return Status.fromCode(code).withDescription(explain(status));
  }

  private static String hint(TransportProblem problem) {
    return switch (problem) {
      case PLAINTEXT_TO_TLS ->
          "the node closed the connection at once: if it speaks TLS, give --tls and --ca-file"
              + " (and --cert-file and --key-file if it requires client certificates)";
      case TLS_TO_PLAINTEXT ->
          "the node does not speak TLS: leave out --tls, --ca-file, --cert-file and --key-file"
              + " (and $ROSTER_TLS, $ROSTER_CA_FILE, $ROSTER_CERT_FILE, $ROSTER_KEY_FILE)";
      case UNTRUSTED_CERTIFICATE ->
          "the node's certificate is not signed by a CA this command trusts: give --ca-file with"
              + " the CA that signed it";
      case WRONG_HOST ->
          "the node's certificate does not name the host of --target: call the node by a name or"
              + " address its certificate lists";
      case CLIENT_CERTIFICATE_MISSING ->
          "the node requires a client certificate: give --cert-file and --key-file";
      case CLIENT_CERTIFICATE_REFUSED ->
          "the node refused the client certificate: it must be valid now and signed by a CA of the"
              + " node's api.tls.client-ca-file";
    };
  }

  /** How long to wait before reconnecting after {@code failures} streams failed in a row (>= 1). */
  static long backoffMillis(int failures) {
    return Math.min(MAX_BACKOFF_MILLIS, INITIAL_BACKOFF_MILLIS << Math.min(failures - 1, 4));
  }

  @Override
  public void close() {
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

  /** Checks one {@code --target} entry: {@code host:port} or {@code [ipv6]:port}. */
  static final class AddressConverter implements ITypeConverter<String> {
    @Override
    public String convert(String value) {
      String host;
      String port;
      if (value.startsWith("[")) {
        int end = value.indexOf("]:");
        host = end < 0 ? "" : value.substring(1, end);
        port = end < 0 ? "" : value.substring(end + 2);
      } else {
        int colon = value.lastIndexOf(':');
        host = colon < 0 ? "" : value.substring(0, colon);
        port = colon < 0 ? "" : value.substring(colon + 1);
        if (host.contains(":")) {
          host = ""; // an IPv6 literal needs brackets
        }
      }
      if (host.isBlank() || !port.matches("[0-9]{1,5}") || !validPort(Integer.parseInt(port))) {
        throw new TypeConversionException(
            "'" + value + "' is not host:port (an IPv6 literal as [::1]:7101)");
      }
      return value;
    }

    private static boolean validPort(int port) {
      return port >= 1 && port <= 65535;
    }
  }
}
