package io.roster.node.xds;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A grpc-java program that knows nothing of Roster: it calls {@code grpc.health.v1.Health/Check} on
 * an {@code xds:///} target, as any service would call another, and prints which backend (peer
 * address) answered each call, summed, as one line of JSON. The bootstrap comes from where
 * grpc-java looks for it ({@code GRPC_XDS_BOOTSTRAP_CONFIG} here). {@code XdsJavaClientIT} runs it
 * in a JVM of its own, so that its name resolution and its bootstrap are its own, as a user's
 * process would have them.
 *
 * <pre>
 * --target xds:///orders     the channel's target
 * --expect-peers N           first call until N distinct backends answered (not counted)
 * --calls N                  then N calls, one after the other, and print the sums
 * --duration-ms D            or call for D ms, one call every --interval-ms, and print the sums
 * </pre>
 *
 * <p>SIGTERM ends the calls early: the call in flight finishes and the sums so far are printed as
 * at the end (the exit status is then the JVM's for SIGTERM, 143), so a test can stop a client once
 * it has seen what it waited for instead of waiting out a fixed duration.
 */
public final class XdsHealthClient {

  private XdsHealthClient() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = new TreeMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    String target = options.getOrDefault("target", "xds:///orders");
    int expectPeers = Integer.parseInt(options.getOrDefault("expect-peers", "1"));
    int calls = Integer.parseInt(options.getOrDefault("calls", "0"));
    long durationMillis = Long.parseLong(options.getOrDefault("duration-ms", "0"));
    long intervalMillis = Long.parseLong(options.getOrDefault("interval-ms", "5"));

    // On SIGTERM the JVM runs this hook and ends when it returns: let the loop below stop and
    // print.
    AtomicBoolean stopping = new AtomicBoolean();
    CountDownLatch printed = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  stopping.set(true);
                  try {
                    printed.await(20, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                }));

    ManagedChannel channel =
        Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
    long started = System.nanoTime();
    Map<String, Integer> warmUp = new TreeMap<>();
    while (warmUp.size() < expectPeers) {
      if (stopping.get() || System.nanoTime() - started > TimeUnit.SECONDS.toNanos(60)) {
        String why = stopping.get() ? "stopped" : "in 60 s";
        System.out.println(json(warmUp, 0, "fewer than " + expectPeers + " peers " + why, 0));
        printed.countDown();
        System.exit(1);
      }
      try {
        warmUp.merge(call(channel), 1, Integer::sum);
      } catch (ExecutionException | TimeoutException e) {
        Thread.sleep(100); // not resolved yet
      }
    }
    long readyMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    Map<String, Integer> byPeer = new TreeMap<>();
    int failures = 0;
    String firstError = null;
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(durationMillis);
    for (int i = 0;
        !stopping.get() && (durationMillis > 0 ? System.nanoTime() < end : i < calls);
        i++) {
      try {
        byPeer.merge(call(channel), 1, Integer::sum);
      } catch (ExecutionException | TimeoutException e) {
        failures++;
        if (firstError == null) {
          firstError = String.valueOf(e.getCause() != null ? e.getCause() : e);
        }
      }
      if (durationMillis > 0 && !stopping.get()) {
        Thread.sleep(intervalMillis);
      }
    }
    System.out.println(json(byPeer, failures, firstError, readyMillis));
    System.out.flush();
    printed.countDown();
    channel.shutdownNow();
    if (!stopping.get()) {
      System.exit(0);
    }
  }

  /** One call; the peer address that answered it. */
  private static String call(ManagedChannel channel) throws Exception {
    ClientCall<HealthCheckRequest, HealthCheckResponse> call =
        channel.newCall(
            HealthGrpc.getCheckMethod(),
            CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS));
    CompletableFuture<String> peer = new CompletableFuture<>();
    call.start(
        new ClientCall.Listener<>() {
          private String answeredBy = "unknown";

          @Override
          public void onHeaders(Metadata headers) {
            SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
            answeredBy =
                remote instanceof InetSocketAddress inet
                    ? inet.getAddress().getHostAddress() + ":" + inet.getPort()
                    : String.valueOf(remote);
          }

          @Override
          public void onClose(Status status, Metadata trailers) {
            if (status.isOk()) {
              peer.complete(answeredBy);
            } else {
              peer.completeExceptionally(status.asRuntimeException());
            }
          }
        },
        new Metadata());
    call.sendMessage(HealthCheckRequest.getDefaultInstance());
    call.halfClose();
    call.request(1);
    return peer.get(10, TimeUnit.SECONDS);
  }

  private static String json(
      Map<String, Integer> byPeer, int failures, String firstError, long readyMillis) {
    StringBuilder out = new StringBuilder("{\"byPeer\":{");
    String separator = "";
    for (Map.Entry<String, Integer> entry : byPeer.entrySet()) {
      out.append(separator)
          .append('"')
          .append(entry.getKey())
          .append("\":")
          .append(entry.getValue());
      separator = ",";
    }
    out.append("},\"failures\":").append(failures).append(",\"readyMs\":").append(readyMillis);
    if (firstError != null) {
      out.append(",\"firstError\":\"")
          .append(firstError.replace("\\", "\\\\").replace("\"", "'"))
          .append('"');
    }
    return out.append('}').toString();
  }
}
