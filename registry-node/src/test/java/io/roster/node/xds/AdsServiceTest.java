package io.roster.node.xds;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.listener.v3.Listener;
import io.grpc.xds.shaded.io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.grpc.xds.shaded.io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.grpc.xds.shaded.io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.xds.shaded.io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.roster.node.RegistryNode;
import io.roster.node.SingleNode;
import io.roster.testing.Instances;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The ADS service of a real node in this JVM, through grpc-java's stub of the Envoy service: what a
 * stream is answered, that a registration reaches it as a push, that a bad request ends only its
 * own stream, and that a stream is released when its client goes.
 */
@Timeout(120)
class AdsServiceTest {

  private static final Duration ANSWER = Duration.ofSeconds(10);
  private static final String ORDERS = "orders.service.default.roster";

  private static RegistryNode node;
  private static ManagedChannel channel;
  private static RegistryServiceGrpc.RegistryServiceBlockingStub registry;

  @BeforeAll
  static void startNode() {
    node = SingleNode.start("ads-test");
    channel = channel(node.apiPort());
    registry = RegistryServiceGrpc.newBlockingStub(channel);
    register("orders", "10.0.0.1", 100);
  }

  @AfterAll
  static void stopNode() {
    channel.shutdownNow();
    node.stop();
  }

  @Test
  void aStateOfTheWorldStreamIsAnsweredAckedAndPushedTheNextRegistration() throws Exception {
    try (RawAds<DiscoveryRequest, DiscoveryResponse> ads = RawAds.sotw(channel)) {
      ads.send(
          RawAds.request(ResourceType.LISTENER, "", "", List.of("orders")).toBuilder()
              .setNode(RawAds.node("test-client", "z1"))
              .build());
      DiscoveryResponse listeners = ads.next(ANSWER);
      assertEquals("orders", listeners.getResources(0).unpack(Listener.class).getName());
      ads.send(
          RawAds.request(
              ResourceType.LISTENER,
              listeners.getVersionInfo(),
              listeners.getNonce(),
              List.of("orders")));

      ads.send(RawAds.request(ResourceType.ENDPOINT, "", "", List.of(ORDERS)));
      DiscoveryResponse endpoints = ads.next(ANSWER);
      assertEquals(ResourceType.ENDPOINT.typeUrl(), endpoints.getTypeUrl());
      ads.send(
          RawAds.request(
              ResourceType.ENDPOINT,
              endpoints.getVersionInfo(),
              endpoints.getNonce(),
              List.of(ORDERS)));
      int before =
          endpoints.getResources(0).unpack(ClusterLoadAssignment.class).getEndpointsCount();

      RegisterResponse added = register("orders", "10.0.0.2", 50);
      DiscoveryResponse pushed = ads.next(ANSWER);

      assertEquals(ResourceType.ENDPOINT.typeUrl(), pushed.getTypeUrl());
      assertNotEquals(endpoints.getVersionInfo(), pushed.getVersionInfo());
      assertTrue(
          pushed.getVersionInfo().endsWith("." + added.getRevision()), pushed.getVersionInfo());
      assertEquals(
          before + 1,
          pushed.getResources(0).unpack(ClusterLoadAssignment.class).getEndpointsCount());
    }
  }

  @Test
  void aNackIsCountedAndNotAnsweredAndTheStreamGoesOn() throws Exception {
    try (RawAds<DiscoveryRequest, DiscoveryResponse> ads = RawAds.sotw(channel)) {
      ads.send(RawAds.request(ResourceType.ENDPOINT, "", "", List.of(ORDERS)));
      DiscoveryResponse sent = ads.next(ANSWER);
      double rejectedBefore =
          gauge("roster_xds_responses_total{outcome=\"rejected\",type=\"eds\"}");

      ads.send(
          RawAds.request(ResourceType.ENDPOINT, "", sent.getNonce(), List.of(ORDERS)).toBuilder()
              .setErrorDetail(
                  com.google.rpc.Status.newBuilder()
                      .setCode(Status.Code.INVALID_ARGUMENT.value())
                      .setMessage("this client cannot use that"))
              .build());

      await()
          .atMost(ANSWER)
          .until(
              () ->
                  gauge("roster_xds_responses_total{outcome=\"rejected\",type=\"eds\"}")
                      == rejectedBefore + 1);
      assertEquals(null, ads.poll(Duration.ofMillis(500)), "nothing is sent again for a NACK");
      register("orders", "10.0.0.4", 5);
      assertEquals(
          ResourceType.ENDPOINT.typeUrl(), ads.next(ANSWER).getTypeUrl(), "the next change");
    }
  }

