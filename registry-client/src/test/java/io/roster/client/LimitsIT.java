package io.roster.client;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.roster.testing.RosterCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Java client against a real node that limits its callers: heartbeats the node throttles are
 * sent again after its delay, so no lease is lost; a registration refused for a rate says when to
 * retry, and succeeds then.
 */
@Timeout(180)
class LimitsIT {

  private static final Pattern REFUSED_RENEWALS =
      Pattern.compile("roster_limits_refused_total\\{kind=\"renewal\"[^}]*} ([0-9.]+)");

  @Test
  void throttledHeartbeatsAreSentAgainAndNoLeaseIsLost() throws Exception {
    // 4 renewals a second with room for 4: six leases renewed together every 2 s exceed the room
    // at each round (two refused), though not the rate.
    try (RosterCluster cluster =
            RosterCluster.start(
                1,
                "--limits.enabled=true",
                "--limits.burst-s=1",
                "--limits.connection.renewals-per-s=4");
        RosterClient roster =
            RosterClient.create(
                RosterClientOptions.defaults()
                    .nodes(cluster.node(0).apiAddress())
                    .leaseTtl(Duration.ofSeconds(6))
                    .drainDelay(Duration.ZERO)
                    .shutdownHook(false)
                    .build())) {
      List<Registration> registrations = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        registrations.add(
            roster.register(ServiceInstance.builder("throttled", "10.0.0." + i, 8080).build()));
      }
      await("all six listed healthy")
          .atMost(Duration.ofSeconds(10))
          .until(() -> roster.discover("throttled").healthy().size() == 6);

      // Two TTLs: a throttled heartbeat not sent again would let its lease run out.
      await("every lease kept through two TTLs of throttling")
          .during(Duration.ofSeconds(12))
          .atMost(Duration.ofSeconds(20))
          .until(
              () ->
                  roster.discover("throttled").healthy().size() == 6
                      && registrations.stream()
                          .allMatch(r -> r.state() == RegistrationState.ACTIVE));
      assertTrue(
          refusedRenewals(cluster) > 0,
          "the node throttled heartbeats (or the test proves nothing)");
    }
  }

  @Test
  void aRegistrationRefusedForARateSaysWhenToRetryAndSucceedsThen() throws Exception {
    try (RosterCluster cluster =
            RosterCluster.start(
                1,
                "--limits.enabled=true",
                "--limits.burst-s=1",
                "--limits.connection.writes-per-s=5");
        RosterClient roster =
            RosterClient.create(
                RosterClientOptions.defaults()
                    .nodes(cluster.node(0).apiAddress())
                    .drainDelay(Duration.ZERO)
                    .shutdownHook(false)
                    .build())) {
      RosterException refused = null;
      for (int i = 0; i < 50 && refused == null; i++) {
        try {
          roster.register(ServiceInstance.builder("rated", "10.0.1." + i, 8080).build());
        } catch (RosterException e) {
          refused = e;
        }
      }
      if (refused == null) {
        fail("50 registrations at once passed a limit of 5");
      }
      assertEquals(RosterException.Code.RESOURCE_EXHAUSTED, refused.code(), refused.getMessage());
      assertTrue(
          refused.getMessage().contains("limits.connection.writes-per-s"), refused.getMessage());
      Duration retryAfter =
          refused.retryAfter().orElseThrow(() -> new AssertionError("no retryAfter()"));
      assertTrue(
          retryAfter.compareTo(Duration.ZERO) > 0
              && retryAfter.compareTo(Duration.ofMillis(200)) <= 0,
          "one write comes back within 200 ms at 5 a second: " + retryAfter);

      await("a registration after the delay")
          .pollDelay(retryAfter)
          .atMost(Duration.ofSeconds(5))
          .ignoreExceptions()
          .until(
              () ->
                  roster.register(ServiceInstance.builder("rated", "10.0.2.1", 8080).build())
                      != null);
    }
  }

  private static double refusedRenewals(RosterCluster cluster) throws Exception {
    HttpResponse<String> metrics =
        // HTTP/1.1, as Prometheus scrapes: Vert.x 5.0.7 stalls answers of tens of KB on a
        // connection upgraded to h2c, which the JDK client asks for by default.
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .build()
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://" + cluster.node(0).apiAddress() + "/metrics"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    Matcher refused = REFUSED_RENEWALS.matcher(metrics.body());
    if (!refused.find()) {
      fail("no roster_limits_refused_total{kind=\"renewal\"} in /metrics");
    }
    return Double.parseDouble(refused.group(1));
  }
}
