package io.roster.node.xds;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.grpc.xds.shaded.io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.roster.node.domain.InstanceKey;
import io.roster.node.domain.InstanceRecord;
import io.roster.node.domain.InstanceSpec;
import io.roster.node.domain.InstanceStatus;
import io.roster.node.domain.LeaseCondition;
import io.roster.node.domain.ServiceKey;
import io.roster.node.domain.ServiceView;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** What a ClusterLoadAssignment holds, and that each is built once per view and zone ordering. */
class EndpointAssignmentsTest {

  private static final ServiceKey ORDERS = new ServiceKey("default", "orders");
  private static final String NAME = XdsNames.canonical(ORDERS);

  private final EndpointAssignments assignments =
      new EndpointAssignments(EndpointAssignments.DEFAULT_MAX_BYTES);

  @Test
  void everyInstanceIsALocalityOfItsOwnWeighingWhatTheInstanceWeighs() {
    ServiceView view =
        view(
            7,
            instance("a", "10.0.0.1", 1, "z1"),
            instance("b", "10.0.0.2", 2, "z1"),
            instance("c", "10.0.0.3", 7, "z2"));

    ClusterLoadAssignment assignment = assignment(view, "");

    assertEquals(NAME, assignment.getClusterName());
    assertEquals(3, assignment.getEndpointsCount());
    for (LocalityLbEndpoints locality : assignment.getEndpointsList()) {
      assertEquals(1, locality.getLbEndpointsCount());
      assertEquals(0, locality.getPriority(), "no zone asked: one priority");
      assertEquals(
          locality.getLoadBalancingWeight().getValue(),
          locality.getLbEndpoints(0).getLoadBalancingWeight().getValue());
    }
    LocalityLbEndpoints c = locality(assignment, "c");
    assertEquals("z2", c.getLocality().getZone());
    assertEquals(7, c.getLoadBalancingWeight().getValue());
    assertEquals(
        "10.0.0.3", c.getLbEndpoints(0).getEndpoint().getAddress().getSocketAddress().getAddress());
    assertEquals(
        8080, c.getLbEndpoints(0).getEndpoint().getAddress().getSocketAddress().getPortValue());
    assertEquals(HealthStatus.HEALTHY, c.getLbEndpoints(0).getHealthStatus());
    assertEquals(
        "c",
        c.getLbEndpoints(0)
            .getMetadata()
            .getFilterMetadataOrThrow("roster")
            .getFieldsOrThrow("instance_id")
            .getStringValue());
  }

  @Test
  void drainingIsMarkedUnhealthyIsMarkedAndOutOfServiceWeightZeroAndHostNamesAreLeftOut() {
    ServiceView view =
        view(
            3,
            instance("up", "10.0.0.1", 1, "z1"),
            withStatus(instance("draining", "10.0.0.2", 1, "z1"), InstanceStatus.DRAINING),
            expired(instance("expired", "10.0.0.3", 1, "z1")),
            withStatus(instance("out", "10.0.0.4", 1, "z1"), InstanceStatus.OUT_OF_SERVICE),
            instance("idle", "10.0.0.5", 0, "z1"),
            instance("named", "orders-7.example", 1, "z1"),
            instance("v6", "::1", 1, "z1"));

    ClusterLoadAssignment assignment = assignment(view, "");

    Map<String, HealthStatus> health =
        assignment.getEndpointsList().stream()
            .collect(
                Collectors.toMap(
                    l -> l.getLocality().getSubZone(), l -> l.getLbEndpoints(0).getHealthStatus()));
    assertEquals(
        Map.of(
            "up", HealthStatus.HEALTHY,
            "draining", HealthStatus.DRAINING,
            "expired", HealthStatus.UNHEALTHY,
            "v6", HealthStatus.HEALTHY),
        health);
  }

  @Test
  void aClientsOwnZoneComesFirstWhileEnoughOfItIsHealthy() {
    ServiceView healthy =
        view(
            4,
            instance("a1", "10.0.0.1", 1, "a"),
            instance("a2", "10.0.0.2", 1, "a"),
            instance("a3", "10.0.0.3", 1, "a"),
            expired(instance("a4", "10.0.0.4", 1, "a")),
            instance("b1", "10.0.1.1", 1, "b"));

    ClusterLoadAssignment fromA = assignment(healthy, "a");
    assertEquals(0, locality(fromA, "a1").getPriority());
    assertEquals(0, locality(fromA, "a4").getPriority());
    assertEquals(1, locality(fromA, "b1").getPriority());
    ClusterLoadAssignment fromB = assignment(healthy, "b");
    assertEquals(1, locality(fromB, "a1").getPriority());
    assertEquals(0, locality(fromB, "b1").getPriority());
    ClusterLoadAssignment fromElsewhere = assignment(healthy, "c");
    assertTrue(fromElsewhere.getEndpointsList().stream().allMatch(l -> l.getPriority() == 0));

    // Two of four healthy: under 0.7, so zone a's clients spread over every zone at once.
    ServiceView failing =
        view(
            5,
            instance("a1", "10.0.0.1", 1, "a"),
            instance("a2", "10.0.0.2", 1, "a"),
            expired(instance("a3", "10.0.0.3", 1, "a")),
            expired(instance("a4", "10.0.0.4", 1, "a")),
            instance("b1", "10.0.1.1", 1, "b"));
    assertTrue(
        assignment(failing, "a").getEndpointsList().stream().allMatch(l -> l.getPriority() == 0));
  }

