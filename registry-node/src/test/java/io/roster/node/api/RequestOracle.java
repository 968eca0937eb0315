package io.roster.node.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.roster.node.config.ClusterSecret;
import io.roster.node.domain.DiscoveryQuery;
import io.roster.node.domain.InstanceKey;
import io.roster.node.domain.InstanceSpec;
import io.roster.node.domain.InstanceValidator;
import io.roster.node.domain.InvalidArgumentException;
import io.roster.node.domain.ServiceKey;
import io.roster.v1.ClusterStatusRequest;
import io.roster.v1.DeregisterRequest;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.HeartbeatRequest;
import io.roster.v1.KeepAliveRequest;
import io.roster.v1.ListServicesRequest;
import io.roster.v1.RegisterRequest;
import io.roster.v1.SetStatusRequest;
import io.roster.v1.WatchRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What may come of mapping a request to the domain, as the services map it ({@link ProtoMapper}):
 * valid domain values, or an {@link InvalidArgumentException} whose message names a field of the
 * request and says what is wrong, in a few lines at most. Anything else thrown (a
 * NullPointerException, an IllegalStateException, a StackOverflowError) fails the check, as does a
 * message whose field the request does not have.
 *
 * <p>Shared by the fuzz tests of the protobuf mapping and of the HTTP/JSON decoding, which hands
 * the requests it decodes to the same services. Stateless.
 */
public final class RequestOracle {

  /** Lease ids as a node of a cluster without a secret makes and checks them. */
  private static final LeaseIds LEASE_IDS = LeaseIds.of("fuzz", ClusterSecret.none());

  /** Every request type of the API, in a fixed order: fuzz inputs pick one by its index. */
  public static final List<Message> REQUEST_TYPES =
      List.of(
          RegisterRequest.getDefaultInstance(),
          HeartbeatRequest.getDefaultInstance(),
          KeepAliveRequest.getDefaultInstance(),
          DeregisterRequest.getDefaultInstance(),
          SetStatusRequest.getDefaultInstance(),
          DiscoverRequest.getDefaultInstance(),
          ListServicesRequest.getDefaultInstance(),
          WatchRequest.getDefaultInstance());

  /**
   * Longest message a refusal may carry: it goes back to the caller and into the log, so it must
   * not grow with what the caller sent (values are quoted cut short).
   */
  public static final int MAX_MESSAGE_CHARS = 1024;

  private RequestOracle() {}

  /** Maps {@code request} as its service does; fails unless the outcome is one of the two above. */
  public static void assertMapsOrNamesAField(Message request) {
    List<Object> mapped;
    try {
      mapped = map(request);
    } catch (InvalidArgumentException refused) {
      assertNamesAField(request.getDescriptorForType(), refused);
      return;
    }
    try {
      mapped.forEach(RequestOracle::assertValid);
    } catch (InvalidArgumentException invalid) {
      throw new AssertionError(
          "a request mapped to a value its own rules refuse: " + mapped, invalid);
    }
  }

