package io.roster.node.xds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.MetadataUtils;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.listener.v3.Listener;
import io.grpc.xds.shaded.io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.xds.shaded.io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.roster.node.RegistryNode;
import io.roster.node.SingleNode;
import io.roster.node.access.AccessRules;
import io.roster.testing.Instances;
import io.roster.v1.RegistryServiceGrpc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An xDS stream is a read of the caller's namespaces, on a node with an access file and limits: a
 * caller without a credential is refused, a name of a namespace it may not read does not exist for
 * it (saying why), following every Cluster gets those it may read, and each stream holds one of its
 * connection's stream slots.
 */
@Timeout(120)
class AdsAccessTest {

  private static final String ADMIN = "admin-token-0123456789abcdef";
  private static final String READER = "reader-token-0123456789abcdef";
  private static final Duration ANSWER = Duration.ofSeconds(10);

  @TempDir static Path dir;

  private static RegistryNode node;
  private static ManagedChannel channel;

  @BeforeAll
  static void startNode() throws Exception {
    Path access = dir.resolve("access");
    Files.writeString(
        access,
        "token "
            + AccessRules.sha256(ADMIN)
            + " operator *:admin\n"
            + "token "
            + AccessRules.sha256(READER)
            + " reader billing:read\n");
    node =
        SingleNode.start(
            "ads-access",
            "--security.access-file=" + access,
            "--limits.enabled=true",
            "--limits.connection.streams=2");
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", node.apiPort()).usePlaintext().build();
    for (String namespace : List.of("billing", "default")) {
      RegistryServiceGrpc.newBlockingStub(as(ADMIN))
          .withDeadlineAfter(30, TimeUnit.SECONDS)
          .register(
              Instances.register(
                  Instances.of("invoices").setNamespace(namespace).setHost("10.0.0.1")));
    }
  }

  @AfterAll
  static void stopNode() {
    channel.shutdownNow();
    node.stop();
  }

  @Test
  void aStreamWithoutACredentialIsRefused() {
    try (RawAds<DiscoveryRequest, DiscoveryResponse> anonymous = RawAds.sotw(channel)) {
      anonymous.send(RawAds.request(ResourceType.LISTENER, "", "", List.of("invoices")));
      Status ended = anonymous.ended(ANSWER);
      assertEquals(Status.Code.UNAUTHENTICATED, ended.getCode(), ended.toString());
    }
  }

  @Test
  void aReaderGetsItsNamespaceAndNoOther() throws Exception {
    try (RawAds<DiscoveryRequest, DiscoveryResponse> reader = RawAds.sotw(as(READER))) {
      reader.send(
          RawAds.request(
              ResourceType.LISTENER,
              "",
              "",
              List.of("invoices.service.billing.roster", "invoices")));
      DiscoveryResponse listeners = reader.next(ANSWER);
      assertEquals(1, listeners.getResourcesCount(), listeners.toString());
      assertEquals(
          "invoices.service.billing.roster",
          listeners.getResources(0).unpack(Listener.class).getName());
      assertEquals(
          Status.Code.PERMISSION_DENIED.value(),
          listeners.getResourceErrors(0).getErrorDetail().getCode());
      assertEquals("invoices", listeners.getResourceErrors(0).getResourceName().getName());

      reader.send(RawAds.request(ResourceType.CLUSTER, "", "", List.of()));
      DiscoveryResponse clusters = reader.next(ANSWER);
      assertEquals(1, clusters.getResourcesCount(), "only what it may read: " + clusters);
      assertEquals(
          "invoices.service.billing.roster",
          clusters.getResources(0).unpack(Cluster.class).getName());
    }
  }

  @Test
  void eachStreamHoldsOneOfItsConnectionsStreamSlots() {
    ManagedChannel own =
        ManagedChannelBuilder.forAddress("127.0.0.1", node.apiPort()).usePlaintext().build();
    Channel reader = ClientInterceptors.intercept(own, bearer(READER));
    try (RawAds<DiscoveryRequest, DiscoveryResponse> first = RawAds.sotw(reader);
        RawAds<DiscoveryRequest, DiscoveryResponse> second = RawAds.sotw(reader);
        RawAds<DiscoveryRequest, DiscoveryResponse> third = RawAds.sotw(reader)) {
      for (RawAds<DiscoveryRequest, DiscoveryResponse> ads : List.of(first, second)) {
        ads.send(RawAds.request(ResourceType.CLUSTER, "", "", List.of()));
        ads.next(ANSWER);
      }
      third.send(RawAds.request(ResourceType.CLUSTER, "", "", List.of()));
      Status refused = third.ended(ANSWER);
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.getCode(), refused.toString());
      assertTrue(refused.getDescription().contains("streams"), refused.getDescription());
      assertTrue(first.isOpen() && second.isOpen(), "the others go on");
    } finally {
      own.shutdownNow();
    }
  }

  private static Channel as(String token) {
    return ClientInterceptors.intercept(channel, bearer(token));
  }

  private static io.grpc.ClientInterceptor bearer(String token) {
    Metadata headers = new Metadata();
    headers.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return MetadataUtils.newAttachHeadersInterceptor(headers);
  }
}