  @Test
  void anIncrementalStreamSubscribesRemovesWhatDoesNotExistAndUnsubscribesQuietly() {
    try (RawAds<DeltaDiscoveryRequest, DeltaDiscoveryResponse> ads = RawAds.delta(channel)) {
      ads.send(
          DeltaDiscoveryRequest.newBuilder()
              .setTypeUrl(ResourceType.CLUSTER.typeUrl())
              .setNode(RawAds.node("delta-client", ""))
              .addResourceNamesSubscribe(ORDERS)
              .addResourceNamesSubscribe("nobody.service.default.roster")
              .build());
      DeltaDiscoveryResponse clusters = ads.next(ANSWER);
      assertEquals(
          List.of(ORDERS), clusters.getResourcesList().stream().map(r -> r.getName()).toList());
      assertEquals(List.of("nobody.service.default.roster"), clusters.getRemovedResourcesList());

      ads.send(
          DeltaDiscoveryRequest.newBuilder()
              .setTypeUrl(ResourceType.CLUSTER.typeUrl())
              .setResponseNonce(clusters.getNonce())
              .addResourceNamesUnsubscribe(ORDERS)
              .build());
      assertEquals(null, ads.poll(Duration.ofMillis(500)), "an unsubscription is not answered");
      assertTrue(ads.isOpen());
    }
  }

  @Test
  void aTypeTheNodeDoesNotServeEndsItsOwnStreamOnlyAndNamesTheTypesServed() {
    try (RawAds<DiscoveryRequest, DiscoveryResponse> good = RawAds.sotw(channel);
        RawAds<DiscoveryRequest, DiscoveryResponse> bad = RawAds.sotw(channel)) {
      good.send(RawAds.request(ResourceType.ENDPOINT, "", "", List.of(ORDERS)));
      DiscoveryResponse first = good.next(ANSWER);
      good.send(
          RawAds.request(
              ResourceType.ENDPOINT, first.getVersionInfo(), first.getNonce(), List.of(ORDERS)));

      bad.send(
          DiscoveryRequest.newBuilder()
              .setTypeUrl("type.googleapis.com/envoy.api.v2.ClusterLoadAssignment")
              .build());
      Status ended = bad.ended(ANSWER);

      assertEquals(Status.Code.INVALID_ARGUMENT, ended.getCode(), ended.toString());
      assertTrue(
          ended.getDescription().contains(ResourceType.ENDPOINT.typeUrl()), ended.toString());
      register("orders", "10.0.0.3", 10);
      assertEquals(ResourceType.ENDPOINT.typeUrl(), good.next(ANSWER).getTypeUrl());
      assertTrue(good.isOpen(), "the other stream goes on");
    }
  }

  @Test
  void malformedAndUnknownNamesAreAnsweredAndTheStreamGoesOn() {
    try (RawAds<DiscoveryRequest, DiscoveryResponse> ads = RawAds.sotw(channel)) {
      ads.send(RawAds.request(ResourceType.LISTENER, "", "", List.of("no such thing!", "nobody")));
      DiscoveryResponse answer = ads.next(ANSWER);

      assertEquals(0, answer.getResourcesCount(), "neither exists");
      assertEquals(1, answer.getResourceErrorsCount());
      assertEquals(
          Status.Code.INVALID_ARGUMENT.value(),
          answer.getResourceErrors(0).getErrorDetail().getCode());
      ads.send(
          RawAds.request(
              ResourceType.LISTENER,
              answer.getVersionInfo(),
              answer.getNonce(),
              List.of("no such thing!", "nobody", "orders")));
      assertEquals(1, ads.next(ANSWER).getResourcesCount());
    }
  }

