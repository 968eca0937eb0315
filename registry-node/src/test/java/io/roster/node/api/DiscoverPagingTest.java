package io.roster.node.api;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.roster.node.RegistryNode;
import io.roster.node.SingleNode;
import io.roster.node.domain.DiscoveryQuery;
import io.roster.node.domain.ServiceKey;
import io.roster.testing.Instances;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.DiscoverResponse;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.Instance;
import io.roster.v1.RegistryServiceGrpc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Discover in pages over real gRPC on one real node: every page of a listing from one revision,
 * whatever the service does meanwhile, and clear errors for tokens that cannot be served.
 */
@Timeout(120)
class DiscoverPagingTest {

  private static final int INSTANCES = 23;

  private static RegistryNode node;
  private static ManagedChannel channel;
  private static RegistryServiceGrpc.RegistryServiceBlockingStub registry;
  private static DiscoveryServiceGrpc.DiscoveryServiceBlockingStub discovery;

  private final String service = "paged-" + UUID.randomUUID().toString().substring(0, 8);

  @BeforeAll
  static void startNode() {
    node = SingleNode.start("paging-test");
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", node.apiPort()).usePlaintext().build();
    registry = RegistryServiceGrpc.newBlockingStub(channel).withDeadlineAfter(1, TimeUnit.MINUTES);
    discovery =
        DiscoveryServiceGrpc.newBlockingStub(channel).withDeadlineAfter(1, TimeUnit.MINUTES);
  }

  @AfterAll
  static void stopNode() {
    channel.shutdownNow();
    node.stop();
  }