  /** The domain values a service makes of {@code request}, in the order it makes them. */
  private static List<Object> map(Message request) {
    if (request instanceof RegisterRequest register) {
      return List.of(ProtoMapper.toRegistration(register));
    } else if (request instanceof HeartbeatRequest heartbeat) {
      return lease(heartbeat.getLeaseId(), heartbeat.getEpoch());
    } else if (request instanceof KeepAliveRequest keepAlive) {
      return lease(keepAlive.getLeaseId(), keepAlive.getEpoch());
    } else if (request instanceof DeregisterRequest deregister) {
      return List.of(
          ProtoMapper.toKey("key", deregister.getKey()),
          ProtoMapper.counter("epoch", deregister.getEpoch()));
    } else if (request instanceof SetStatusRequest setStatus) {
      return List.of(
          ProtoMapper.toKey("key", setStatus.getKey()),
          ProtoMapper.toStatus("status", setStatus.getStatus()),
          ProtoMapper.counter("epoch", setStatus.getEpoch()));
    } else if (request instanceof DiscoverRequest discover) {
      List<Object> mapped = new ArrayList<>();
      mapped.add(ProtoMapper.toQuery(discover));
      if (discover.getPageSize() != 0 || !discover.getPageToken().isEmpty()) {
        mapped.add(
            new PageSize(
                ProtoMapper.pageSize(
                    "page_size", discover.getPageSize(), DiscoverPages.MAX_PAGE_SIZE),
                DiscoverPages.MAX_PAGE_SIZE));
        if (!discover.getPageToken().isEmpty()) {
          mapped.add(DiscoverPages.Token.parse(discover.getPageToken()));
        }
      }
      return mapped;
    } else if (request instanceof ListServicesRequest listServices) {
      return List.of(ProtoMapper.toServicesPage(listServices));
    } else if (request instanceof WatchRequest watch) {
      Map<ServiceKey, WatchHub.From> targets = ProtoMapper.toWatchTargets(watch);
      assertEquals(watch.getTargetsCount(), targets.size(), "a Watch target was lost");
      return List.of(targets);
    } else if (request instanceof ClusterStatusRequest) {
      return List.of();
    }
    throw new AssertionError("no mapping for " + request.getDescriptorForType().getFullName());
  }

  /** A page size, and the most it may be. */
  private record PageSize(int pageSize, int max) {}

  /**
   * What a lease id and epoch map to: the registration's key and the epoch, or nothing for a lease
   * id shaped right whose tag the registry never made (answered as an unknown lease, NOT_FOUND).
   */
  private static List<Object> lease(String leaseId, long epoch) {
    long counted = ProtoMapper.counter("epoch", epoch);
    try {
      return List.of(LEASE_IDS.parse("lease_id", leaseId).key(), counted);
    } catch (LeaseIds.UnknownLeaseException unknown) {
      return List.of();
    }
  }

  /** Each part of a mapped value passes its rule again, unchanged: the rules are a fixed point. */
  private static void assertValid(Object mapped) {
    if (mapped instanceof ProtoMapper.Registration registration) {
      assertValid(registration.spec());
      assertTrue(registration.requestedTtlMillis() >= 0, registration::toString);
    } else if (mapped instanceof InstanceKey key) {
      assertValid(key);
      assertEquals(
          key, LEASE_IDS.parse("lease_id", LEASE_IDS.leaseId(key, 1)).key(), "lease id round trip");
    } else if (mapped instanceof Long counter) {
      assertTrue(counter >= 0, "a negative epoch or revision: " + counter);
    } else if (mapped instanceof io.roster.node.domain.InstanceStatus status) {
      assertNotNull(status);
    } else if (mapped instanceof DiscoveryQuery query) {
      assertValid(query);
    } else if (mapped instanceof PageSize page) {
      assertTrue(page.pageSize() >= 0 && page.pageSize() <= page.max(), page::toString);
    } else if (mapped instanceof DiscoverPages.Token token) {
      assertFalse(token.lastId().isEmpty(), token::toString);
    } else if (mapped instanceof ProtoMapper.ServicesPage page) {
      assertEquals(page.namespace(), InstanceValidator.namespace("namespace", page.namespace()));
      assertTrue(
          page.pageSize() >= 1 && page.pageSize() <= DiscoveryGrpcService.MAX_PAGE_SIZE,
          page::toString);
    } else if (mapped instanceof Map<?, ?> targets) {
      assertTrue(
          !targets.isEmpty() && targets.size() <= DiscoveryGrpcService.MAX_WATCH_TARGETS,
          "Watch targets: " + targets.size());
      targets.forEach(
          (service, from) -> {
            assertValid((ServiceKey) service);
            assertTrue(((WatchHub.From) from).revision() >= 0, from::toString);
          });
    } else {
      throw new AssertionError("nothing to check a " + mapped.getClass() + " by");
    }
  }

