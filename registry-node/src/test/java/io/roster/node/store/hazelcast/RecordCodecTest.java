package io.roster.node.store.hazelcast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.roster.node.domain.InstanceKey;
import io.roster.node.domain.InstanceRecord;
import io.roster.node.domain.InstanceSpec;
import io.roster.node.domain.InstanceStatus;
import io.roster.node.domain.ServiceKey;
import io.roster.node.domain.ServiceState;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The binary form of a service's state: what goes in comes out, and repeated texts are shared. */
class RecordCodecTest {

  private static final ServiceKey ORDERS = new ServiceKey("default", "orders");
  private static final long NOW = 1_000_000;

  @Test
  void aStateComesBackAsItWasWrittenWithItsRemovals() throws IOException {
    ServiceState state = new ServiceState(ORDERS);
    state.register(spec("a"), NOW);
    state.register(spec("b"), NOW);
    state.deregister("a", 0);
    state.committed(NOW + 7);

    ServiceState read = roundTrip(state);

    assertEquals(state.revision(), read.revision());
    assertEquals(List.copyOf(state.instances()), List.copyOf(read.instances()));
    assertEquals(List.copyOf(state.removals()), List.copyOf(read.removals()));
    assertEquals(state.compactedRevision(), read.compactedRevision());
    assertEquals(NOW + 7, read.committedAtMillis());
    assertEquals(NOW + 7, read.changesSince(1).committedAtMillis(), "deltas carry it");
  }

  @Test
  void textsRepeatedAcrossInstancesAreOneCopyOnceRead() throws IOException {
    ServiceState state = new ServiceState(ORDERS);
    state.register(spec("a"), NOW);
    state.register(spec("b"), NOW);

    List<InstanceRecord> read = new ArrayList<>(roundTrip(state).instances());
    InstanceSpec a = read.get(0).spec();
    InstanceSpec b = read.get(1).spec();

    assertSame(a.zone(), b.zone());
    assertSame(a.version(), b.version());
    String key = a.metadata().keySet().iterator().next();
    assertSame(key, b.metadata().keySet().iterator().next());
    assertSame(a.metadata().get(key), b.metadata().get(key));
    assertSame(
        a.ports().keySet().iterator().next(), b.ports().keySet().iterator().next(), "port names");
  }

  private static ServiceState roundTrip(ServiceState state) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    RecordCodec.writeState(new DataOutputStream(bytes), state);
    return RecordCodec.readState(
        new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
  }

  private static InstanceSpec spec(String id) {
    // new String(...): texts that are equal but not the same object, as two requests carry them
    return new InstanceSpec(
        new InstanceKey(ORDERS.namespace(), ORDERS.service(), id),
        "10.0.0." + id.charAt(0),
        8080,
        Map.of(new String("grpc"), 9090),
        100,
        new String("zone-a"),
        new String("1.4.2"),
        Map.of(new String("team"), new String("payments")),
        InstanceStatus.UP);
  }
}
