package io.roster.node.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.Any;
import com.google.rpc.RetryInfo;
import io.grpc.ClientInterceptor;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.roster.node.RegistryNode;
import io.roster.node.SingleNode;
import io.roster.node.access.AccessRules;
import io.roster.testing.Instances;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.KeepAliveRequest;
import io.roster.v1.KeepAliveResponse;
import io.roster.v1.LeaseState;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import io.roster.v1.WatchRequest;
import io.roster.v1.WatchResponse;
import io.roster.v1.WatchTarget;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What one caller and one connection may ask of a node, on one real node over real gRPC and HTTP: a
 * caller over a rate is refused with RESOURCE_EXHAUSTED saying which limit and when to retry
 * (RetryInfo; HTTP 429 with Retry-After) while others go on being served; a caller's budget spans
 * its connections; streams past the limit are refused until one closes, however it closes; a
 * KeepAlive stream over its renewal rate is told to send a heartbeat again, and stays open.
 *
 * <p>Each test calls with a token of its own: callers are told apart by principal, so the tests do
 * not spend each other's budgets.
 */
@Timeout(120)
class LimitsTest {

  // Small figures, so a test crosses them in a few calls: a connection holds 10 writes (2 a second
  // for a burst of 5 s), a caller 15 (3 a second) over all its connections.
  private static final String[] FLAGS = {
    "--limits.enabled=true",
    "--limits.burst-s=5",
    "--limits.connection.writes-per-s=2",
    "--limits.caller.writes-per-s=3",
    "--limits.connection.renewals-per-s=2",
    "--limits.caller.renewals-per-s=1000",
    "--limits.connection.reads-per-s=1000",
    "--limits.caller.reads-per-s=1000",
    "--limits.connection.streams=3",
    "--limits.caller.streams=5",
    "--limits.instances-per-namespace=5",
    "--limits.connection.refusals-per-s=20"
  };

  private static final List<String> TOKENS =
      List.of("writer", "spread", "other", "streams", "renewer", "http", "quota", "pusher");

  @TempDir static Path dir;

  private static RegistryNode node;
  private final List<ManagedChannel> channels = new ArrayList<>();

  @BeforeAll
  static void startNode() throws Exception {
    StringBuilder access = new StringBuilder();
    for (String name : TOKENS) {
      access.append("token ").append(AccessRules.sha256(token(name))).append(' ');
      access.append(name).append(" *:register,*:read\n");
    }
    Path file = dir.resolve("access");
    Files.writeString(file, access);
    List<String> flags = new ArrayList<>(List.of(FLAGS));
    flags.add("--security.access-file=" + file);
    node = SingleNode.start("limits-test", flags.toArray(String[]::new));
  }

  @AfterAll
  static void stopNode() {
    node.stop();
  }

  @AfterEach
  void closeChannels() {
    channels.forEach(ManagedChannel::shutdownNow);
  }

