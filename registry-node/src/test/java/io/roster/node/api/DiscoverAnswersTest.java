package io.roster.node.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import io.roster.node.domain.DiscoveryQuery;
import io.roster.node.domain.Incarnation;
import io.roster.node.domain.InstanceKey;
import io.roster.node.domain.InstanceRecord;
import io.roster.node.domain.InstanceSpec;
import io.roster.node.domain.InstanceStatus;
import io.roster.node.domain.LeaseCondition;
import io.roster.node.domain.ServiceKey;
import io.roster.node.store.InMemoryRegistryStore;
import io.roster.node.view.LocalView;
import io.roster.testing.Instances;
import io.roster.testing.ManualClock;
import io.roster.v1.DiscoverResponse;
import io.roster.v1.Instance;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Discover answer cache over a real {@link LocalView} of an in-memory store: answers are the
 * freshly built ones byte for byte, are reused only while the view stays, and are never shared
 * between query shapes.
 */
@Timeout(60)
class DiscoverAnswersTest {

  private static final Incarnation INCARNATION = Incarnation.fixed(1);

  private static final long TTL_MILLIS = 60_000;
  private static final ServiceKey ORDERS = new ServiceKey("default", "orders");

  private final ManualClock clock = new ManualClock();
  private final InMemoryRegistryStore store = new InMemoryRegistryStore(clock);
  private final LocalView view = new LocalView(store);
  private final DiscoverAnswers answers =
      new DiscoverAnswers(view, INCARNATION, DiscoverAnswers.DEFAULT_MAX_BYTES);

  /** a, b: serving; c: OUT_OF_SERVICE; d: unhealthy. */
  @BeforeEach
  void registerOrders() {
    done(view.start());
    register(instance("a").setZone("zone-a").setVersion("1.0").putMetadata("team", "payments"));
    register(instance("b").setZone("zone-b").setVersion("2.0"));
    register(instance("c").setZone("zone-a").setVersion("1.0"));
    long epoch = register(instance("d").setZone("zone-b").setVersion("2.0")).epoch();
    done(store.setStatus(key("c"), InstanceStatus.OUT_OF_SERVICE, 0));
    long last =
        done(store.setLeaseCondition(key("d"), epoch, LeaseCondition.expired(clock.millis(), 1)))
            .revision();
    awaitView(last);
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  @Test
  void cachedAnswerIsTheFreshlyBuiltOneByteForByte() {
    for (DiscoveryQuery query : shapes()) {
      EncodedMessage first = answers.answer(query);
      EncodedMessage second = answers.answer(query);

      assertEquals(
          DiscoverAnswers.build(view.get(ORDERS), query, INCARNATION.current()).toByteString(),
          first.bytes());
      assertSame(first, second, "the second call is served from the cache: " + query);
    }
  }

  @Test
  void eachQueryShapeHasAnAnswerOfItsOwn() {
    assertEquals(List.of("a", "b"), ids(answers.answer(query("", Map.of(), false, ""))));
    assertEquals(List.of("a", "b", "c", "d"), ids(answers.answer(query("", Map.of(), true, ""))));
    assertEquals(List.of("a"), ids(answers.answer(query("zone-a", Map.of(), false, ""))));
    assertEquals(List.of("a", "c"), ids(answers.answer(query("zone-a", Map.of(), true, ""))));
    assertEquals(
        List.of("a"), ids(answers.answer(query("", Map.of("team", "payments"), false, ""))));
    assertEquals(List.of("b"), ids(answers.answer(query("", Map.of(), false, "2.0"))));
    assertEquals(
        List.of("a", "b"), ids(answers.answer(query("zone-c", Map.of(), false, "")))); // fallback
    assertTrue(decode(answers.answer(query("zone-c", Map.of(), false, ""))).getZoneFallback());

    Set<EncodedMessage> distinct = new HashSet<>();
    for (DiscoveryQuery query : shapes()) {
      assertTrue(distinct.add(answers.answer(query)), "an answer shared by two shapes: " + query);
    }
    assertEquals(shapes().size(), answers.size());
  }

  @Test
  void registeringReplacesTheAnswer() {
    assertAnswerMoves(() -> store.register(spec(instance("e").setZone("zone-a")), TTL_MILLIS));
  }

  @Test
  void deregisteringReplacesTheAnswer() {
    assertAnswerMoves(() -> store.deregister(key("b"), 0));
  }

  @Test
  void statusChangeReplacesTheAnswer() {
    assertAnswerMoves(() -> store.setStatus(key("a"), InstanceStatus.DRAINING, 0));
    assertAnswerMoves(() -> store.setStatus(key("a"), InstanceStatus.OUT_OF_SERVICE, 0));
  }

  @Test
  void healthChangeReplacesTheAnswer() {
    long epoch = view.get(ORDERS).find("b").epoch();
    assertAnswerMoves(
        () -> store.setLeaseCondition(key("b"), epoch, LeaseCondition.expired(clock.millis(), 1)));
  }

  @Test
  void neverAnAnswerOlderThanTheViewAlreadyHeld() throws Exception {
    AtomicBoolean writing = new AtomicBoolean(true);
    Thread writer =
        new Thread(
            () -> {
              for (int i = 0; i < 200; i++) {
                done(store.register(spec(instance("w" + i)), TTL_MILLIS));
              }
              writing.set(false);
            });
    writer.start();
    DiscoveryQuery query = query("", Map.of(), false, "");
    int checks = 0;
    while (writing.get() || checks == 0) {
      long held = view.get(ORDERS).revision();
      DiscoverResponse answer = decode(answers.answer(query));
      assertTrue(answer.getRevision() >= held, answer.getRevision() + " < " + held);
      checks++;
    }
    writer.join();
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertEquals(
                    DiscoverAnswers.build(view.get(ORDERS), query, INCARNATION.current())
                        .toByteString(),
                    answers.answer(query).bytes()));
  }