  @Test
  void aStreamIsReleasedWhenItsClientCancelsItOrItsConnectionCloses() throws Exception {
    await().atMost(ANSWER).until(() -> gauge("roster_xds_streams") == 0);
    RawAds<DiscoveryRequest, DiscoveryResponse> cancelled = RawAds.sotw(channel);
    cancelled.send(RawAds.request(ResourceType.ENDPOINT, "", "", List.of(ORDERS)));
    cancelled.next(ANSWER);
    ManagedChannel closing = channel(node.apiPort());
    RawAds<DiscoveryRequest, DiscoveryResponse> dropped = RawAds.sotw(closing);
    dropped.send(RawAds.request(ResourceType.ENDPOINT, "", "", List.of(ORDERS)));
    dropped.next(ANSWER);
    assertEquals(2, gauge("roster_xds_streams"));
    double open = gauge("roster_streams_open");

    cancelled.close();
    closing.shutdownNow();

    await().atMost(ANSWER).until(() -> gauge("roster_xds_streams") == 0);
    await().atMost(ANSWER).until(() -> gauge("roster_streams_open") == open - 2);
  }

  @Test
  void aNodeWithXdsOffAnswersUnimplementedAndOneWithItsOwnPortServesItThere() {
    RegistryNode off = SingleNode.start("ads-off", "--xds.enabled=false");
    ManagedChannel offChannel = channel(off.apiPort());
    RegistryNode own =
        SingleNode.start("ads-own-port", "--xds.port=" + io.roster.testing.FreePorts.next());
    ManagedChannel apiChannel = channel(own.apiPort());
    ManagedChannel xdsChannel = channel(own.xdsPort());
    try (RawAds<DiscoveryRequest, DiscoveryResponse> refused = RawAds.sotw(offChannel);
        RawAds<DiscoveryRequest, DiscoveryResponse> notHere = RawAds.sotw(apiChannel);
        RawAds<DiscoveryRequest, DiscoveryResponse> there = RawAds.sotw(xdsChannel)) {
      for (RawAds<DiscoveryRequest, DiscoveryResponse> unserved : List.of(refused, notHere)) {
        unserved.send(RawAds.request(ResourceType.LISTENER, "", "", List.of("orders")));
        assertEquals(Status.Code.UNIMPLEMENTED, unserved.ended(ANSWER).getCode());
      }
      there.send(RawAds.request(ResourceType.CLUSTER, "", "", List.of()));
      assertEquals(ResourceType.CLUSTER.typeUrl(), there.next(ANSWER).getTypeUrl());
      assertNotEquals(own.apiPort(), own.xdsPort());
    } finally {
      offChannel.shutdownNow();
      apiChannel.shutdownNow();
      xdsChannel.shutdownNow();
      off.stop();
      own.stop();
    }
  }

  private static RegisterResponse register(String service, String host, int weight) {
    return registry
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .register(
            RegisterRequest.newBuilder()
                .setInstance(Instances.of(service).setHost(host).setWeight(weight))
                .setLeaseTtl(com.google.protobuf.Duration.newBuilder().setSeconds(600))
                .build());
  }

  private static ManagedChannel channel(int port) {
    return ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
  }

  /** A gauge of the node's /metrics. */
  private static double gauge(String name) throws IOException, InterruptedException {
    String text =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .build()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + node.apiPort() + "/metrics"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    return text.lines()
        .filter(line -> line.startsWith(name + " "))
        .mapToDouble(line -> Double.parseDouble(line.substring(name.length() + 1)))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + name + " in /metrics"));
  }
}
