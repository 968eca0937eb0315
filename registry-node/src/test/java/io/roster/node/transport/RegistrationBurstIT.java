package io.roster.node.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.roster.testing.Instances;
import io.roster.testing.NodeProcess;
import io.roster.testing.RosterCluster;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.DiscoverResponse;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.HeartbeatRequest;
import io.roster.v1.HeartbeatResponse;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A client registering 1,000 instances with 32 calls in flight on one connection, each instance
 * heartbeating once registered, Discover polled meanwhile: the node must answer every call on the
 * same connection and log no error. Before, the node closed the client's connection in most runs,
 * failing every call in flight at once, and logged a NullPointerException for each open stream.
 */
@Timeout(300)
class RegistrationBurstIT {

  private static final int INSTANCES = 1_000;
  private static final int IN_FLIGHT = 32;

  private static final java.util.concurrent.ExecutorService LATER =
      java.util.concurrent.Executors.newFixedThreadPool(2);

  private static RosterCluster cluster;

  @BeforeAll
  static void startNode() {
    cluster = RosterCluster.start(1);
  }

  @AfterAll
  static void stopNode() {
    LATER.shutdownNow();
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void aRegistrationBurstLosesNoConnectionAndLogsNoError() throws Exception {
    NodeProcess node = cluster.node(0);
    long logBefore = Files.size(node.logFile());
    ManagedChannel channel =
        NettyChannelBuilder.forAddress(node.host(), node.apiPort()).usePlaintext().build();
    try {
      Map<String, AtomicInteger> failures = new TreeMap<>();
      Map<String, AtomicInteger> failuresSeen = new ConcurrentHashMap<>();
      ConcurrentLinkedQueue<String> firstFailures = new ConcurrentLinkedQueue<>();
      Semaphore inFlight = new Semaphore(IN_FLIGHT);
      int calls = INSTANCES * 2 + INSTANCES / 10;
      CountDownLatch done = new CountDownLatch(calls);
      RegistryServiceGrpc.RegistryServiceStub registry = RegistryServiceGrpc.newStub(channel);
      DiscoveryServiceGrpc.DiscoveryServiceStub discovery = DiscoveryServiceGrpc.newStub(channel);
      for (int i = 0; i < INSTANCES; i++) {
        inFlight.acquire();
        registry
            .withDeadlineAfter(30, TimeUnit.SECONDS)
            .register(
                Instances.register(Instances.of("burst").setZone("z" + i % 3)),
                new Answer<RegisterResponse>(inFlight, done, failuresSeen, firstFailures) {
                  @Override
                  public void onNext(RegisterResponse registered) {
                    // Heartbeats start as soon as an instance is registered, as a client's do.
                    if (inFlight.tryAcquire()) {
                      heartbeat(registry, registered, inFlight, done, failuresSeen, firstFailures);
                    } else {
                      heartbeatLater(
                          registry, registered, inFlight, done, failuresSeen, firstFailures);
                    }
                  }
                });
        if (i % 10 == 0) {
          inFlight.acquire();
          discovery
              .withDeadlineAfter(30, TimeUnit.SECONDS)
              .discover(
                  DiscoverRequest.newBuilder().setService("burst").build(),
                  new Answer<DiscoverResponse>(inFlight, done, failuresSeen, firstFailures));
        }
      }
      assertTrue(done.await(120, TimeUnit.SECONDS), "calls still unanswered: " + done.getCount());
      failures.putAll(failuresSeen);
      assertEquals(Map.of(), failures, "calls that failed, first ones: " + firstFailures);
    } finally {
      channel.shutdownNow();
    }
    String log = new String(Files.readAllBytes(node.logFile())).substring((int) logBefore);
    List<String> problems =
        log.lines()
            .filter(
                line ->
                    line.contains(" ERROR ")
                        || line.contains(" WARN ")
                        || line.contains("Exception")
                        || line.contains("connection from"))
            .limit(20)
            .toList();
    assertEquals(List.of(), problems, "the node logged problems during the burst");
  }

  /**
   * The trigger of the closed connections: a client whose deadline passes while the node's answer
   * still waits for HTTP/2 flow-control window resets that stream, and Vert.x closed the whole
   * connection on the resulting stream error (see StreamErrorGuard). Discover answers of 1,000
   * instances, 64 in flight, half of them with deadlines of a few tens of milliseconds: the short
   * ones may fail with DEADLINE_EXCEEDED, nothing may fail otherwise, no connection may close and
   * nothing may be logged as an error.
   */
  @Test
  void deadlinesPassingWhileAnswersWaitForWindowLoseNoConnection() throws Exception {
    NodeProcess node = cluster.node(0);
    ManagedChannel channel =
        NettyChannelBuilder.forAddress(node.host(), node.apiPort()).usePlaintext().build();
    try {
      RegistryServiceGrpc.RegistryServiceBlockingStub registry =
          RegistryServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
      for (int i = 0; i < INSTANCES; i++) {
        registry.register(Instances.register(Instances.of("flood")));
      }
      long logBefore = Files.size(node.logFile());
      Map<String, AtomicInteger> failuresSeen = new ConcurrentHashMap<>();
      ConcurrentLinkedQueue<String> firstFailures = new ConcurrentLinkedQueue<>();
      int calls = 2_000;
      Semaphore inFlight = new Semaphore(64);
      CountDownLatch done = new CountDownLatch(calls);
      DiscoveryServiceGrpc.DiscoveryServiceStub discovery = DiscoveryServiceGrpc.newStub(channel);
      for (int i = 0; i < calls; i++) {
        inFlight.acquire();
        discovery
            .withDeadlineAfter(i % 2 == 0 ? 30_000 : 20 + i % 50, TimeUnit.MILLISECONDS)
            .discover(
                DiscoverRequest.newBuilder().setService("flood").build(),
                new Answer<DiscoverResponse>(inFlight, done, failuresSeen, firstFailures));
      }
      assertTrue(done.await(120, TimeUnit.SECONDS), "calls still unanswered: " + done.getCount());
      Map<String, AtomicInteger> failures = new TreeMap<>(failuresSeen);
      failures.remove("DEADLINE_EXCEEDED");
      assertEquals(Map.of(), failures, "calls that failed, first ones: " + firstFailures);
      String log = new String(Files.readAllBytes(node.logFile())).substring((int) logBefore);
      assertEquals(
          List.of(),
          log.lines()
              .filter(line -> line.contains("connection from") || line.contains(" ERROR "))
              .limit(10)
              .toList(),
          "the node closed connections or logged errors");
    } finally {
      channel.shutdownNow();
    }
  }

  private static void heartbeatLater(
      RegistryServiceGrpc.RegistryServiceStub registry,
      RegisterResponse registered,
      Semaphore inFlight,
      CountDownLatch done,
      Map<String, AtomicInteger> failures,
      ConcurrentLinkedQueue<String> firstFailures) {
    // Not on the transport's thread: acquiring may wait for an answer that thread must deliver.
    LATER.execute(
        () -> {
          inFlight.acquireUninterruptibly();
          heartbeat(registry, registered, inFlight, done, failures, firstFailures);
        });
  }

  private static void heartbeat(
      RegistryServiceGrpc.RegistryServiceStub registry,
      RegisterResponse registered,
      Semaphore inFlight,
      CountDownLatch done,
      Map<String, AtomicInteger> failures,
      ConcurrentLinkedQueue<String> firstFailures) {
    registry
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .heartbeat(
            HeartbeatRequest.newBuilder()
                .setLeaseId(registered.getLeaseId())
                .setEpoch(registered.getEpoch())
                .build(),
            new Answer<HeartbeatResponse>(inFlight, done, failures, firstFailures));
  }

  /** Releases its slot and counts the call when it ends; records failures by status code. */
  private static class Answer<T> implements StreamObserver<T> {
    private final Semaphore inFlight;
    private final CountDownLatch done;
    private final Map<String, AtomicInteger> failures;
    private final ConcurrentLinkedQueue<String> firstFailures;

    Answer(
        Semaphore inFlight,
        CountDownLatch done,
        Map<String, AtomicInteger> failures,
        ConcurrentLinkedQueue<String> firstFailures) {
      this.inFlight = inFlight;
      this.done = done;
      this.failures = failures;
      this.firstFailures = firstFailures;
    }

    @Override
    public void onNext(T value) {}

    @Override
    public void onError(Throwable t) {
      failures
          .computeIfAbsent(
              io.grpc.Status.fromThrowable(t).getCode().name(), c -> new AtomicInteger())
          .incrementAndGet();
      if (firstFailures.size() < 5
          && io.grpc.Status.fromThrowable(t).getCode() != io.grpc.Status.Code.DEADLINE_EXCEEDED) {
        firstFailures.add(t.toString());
      }
      inFlight.release();
      done.countDown();
    }

    @Override
    public void onCompleted() {
      inFlight.release();
      done.countDown();
    }
  }
}