  @Test
  void servicesNeverSeenAreAnsweredButNotKept() {
    DiscoveryQuery query =
        new DiscoveryQuery(new ServiceKey("default", "nobody"), "", Map.of(), false, "");

    DiscoverResponse answer = decode(answers.answer(query));

    assertEquals(0, answer.getRevision());
    assertEquals(0, answer.getInstancesCount());
    answers.answer(query);
    assertEquals(0, answers.size());
  }

  @Test
  void answersStayWithinTheirByteBound() {
    long oneAnswer = answers.answer(query("", Map.of(), true, "")).size();
    long bound = 4 * (oneAnswer + DiscoverAnswers.ENTRY_OVERHEAD_BYTES + 64);
    DiscoverAnswers small = new DiscoverAnswers(view, INCARNATION, bound);

    for (int i = 0; i < 100; i++) {
      DiscoveryQuery query = query("zone-" + i, Map.of(), true, "");
      assertEquals(
          DiscoverAnswers.build(view.get(ORDERS), query, INCARNATION.current()).toByteString(),
          small.answer(query).bytes());
      assertTrue(small.weight() <= bound, small.weight() + " > " + bound);
    }
    assertTrue(small.size() >= 1 && small.size() <= 4, "holds " + small.size());
  }

  /** Runs {@code change}, waits for the view to move, and checks that the answer moved with it. */
  private void assertAnswerMoves(Supplier<CompletionStage<?>> change) {
    Map<DiscoveryQuery, EncodedMessage> before = new HashMap<>();
    for (DiscoveryQuery query : shapes()) {
      before.put(query, answers.answer(query));
    }
    long revision = view.get(ORDERS).revision();

    done(change.get());
    awaitView(revision + 1);

    for (DiscoveryQuery query : shapes()) {
      EncodedMessage after = answers.answer(query);
      assertNotSame(before.get(query), after, "an answer of the previous view: " + query);
      assertEquals(
          DiscoverAnswers.build(view.get(ORDERS), query, INCARNATION.current()).toByteString(),
          after.bytes());
      assertEquals(view.get(ORDERS).revision(), decode(after).getRevision());
      assertNotEquals(decode(before.get(query)).getRevision(), decode(after).getRevision());
    }
  }

  private static List<DiscoveryQuery> shapes() {
    List<DiscoveryQuery> shapes = new ArrayList<>();
    for (boolean includeUnhealthy : List.of(false, true)) {
      shapes.add(query("", Map.of(), includeUnhealthy, ""));
      shapes.add(query("zone-a", Map.of(), includeUnhealthy, ""));
      shapes.add(query("zone-c", Map.of(), includeUnhealthy, ""));
      shapes.add(query("", Map.of("team", "payments"), includeUnhealthy, ""));
      shapes.add(query("", Map.of(), includeUnhealthy, "2.0"));
      shapes.add(query("zone-b", Map.of(), includeUnhealthy, "2.0"));
    }
    return shapes;
  }

  private static DiscoveryQuery query(
      String zone, Map<String, String> selector, boolean includeUnhealthy, String version) {
    return new DiscoveryQuery(ORDERS, zone, selector, includeUnhealthy, version);
  }

  private static Instance.Builder instance(String id) {
    return Instances.of(ORDERS.service()).setInstanceId(id);
  }

  private static InstanceKey key(String id) {
    return new InstanceKey(ORDERS.namespace(), ORDERS.service(), id);
  }

  private static InstanceSpec spec(Instance.Builder instance) {
    return ProtoMapper.toSpec(instance.build());
  }

  private InstanceRecord register(Instance.Builder instance) {
    return done(store.register(spec(instance), TTL_MILLIS)).record();
  }

  /** Waits until the view holds {@code revision} or a later one. */
  private void awaitView(long revision) {
    await().atMost(Duration.ofSeconds(10)).until(() -> view.get(ORDERS).revision() >= revision);
  }

  private static <T> T done(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("store call failed", e);
    }
  }

  private static DiscoverResponse decode(EncodedMessage message) {
    try {
      return DiscoverResponse.parseFrom(message.bytes());
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  private static List<String> ids(EncodedMessage message) {
    return decode(message).getInstancesList().stream()
        .map(Instance::getInstanceId)
        .collect(Collectors.toList());
  }
}