  @Test
  void oneAssignmentPerViewAndZoneOrderingIsBuiltAndSharedByEveryClient() {
    List<InstanceRecord> many = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      many.add(
          instance(
              String.format("i%05d", i),
              "10.0." + (i / 250) + "." + (i % 250),
              1 + i % 3,
              i % 2 == 0 ? "a" : "b"));
    }
    ServiceView view = new ServiceView(ORDERS, 9, many);

    long started = System.nanoTime();
    XdsResource first = assignments.assignment(NAME, view, "a", 1);
    long builtNanos = System.nanoTime() - started;
    started = System.nanoTime();
    for (int i = 0; i < 1_000; i++) {
      assignments.assignment(NAME, view, "a", 1);
    }
    long servedNanos = (System.nanoTime() - started) / 1_000;
    assertSame(first, assignments.assignment(NAME, view, "a", 1), "the same view: not rebuilt");
    assertSame(first, assignments.assignment(NAME, view, "a", 1));
    XdsResource zoneB = assignments.assignment(NAME, view, "b", 1);
    assertNotSame(first, zoneB, "another zone ordering");
    XdsResource noZone = assignments.assignment(NAME, view, "", 1);
    assertSame(noZone, assignments.assignment(NAME, view, "elsewhere", 1), "ordered alike");
    assertEquals(3, assignments.size());
    assertEquals("1.9", first.version());
    assertTrue(
        first.body().getSerializedSize() < 4 * 1024 * 1024,
        "fits a gRPC client's default 4 MiB: " + first.body().getSerializedSize());

    ServiceView next = new ServiceView(ORDERS, 10, many);
    XdsResource moved = assignments.assignment(NAME, next, "a", 1);
    assertNotSame(first, moved, "a new view: built again");
    assertEquals("1.10", moved.version());
    assertEquals("2.10", assignments.assignment(NAME, next, "a", 2).version());

    long warmNanos = Long.MAX_VALUE;
    for (int revision = 100; revision < 110; revision++) {
      ServiceView later = new ServiceView(ORDERS, revision, many);
      long at = System.nanoTime();
      assignments.assignment(NAME, later, "a", 1);
      warmNanos = Math.min(warmNanos, System.nanoTime() - at);
    }
    System.out.printf(
        "10,000 instances: an assignment of %d bytes, built in %.1f ms (first, cold JVM) and %.1f"
            + " ms (warm), then served from memory in %.1f us%n",
        first.body().getSerializedSize(), builtNanos / 1e6, warmNanos / 1e6, servedNanos / 1e3);
  }

  private ClusterLoadAssignment assignment(ServiceView view, String zone) {
    try {
      return assignments.assignment(NAME, view, zone, 1).body().unpack(ClusterLoadAssignment.class);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  private static LocalityLbEndpoints locality(ClusterLoadAssignment assignment, String id) {
    return assignment.getEndpointsList().stream()
        .filter(l -> l.getLocality().getSubZone().equals(id))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no locality " + id + " in " + assignment));
  }

  private static ServiceView view(long revision, InstanceRecord... records) {
    return new ServiceView(ORDERS, revision, List.of(records));
  }

  static InstanceRecord instance(String id, String host, int weight, String zone) {
    InstanceSpec spec =
        new InstanceSpec(
            new InstanceKey(ORDERS.namespace(), ORDERS.service(), id),
            host,
            8080,
            Map.of(),
            weight,
            zone,
            "",
            Map.of(),
            InstanceStatus.UP);
    return new InstanceRecord(spec, InstanceStatus.UP, LeaseCondition.ok(0), 1, 1, 0);
  }

  private static InstanceRecord withStatus(InstanceRecord record, InstanceStatus status) {
    return new InstanceRecord(
        record.spec(), status, record.lease(), record.epoch(), record.revision(), 0);
  }

  private static InstanceRecord expired(InstanceRecord record) {
    return new InstanceRecord(
        record.spec(),
        record.status(),
        LeaseCondition.expired(0, 1),
        record.epoch(),
        record.revision(),
        0);
  }
}