  @BeforeEach
  void registerService() {
    for (int i = 0; i < INSTANCES; i++) {
      register(String.format("i%02d", i));
    }
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> discover(request()).getInstancesCount() == INSTANCES);
  }

  @Test
  void pagesHoldEveryInstanceOnceInIdOrderAndTheLastHasNoToken() {
    List<DiscoverResponse> pages = allPages(request().setPageSize(5));

    assertEquals(5, pages.size());
    List<String> ids = new ArrayList<>();
    for (DiscoverResponse page : pages) {
      assertTrue(page.getInstancesCount() <= 5);
      assertEquals(pages.get(0).getRevision(), page.getRevision());
      page.getInstancesList().forEach(instance -> ids.add(instance.getInstanceId()));
    }
    assertTrue(pages.get(pages.size() - 1).getNextPageToken().isEmpty());
    assertEquals(expectedIds(INSTANCES), ids);
  }

  @Test
  void theRestOfAListingComesFromTheFirstPagesRevisionWhileTheServiceChanges() {
    DiscoverResponse first = discover(request().setPageSize(10));
    register("a-new-one"); // sorts first: a listing of the current revision would show it
    deregister("i15"); // on the next page: a listing of the current revision would lack it
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> discover(request()).getRevision() > first.getRevision());

    List<String> ids = new ArrayList<>();
    first.getInstancesList().forEach(instance -> ids.add(instance.getInstanceId()));
    String token = first.getNextPageToken();
    while (!token.isEmpty()) {
      DiscoverResponse page = discover(request().setPageSize(10).setPageToken(token));
      assertEquals(first.getRevision(), page.getRevision());
      page.getInstancesList().forEach(instance -> ids.add(instance.getInstanceId()));
      token = page.getNextPageToken();
    }

    assertEquals(expectedIds(INSTANCES), ids);
  }

  @Test
  void aTokenWithoutPageSizeGetsTheRestInOneAnswer() {
    DiscoverResponse first = discover(request().setPageSize(20));
    DiscoverResponse rest = discover(request().setPageToken(first.getNextPageToken()));

    assertEquals(INSTANCES - 20, rest.getInstancesCount());
    assertTrue(rest.getNextPageToken().isEmpty());
  }

  @Test
  void anUnpagedAnswerHasNoToken() {
    DiscoverResponse all = discover(request());

    assertEquals(INSTANCES, all.getInstancesCount());
    assertTrue(all.getNextPageToken().isEmpty());
  }

  @Test
  void aRevisionThisNodeNoLongerHoldsIsAbortedSayingToStartAgain() {
    DiscoverResponse first = discover(request().setPageSize(5));
    register("moves-the-service-on");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> discover(request()).getRevision() > first.getRevision());
    DiscoveryQuery query =
        new DiscoveryQuery(new ServiceKey("default", service), "", Map.of(), false, "");

    // The page this node holds is still served...
    assertEquals(
        first.getRevision(),
        discover(request().setPageSize(5).setPageToken(first.getNextPageToken())).getRevision());
    // ... but a revision it does not hold, once the service moved on, is not.
    StatusRuntimeException refused =
        assertThrows(
            StatusRuntimeException.class,
            () -> discover(request().setPageSize(5).setPageToken(tokenAtRevision(first, query))));
    assertEquals(Status.Code.ABORTED, refused.getStatus().getCode());
    assertTrue(
        refused.getStatus().getDescription().contains("start again from the first page"),
        refused.getStatus().getDescription());
  }

  @Test
  void badTokensAndSizesAreInvalidArgumentsNamingTheField() {
    DiscoverResponse first = discover(request().setPageSize(5));

    assertInvalid(request().setPageSize(DiscoverPages.MAX_PAGE_SIZE + 1), "page_size");
    assertInvalid(request().setPageSize(-1), "page_size"); // 2^32 - 1 on the wire
    assertInvalid(request().setPageSize(5).setPageToken("not a token"), "page_token");
    assertInvalid(request().setPageSize(5).setPageToken("bm9wZQ"), "page_token"); // "nope"
    assertInvalid(
        request().setPageSize(5).setPageToken(first.getNextPageToken()).setVersion("2.0"),
        "page_token");
    assertFalse(
        discover(request().setPageSize(DiscoverPages.MAX_PAGE_SIZE)).getInstancesList().isEmpty());
  }

  /**
   * What a node that never served the first page is asked for: a revision below the first page's,
   * which this node never held for a listing and the service has moved on from.
   */
  private static String tokenAtRevision(DiscoverResponse first, DiscoveryQuery query) {
    return new DiscoverPages.Token(
            first.getIncarnation(),
            first.getRevision() - 1,
            DiscoverPages.queryHash(query),
            first.getInstances(4).getInstanceId())
        .encode();
  }

  private void assertInvalid(DiscoverRequest.Builder request, String field) {
    StatusRuntimeException refused =
        assertThrows(StatusRuntimeException.class, () -> discover(request));
    assertEquals(Status.Code.INVALID_ARGUMENT, refused.getStatus().getCode());
    assertTrue(
        refused.getStatus().getDescription().contains(field), refused.getStatus().getDescription());
  }

  private List<DiscoverResponse> allPages(DiscoverRequest.Builder request) {
    List<DiscoverResponse> pages = new ArrayList<>();
    String token = "";
    do {
      DiscoverResponse page = discover(request.setPageToken(token));
      pages.add(page);
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    return pages;
  }

  private DiscoverRequest.Builder request() {
    return DiscoverRequest.newBuilder().setService(service);
  }

  private static DiscoverResponse discover(DiscoverRequest.Builder request) {
    return discovery.discover(request.build());
  }

  private void register(String id) {
    Instance.Builder instance = Instances.of(service).setInstanceId(id);
    registry.register(Instances.register(instance));
  }

  private void deregister(String id) {
    registry.deregister(
        io.roster.v1.DeregisterRequest.newBuilder()
            .setKey(io.roster.v1.InstanceKey.newBuilder().setService(service).setInstanceId(id))
            .build());
  }

  private static List<String> expectedIds(int count) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      ids.add(String.format("i%02d", i));
    }
    return ids;
  }
}
