package io.roster.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import io.roster.v1.ClusterMember;
import io.roster.v1.ClusterStatusResponse;
import io.roster.v1.HealthState;
import io.roster.v1.Instance;
import io.roster.v1.InstanceStatus;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class NamespaceSampleTest {
  private static final ClusterStatusResponse CLUSTER =
      ClusterStatusResponse.newBuilder()
          .setClusterName("c1")
          .addMembers(ClusterMember.newBuilder().setApiAddress("127.0.0.1:7101").setLocal(true))
          .addMembers(ClusterMember.newBuilder().setApiAddress("127.0.0.1:7102").setLeader(true))
          .build();

  @Test
  void everyInstanceIsCountedOnceByHealthAndStatus() {
    NamespaceSample.ServiceCounts counts =
        NamespaceSample.ServiceCounts.of(
            "orders",
            9,
            List.of(
                instance("up", 1, InstanceStatus.INSTANCE_STATUS_UP, true),
                instance("draining", 1, InstanceStatus.INSTANCE_STATUS_DRAINING, true),
                instance("out", 1, InstanceStatus.INSTANCE_STATUS_OUT_OF_SERVICE, true),
                instance("silent", 1, InstanceStatus.INSTANCE_STATUS_DRAINING, false)));

    assertEquals(4, counts.instances());
    assertEquals(2, counts.healthy());
    assertEquals(1, counts.draining());
    assertEquals(1, counts.unhealthy());
    assertEquals(1, counts.outOfService());
  }

  @Test
  void ratesComeFromRevisionsAndRegistrationsBetweenTwoRefreshes() {
    NamespaceSample before =
        sample(
            0,
            7,
            counts("orders", 10, instance("a", 1), instance("b", 2)),
            counts("billing", 4, instance("x", 4)));
    NamespaceSample after =
        sample(
            2,
            7,
            // a re-registered (new epoch), b removed, c new: 3 changes of orders' revision and more
            counts("orders", 16, instance("a", 12), instance("c", 14)),
            counts("billing", 4, instance("x", 4)),
            counts("payments", 3, instance("p", 3)));

    NamespaceSample.Rates rates = after.ratesSince(before);

    assertEquals(2.0, rates.elapsedSeconds(), 1e-9);
    assertEquals(3.0, rates.changesPerSecond(), 1e-9); // (16 - 10 + 0) / 2 s; payments is new
    assertEquals(3, rates.registered()); // a again, c, p
    assertEquals(1, rates.removed()); // b
    assertEquals(3.0, rates.changesPerSecondByService().get("orders"), 1e-9);
    assertNull(rates.changesPerSecondByService().get("payments"));
    assertNull(after.ratesSince(null));
    assertNull(sample(4, 8, counts("orders", 1, instance("a", 1))).ratesSince(after));
  }

  @Test
  void theTableShowsTheClusterThenARowPerService() {
    NamespaceSample before = sample(0, 7, counts("orders", 10, instance("a", 1)));
    NamespaceSample after = sample(2, 7, counts("orders", 12, instance("a", 1), instance("b", 12)));

    List<String> lines = after.lines(before);

    assertTrue(
        lines.get(0).startsWith("cluster c1 at ")
            && lines.get(0).contains("answered by 127.0.0.1:7101")
            && lines.get(0).contains("leader 127.0.0.1:7102"),
        lines.get(0));
    assertEquals(
        "namespace default: 1 services; 1.0 changes/s, 1 registered, 0 removed in the last 2.0 s",
        lines.get(3));
    assertEquals(
        List.of(
            "SERVICE  INSTANCES  HEALTHY  DRAINING  UNHEALTHY  OUT  REVISION  CHANGES/S",
            "orders   2          2        0         0          0    12        1.0"),
        lines.subList(5, 7));
  }

  @Test
  void theJsonParsesAndHasNoRatesOnTheFirstRefresh() throws Exception {
    NamespaceSample first = sample(0, 7, counts("orders", 10, instance("a", 1)));
    Struct.Builder parsed = Struct.newBuilder();

    JsonFormat.parser().merge(first.json(null).toString(), parsed);

    assertEquals("default", parsed.getFieldsOrThrow("namespace").getStringValue());
    assertTrue(parsed.getFieldsOrThrow("changesPerS").hasNullValue());
    assertEquals(
        "c1",
        parsed
            .getFieldsOrThrow("cluster")
            .getStructValue()
            .getFieldsOrThrow("clusterName")
            .getStringValue());
    Struct orders =
        parsed.getFieldsOrThrow("services").getListValue().getValues(0).getStructValue();
    assertEquals(1.0, orders.getFieldsOrThrow("instances").getNumberValue());
    assertEquals(10.0, orders.getFieldsOrThrow("revision").getNumberValue());
  }

  private static NamespaceSample sample(
      int atSeconds, long incarnation, NamespaceSample.ServiceCounts... services) {
    return new NamespaceSample(
        Instant.ofEpochSecond(1_800_000_000L + atSeconds),
        TimeUnit.SECONDS.toNanos(atSeconds),
        "default",
        CLUSTER,
        incarnation,
        List.of(services));
  }

  private static NamespaceSample.ServiceCounts counts(
      String service, long revision, Instance... instances) {
    return NamespaceSample.ServiceCounts.of(service, revision, List.of(instances));
  }

  private static Instance instance(String id, long epoch) {
    return instance(id, epoch, InstanceStatus.INSTANCE_STATUS_UP, true);
  }

  private static Instance instance(String id, long epoch, InstanceStatus status, boolean healthy) {
    return Instance.newBuilder()
        .setInstanceId(id)
        .setEpoch(epoch)
        .setStatus(status)
        .setHealth(healthy ? HealthState.HEALTH_STATE_HEALTHY : HealthState.HEALTH_STATE_UNHEALTHY)
        .build();
  }
}
