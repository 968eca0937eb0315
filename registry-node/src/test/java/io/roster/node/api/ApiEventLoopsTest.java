package io.roster.node.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.roster.node.RegistryNode;
import io.roster.node.SingleNode;
import io.roster.testing.Instances;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.HeartbeatRequest;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import io.roster.v1.WatchRequest;
import io.roster.v1.WatchResponse;
import io.roster.v1.WatchTarget;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A node serving its API on several event loops ({@code api.event-loops}): clients on connections
 * of their own, hence on different event loops, register, heartbeat, discover and watch as on one;
 * a stop ends the streams of every event loop. {@link ApiServerTest} shows the connections spread.
 */
@Timeout(120)
class ApiEventLoopsTest {

  @Test
  void everyCallWorksFromConnectionsOnDifferentEventLoops() {
    RegistryNode node = SingleNode.start("event-loops", "--api.event-loops=3");
    List<ManagedChannel> channels = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        channels.add(
            ManagedChannelBuilder.forAddress("127.0.0.1", node.apiPort()).usePlaintext().build());
      }
      String service = "loops";
      RegisterResponse registered =
          RegistryServiceGrpc.newBlockingStub(channels.get(0))
              .withDeadlineAfter(30, TimeUnit.SECONDS)
              .register(Instances.register(Instances.of(service).setInstanceId("a")));

      Iterator<WatchResponse> watch =
          DiscoveryServiceGrpc.newBlockingStub(channels.get(2))
              .watch(
                  WatchRequest.newBuilder()
                      .addTargets(WatchTarget.newBuilder().setService(service))
                      .build());
      assertEquals(1, watch.next().getSnapshot().getInstancesCount());

      assertTrue(
          RegistryServiceGrpc.newBlockingStub(channels.get(1))
              .withDeadlineAfter(30, TimeUnit.SECONDS)
              .heartbeat(
                  HeartbeatRequest.newBuilder()
                      .setLeaseId(registered.getLeaseId())
                      .setEpoch(registered.getEpoch())
                      .build())
              .hasGrantedTtl());
      await()
          .atMost(java.time.Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertEquals(
                      1,
                      DiscoveryServiceGrpc.newBlockingStub(channels.get(1))
                          .withDeadlineAfter(30, TimeUnit.SECONDS)
                          .discover(DiscoverRequest.newBuilder().setService(service).build())
                          .getInstancesCount()));

      node.stop();

      StatusRuntimeException ended = assertThrowsOn(watch);
      assertEquals(Status.Code.UNAVAILABLE, ended.getStatus().getCode(), ended.toString());
    } finally {
      channels.forEach(ManagedChannel::shutdownNow);
      node.stop();
    }
  }

  /** The next message of a stream that must end with an error instead. */
  private static StatusRuntimeException assertThrowsOn(Iterator<WatchResponse> watch) {
    try {
      while (watch.hasNext()) {
        watch.next();
      }
    } catch (StatusRuntimeException e) {
      return e;
    }
    throw new AssertionError("the Watch stream ended without an error");
  }
}