  /**
   * The refusal's field is a path in {@code type} ({@code instance.ports[http]}, {@code
   * targets[3].service}), and its message is that field, then what is wrong.
   */
  public static void assertNamesAField(Descriptor type, InvalidArgumentException refused) {
    String message = refused.getMessage();
    String field = refused.field();
    assertNotNull(field, "a refusal without a field: " + message);
    assertTrue(message.startsWith(field + ": "), "the message does not start with its field");
    assertTrue(message.length() > field.length() + 2, "the message says nothing beyond its field");
    assertTrue(
        message.length() <= MAX_MESSAGE_CHARS,
        () -> "a message of " + message.length() + " characters: " + message);
    assertPathOf(type, field);
  }

  /** Walks {@code path} through {@code type}: every name a field, {@code [..]} only after one. */
  private static void assertPathOf(Descriptor type, String path) {
    Descriptor current = type;
    FieldDescriptor field = null;
    int at = 0;
    while (at < path.length()) {
      assertNotNull(current, "\"" + path + "\" goes on past a field that is not a message");
      int end = at;
      while (end < path.length() && path.charAt(end) != '.' && path.charAt(end) != '[') {
        end++;
      }
      String name = path.substring(at, end);
      field = current.findFieldByName(name);
      assertNotNull(field, "\"" + path + "\" names no field " + name + " of " + current.getName());
      at = end;
      boolean indexed = false;
      if (at < path.length() && path.charAt(at) == '[') {
        assertTrue(field.isRepeated(), "\"" + path + "\" indexes " + name + ", not repeated");
        int close = path.indexOf(']', at);
        assertTrue(close > at, "\"" + path + "\" has an unclosed [");
        at = close + 1;
        indexed = true;
      }
      current =
          field.getJavaType() == FieldDescriptor.JavaType.MESSAGE
                  && !field.isMapField()
                  && (indexed || !field.isRepeated())
              ? field.getMessageType()
              : null;
      if (at < path.length()) {
        assertEquals('.', path.charAt(at), "\"" + path + "\": no '.' between field names");
        at++;
        assertTrue(at < path.length(), "\"" + path + "\" ends with '.'");
      }
    }
    assertNotNull(field, "an empty field name");
  }

  private static void assertValid(InstanceSpec spec) {
    assertValid(spec.key());
    assertEquals(spec.host(), InstanceValidator.host("host", spec.host()));
    assertEquals(spec.port(), InstanceValidator.port("port", spec.port()));
    assertEquals(spec.ports(), InstanceValidator.namedPorts("ports", spec.ports()));
    assertEquals(spec.weight(), InstanceValidator.weight("weight", spec.weight()));
    assertEquals(spec.zone(), InstanceValidator.zone("zone", spec.zone()));
    assertEquals(spec.version(), InstanceValidator.version("version", spec.version()));
    assertEquals(spec.metadata(), InstanceValidator.metadata("metadata", spec.metadata()));
    assertNotNull(spec.initialStatus());
  }

  private static void assertValid(InstanceKey key) {
    assertValid(key.serviceKey());
    assertEquals(key.instanceId(), InstanceValidator.instanceId("instance_id", key.instanceId()));
  }

  private static void assertValid(ServiceKey key) {
    assertFalse(key.namespace().isEmpty(), "an empty namespace was not made the default");
    assertEquals(key.namespace(), InstanceValidator.namespace("namespace", key.namespace()));
    assertEquals(key.service(), InstanceValidator.service("service", key.service()));
  }

  private static void assertValid(DiscoveryQuery query) {
    assertValid(query.service());
    assertEquals(query.preferredZone(), InstanceValidator.zone("zone", query.preferredZone()));
    assertEquals(
        query.metadataSelector(), InstanceValidator.selector("selector", query.metadataSelector()));
    assertEquals(query.version(), InstanceValidator.version("version", query.version()));
  }
}