  @Test
  void aConnectionOverItsWriteRateIsToldWhenToRetryAndOtherCallersAreStillServed() {
    ManagedChannel channel = channel();
    StatusRuntimeException refused = registerUntilRefused(channel, "writer", 30);

    String message = refused.getStatus().getDescription();
    assertTrue(message.contains("limits.connection.writes-per-s"), message);
    assertTrue(message.contains("2 writes a second"), message);
    long retryMillis = retryDelayMillis(refused);
    assertTrue(retryMillis > 0 && retryMillis <= 500, "one write comes back in 500 ms: " + message);
    assertTrue(message.contains("retry after " + retryMillis + " ms"), message);

    // The same connection still reads (another budget), another caller still writes.
    discovery(channel, "writer").discover(DiscoverRequest.newBuilder().setService("w").build());
    register(channel(), "other", "limits-other");
    // And the refused caller writes again once the delay has passed.
    await("a write after the retry delay")
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(retryMillis))
        .ignoreExceptions()
        .until(() -> register(channel, "writer", "limits-writer") != null);
  }

  @Test
  void aConnectionThatGoesOnAfterManyRefusalsIsClosedAndTheClientToldWhy() throws Exception {
    ManagedChannel channel = channel();
    RegistryServiceGrpc.RegistryServiceStub pusher =
        RegistryServiceGrpc.newStub(channel).withInterceptors(bearer("pusher"));
    List<CompletableFuture<Status>> answers = new ArrayList<>();
    // 60 at once: 10 pass, the other 50 are refused, which is more than 20 within a second.
    for (int i = 0; i < 60; i++) {
      CompletableFuture<Status> answer = new CompletableFuture<>();
      answers.add(answer);
      pusher.register(
          Instances.register(
              Instances.of("limits-pusher").setNamespace("pusher").setInstanceId("p-1")),
          new StreamObserver<>() {
            @Override
            public void onNext(RegisterResponse value) {}

            @Override
            public void onError(Throwable t) {
              answer.complete(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
              answer.complete(Status.OK);
            }
          });
    }
    List<Status> statuses = new ArrayList<>();
    for (CompletableFuture<Status> answer : answers) {
      statuses.add(answer.get(20, TimeUnit.SECONDS));
    }
    assertTrue(
        statuses.stream().anyMatch(s -> s.getCode() == Status.Code.RESOURCE_EXHAUSTED),
        statuses.toString());
    await("the node counts the connection it closed")
        .atMost(Duration.ofSeconds(10))
        .until(() -> metric("roster_limits_connections_closed_total") >= 1);
  }

  @Test
  void aCallerIsLimitedOverAllItsConnections() {
    // Round robin over three connections, 10 writes each (2 more a second), for a caller of 15
    // (3 more a second): the caller's budget runs out first, however slow the calls are.
    List<ManagedChannel> three = List.of(channel(), channel(), channel());
    StatusRuntimeException refused = null;
    for (int i = 0; i < 60 && refused == null; i++) {
      try {
        register(three.get(i % 3), "spread", "limits-spread");
      } catch (StatusRuntimeException e) {
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.toString());
        refused = e;
      }
    }
    assertNotNull(refused, "60 writes at once all passed a caller's limit of 15");
    String message = refused.getStatus().getDescription();
    assertTrue(message.contains("caller 'spread'"), message);
    assertTrue(message.contains("limits.caller.writes-per-s"), message);
  }

  @Test
  void streamsPastTheLimitAreRefusedUntilOneCloses() {
    ManagedChannel first = channel();
    List<Context.CancellableContext> open = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      open.add(assertWatchOpens(first));
    }
    StatusRuntimeException perConnection = watchRefused(first);
    assertTrue(
        perConnection.getStatus().getDescription().contains("limits.connection.streams"),
        perConnection.getStatus().getDescription());

    ManagedChannel second = channel();
    assertWatchOpens(second);
    assertWatchOpens(second);
    StatusRuntimeException perCaller = watchRefused(second);
    assertTrue(
        perCaller.getStatus().getDescription().contains("limits.caller.streams"),
        perCaller.getStatus().getDescription());

    // A stream the client cancels gives its slot back...
    open.get(0).cancel(null);
    await("a slot freed by a cancel")
        .atMost(Duration.ofSeconds(10))
        .ignoreExceptions()
        .until(() -> assertWatchOpens(second) != null);
    // ... and so does a connection that goes away with its streams.
    first.shutdownNow();
    await("slots freed by a closed connection")
        .atMost(Duration.ofSeconds(10))
        .ignoreExceptions()
        .until(() -> assertWatchOpens(channel()) != null && assertWatchOpens(channel()) != null);
  }

  @Test
  void aKeepAliveStreamOverItsRenewalRateIsToldToSendAgainAndStaysOpen() throws Exception {
    ManagedChannel channel = channel();
    RegisterResponse lease = register(channel, "renewer", "limits-renewer");
    LinkedBlockingQueue<Object> answers = new LinkedBlockingQueue<>();
    StreamObserver<KeepAliveRequest> stream =
        RegistryServiceGrpc.newStub(channel)
            .withInterceptors(bearer("renewer"))
            .keepAlive(
                new StreamObserver<>() {
                  @Override
                  public void onNext(KeepAliveResponse answer) {
                    answers.add(answer);
                  }

                  @Override
                  public void onError(Throwable t) {
                    answers.add(t);
                  }

                  @Override
                  public void onCompleted() {
                    answers.add("completed");
                  }
                });
    KeepAliveRequest beat = KeepAliveRequest.newBuilder().setLeaseId(lease.getLeaseId()).build();
    KeepAliveResponse throttled = null;
    // The connection holds 10 renewals (the stream's opening took one).
    for (int i = 0; i < 30 && throttled == null; i++) {
      stream.onNext(beat);
      Object answer = answers.poll(10, TimeUnit.SECONDS);
      if (!(answer instanceof KeepAliveResponse response)) {
        fail("the stream ended: " + answer);
        return;
      }
      if (response.getState() == LeaseState.LEASE_STATE_THROTTLED) {
        throttled = response;
      } else {
        assertEquals(LeaseState.LEASE_STATE_ACTIVE, response.getState(), response.toString());
      }
    }
    assertNotNull(throttled, "30 heartbeats at once exceed 10 renewals");
    assertTrue(throttled.getMessage().contains("limits.connection.renewals-per-s"), "" + throttled);
    long retryMillis = throttled.getRetryAfter().getNanos() / 1_000_000L;
    assertTrue(retryMillis > 0 && retryMillis <= 500, throttled.toString());

    await("a heartbeat after the delay renews, on the same stream")
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(retryMillis))
        .until(
            () -> {
              stream.onNext(beat);
              Object answer = answers.poll(10, TimeUnit.SECONDS);
              return answer instanceof KeepAliveResponse response
                  && response.getState() == LeaseState.LEASE_STATE_ACTIVE;
            });
    stream.onCompleted();
  }

  @Test
  void overHttpARefusalIs429WithRetryAfter() throws Exception {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpResponse<String> refused = null;
    for (int i = 0; i < 30 && refused == null; i++) {
      HttpRequest request =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.apiPort() + "/v1/register"))
              .header("authorization", "Bearer " + token("http"))
              .POST(
                  HttpRequest.BodyPublishers.ofString(
                      "{\"instance\":{\"namespace\":\"http-"
                          + i
                          + "\",\"service\":\"limits-http\",\"instanceId\":\"h-"
                          + i
                          + "\",\"host\":\"127.0.0.1\",\"port\":8080}}"))
              .build();
      HttpResponse<String> answer = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (answer.statusCode() == 429) {
        refused = answer;
      } else {
        assertEquals(200, answer.statusCode(), answer.body());
      }
    }
    assertNotNull(refused, "30 registrations at once exceed 10 writes");
    assertTrue(refused.body().contains("\"RESOURCE_EXHAUSTED\""), refused.body());
    assertTrue(refused.body().contains("retry after"), refused.body());
    assertEquals("1", refused.headers().firstValue("retry-after").orElse(null));
  }

  @Test
  void aNamespaceFullToItsQuotaTakesNoNewInstanceButTheOnesItHas() {
    // Another channel for each step: the writes' rate is not what this test is about.
    List<RegisterResponse> held = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      held.add(registerIn("quota-full", "q-" + i));
    }
    StatusRuntimeException full =
        assertRefused(Status.Code.RESOURCE_EXHAUSTED, () -> registerIn("quota-full", "q-5"));
    String message = full.getStatus().getDescription();
    assertTrue(message.contains("namespace 'quota-full' holds 5 instances"), message);
    assertTrue(message.contains("limits.instances-per-namespace"), message);

    registerIn("quota-full", "q-0"); // one it holds: registered again, a new epoch
    registerIn("quota-other", "q-5"); // another namespace has room of its own

    RegistryServiceGrpc.newBlockingStub(channel())
        .withInterceptors(bearer("quota"))
        .deregister(
            io.roster.v1.DeregisterRequest.newBuilder()
                .setLeaseId(held.get(1).getLeaseId())
                .build());
    await("room once an instance left")
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(500))
        .ignoreExceptions()
        .until(() -> registerIn("quota-full", "q-5") != null);
  }

  private static double metric(String name) throws Exception {
    String text =
        // HTTP/1.1, as Prometheus scrapes: Vert.x 5.0.7 stalls answers of tens of KB on a
        // connection upgraded to h2c, which the JDK client asks for by default.
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .build()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + node.apiPort() + "/metrics"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    for (String line : text.split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return fail("no " + name + " in /metrics");
  }

  private RegisterResponse registerIn(String namespace, String instanceId) {
    return RegistryServiceGrpc.newBlockingStub(channel())
        .withInterceptors(bearer("quota"))
        .register(
            Instances.register(
                Instances.of("limits-quota").setNamespace(namespace).setInstanceId(instanceId)));
  }

  // ---- helpers ----

  private ManagedChannel channel() {
    ManagedChannel channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", node.apiPort()).usePlaintext().build();
    channels.add(channel);
    return channel;
  }

  private static String token(String name) {
    return name + "-token-0123456789abcdef";
  }

  private static ClientInterceptor bearer(String name) {
    Metadata headers = new Metadata();
    headers.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
        "Bearer " + token(name));
    return MetadataUtils.newAttachHeadersInterceptor(headers);
  }

  private static RegisterResponse register(ManagedChannel channel, String caller, String service) {
    return RegistryServiceGrpc.newBlockingStub(channel)
        .withInterceptors(bearer(caller))
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        // One instance, registered again and again, in a namespace of the caller's: the quota
        // of 5 instances is not what these calls test.
        .register(
            Instances.register(
                Instances.of(service).setNamespace(caller).setInstanceId(caller + "-1")));
  }

  private static DiscoveryServiceGrpc.DiscoveryServiceBlockingStub discovery(
      ManagedChannel channel, String caller) {
    return DiscoveryServiceGrpc.newBlockingStub(channel).withInterceptors(bearer(caller));
  }

  /** Registers at once until refused; fails if {@code attempts} all pass. */
  private static StatusRuntimeException registerUntilRefused(
      ManagedChannel channel, String caller, int attempts) {
    for (int i = 0; i < attempts; i++) {
      try {
        register(channel, caller, "limits-" + caller);
      } catch (StatusRuntimeException e) {
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.toString());
        return e;
      }
    }
    return fail(attempts + " writes at once all passed a limit of 10");
  }

  private static long retryDelayMillis(StatusRuntimeException refused) {
    com.google.rpc.Status details = StatusProto.fromThrowable(refused);
    assertNotNull(details, "the refusal carries status details");
    for (Any detail : details.getDetailsList()) {
      if (detail.is(RetryInfo.class)) {
        try {
          com.google.protobuf.Duration delay = detail.unpack(RetryInfo.class).getRetryDelay();
          return delay.getSeconds() * 1000 + delay.getNanos() / 1_000_000;
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
          return fail(e);
        }
      }
    }
    return fail("no RetryInfo in " + details);
  }

  /** Opens a Watch on {@code channel} and waits for its first message; the open stream. */
  private static Context.CancellableContext assertWatchOpens(ManagedChannel channel) {
    Context.CancellableContext context = Context.current().withCancellation();
    CompletableFuture<Object> first = watch(channel, context);
    Object answer = first.join();
    if (!(answer instanceof WatchResponse)) {
      context.cancel(null);
      throw new AssertionError("the Watch did not open: " + answer);
    }
    return context;
  }

  private static StatusRuntimeException watchRefused(ManagedChannel channel) {
    Context.CancellableContext context = Context.current().withCancellation();
    Object answer = watch(channel, context).join();
    context.cancel(null);
    if (answer instanceof StatusRuntimeException refused) {
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.getStatus().getCode(), "" + refused);
      return refused;
    }
    return fail("the Watch opened: " + answer);
  }

  private static CompletableFuture<Object> watch(
      ManagedChannel channel, Context.CancellableContext context) {
    CompletableFuture<Object> first = new CompletableFuture<>();
    context.run(
        () ->
            DiscoveryServiceGrpc.newStub(channel)
                .withInterceptors(bearer("streams"))
                .watch(
                    WatchRequest.newBuilder()
                        .addTargets(WatchTarget.newBuilder().setService("limits-streams"))
                        .build(),
                    new StreamObserver<>() {
                      @Override
                      public void onNext(WatchResponse value) {
                        first.complete(value);
                      }

                      @Override
                      public void onError(Throwable t) {
                        first.complete(Status.fromThrowable(t).asRuntimeException());
                      }

                      @Override
                      public void onCompleted() {
                        first.complete("completed");
                      }
                    }));
    return first.orTimeout(30, TimeUnit.SECONDS);
  }

  private static StatusRuntimeException assertRefused(Status.Code code, Runnable call) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      assertEquals(code, e.getStatus().getCode(), e.toString());
      return e;
    }
    return fail("not refused");
  }
}
