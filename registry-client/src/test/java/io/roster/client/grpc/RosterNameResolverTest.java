package io.roster.client.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.roster.client.RosterClient;
import io.roster.client.RosterClientOptions;
import io.roster.testing.FreePorts;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The resolver of a real grpc-java channel on {@code roster:///} when no registry node answers. */
@Timeout(30)
class RosterNameResolverTest {

  @Test
  void callsFailWithTheResolversReasonWhenNoRegistryNodeAnswers() {
    String node = "127.0.0.1:" + FreePorts.next(); // nothing listens there
    try (RosterClient client =
        RosterClient.create(RosterClientOptions.local().nodes(node).shutdownHook(false).build())) {
      ManagedChannel channel =
          ManagedChannelBuilder.forTarget("roster:///orders")
              .setNameResolverArg(RosterNameResolverProvider.CLIENT, client)
              .usePlaintext()
              .build();
      try {
        HealthGrpc.HealthBlockingStub stub = HealthGrpc.newBlockingStub(channel);
        long startNanos = System.nanoTime();
        StatusRuntimeException failed =
            assertThrows(
                StatusRuntimeException.class,
                () ->
                    stub.withDeadlineAfter(10, TimeUnit.SECONDS)
                        .check(HealthCheckRequest.getDefaultInstance()));
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);

        Status status = failed.getStatus();
        assertEquals(Status.Code.UNAVAILABLE, status.getCode(), status.toString());
        String description = String.valueOf(status.getDescription());
        assertTrue(
            description.startsWith("no registry node answered the watch of orders"), description);
        assertTrue(description.contains(node), "names the node tried: " + description);
        assertTrue(tookMillis < 5_000, "failed after " + tookMillis + " ms");

        // A wait-for-ready call still waits for endpoints, until its own deadline.
        StatusRuntimeException waited =
            assertThrows(
                StatusRuntimeException.class,
                () ->
                    stub.withWaitForReady()
                        .withDeadlineAfter(500, TimeUnit.MILLISECONDS)
                        .check(HealthCheckRequest.getDefaultInstance()));
        assertEquals(Status.Code.DEADLINE_EXCEEDED, waited.getStatus().getCode());
      } finally {
        channel.shutdownNow();
      }
    }
  }
}
