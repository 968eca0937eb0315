package io.roster.dist;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.roster.client.Registration;
import io.roster.client.RegistrationState;
import io.roster.client.RosterClient;
import io.roster.client.RosterClientOptions;
import io.roster.client.ServiceInstance;
import io.roster.testing.FreePorts;
import io.roster.v1.ChangeType;
import io.roster.v1.DiscoverResponse;
import io.roster.v1.HealthState;
import io.roster.v1.Instance;
import io.roster.v1.InstanceChange;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * An upgrade done as docs/deploy.md says: the three nodes of a cluster started from the tarball
 * (static member list) are restarted one at a time, each stopped with SIGTERM and started again
 * with the same command, the next only once the restarted one is ready ({@code bin/roster status}
 * on it sees three members), while {@value #INSTANCES} instances keep their leases alive through
 * the Java client (three clients, each starting on a different node, at the node's default TTL of
 * 10 s). No lease may be lost: no instance declared expired or removed, as a {@code bin/roster
 * watch} following the service across the restarts reports, no registration registered again, and
 * every instance healthy on every node at the end.
 *
 * <p>Prints the figures docs/deploy.md ("Upgrades and restarts") quotes.
 */
@Timeout(240)
class RollingRestartIT {

  static final int INSTANCES = 300;
  private static final int CLIENTS = 3;
  private static final String SERVICE = "rolling";
  private static final JsonFormat.Parser JSON = JsonFormat.parser().ignoringUnknownFields();

  /** The node's default lease TTL: a lease not renewed for this long would be declared expired. */
  private static final Duration LEASE_TTL = Duration.ofSeconds(10);

  /** When one registration left ACTIVE, and its longest spell away from it so far. */
  private final Map<String, Long> leftActiveAt = new ConcurrentHashMap<>();

  private final AtomicLong longestSpellNanos = new AtomicLong();
  private final AtomicInteger reconnecting = new AtomicInteger();
  private final List<String> lost = new CopyOnWriteArrayList<>();

  @Test
  void restartingEveryNodeInTurnLosesNoLease(@TempDir Path dir) throws Exception {
    long testStarted = System.nanoTime();
    try (Tarball tarball = Tarball.unpack(dir)) {
      String cluster = "rolling-" + UUID.randomUUID().toString().substring(0, 8);
      List<Integer> memberPorts = List.of(FreePorts.next(), FreePorts.next(), FreePorts.next());
      List<Integer> apiPorts = List.of(FreePorts.next(), FreePorts.next(), FreePorts.next());
      String members =
          String.join(", ", memberPorts.stream().map(port -> "127.0.0.1:" + port).toList());
      for (int i = 1; i <= 3; i++) {
        tarball.addNode(
            "node" + i,
            "127.0.0.1",
            apiPorts.get(i - 1),
            0,
            """
            # Loopback only, where no one else can reach the ports: TLS, caller checks and the
            # cluster secret are tested in registry-node; here the subject is the restarts.
            security.insecure: true
            # The instances stand for 300 processes on as many hosts; from the test's one address
            # they would be one caller, held to one caller's write rate.
            limits.enabled: false
            node.name: node%d
            cluster:
              name: %s
              host: 127.0.0.1
              port: %d
              members: [%s]
              join-wait-s: 1
            api:
              host: 127.0.0.1
              port: %d
              event-loops: 1
            log.format: text
            """
                .formatted(i, cluster, memberPorts.get(i - 1), members, apiPorts.get(i - 1)),
            "");
      }
      try {
        run(tarball, dir, testStarted);
      } catch (Throwable t) {
        tarball.printLogs();
        throw t;
      }
    }
  }

  private void run(Tarball tarball, Path dir, long testStarted) throws Exception {
    long formingStarted = System.nanoTime();
    tarball.nodes().forEach(Tarball.Node::start);
    for (Tarball.Node node : tarball.nodes()) {
      tarball.awaitMembers(node, 3);
    }
    double formedSeconds = seconds(System.nanoTime() - formingStarted);

    Path watchOut = dir.resolve("watch.jsonl");
    Process watch =
        tarball.startCli(watchOut, "--target", tarball.targets(), "watch", "--service", SERVICE);
    List<RosterClient> clients = new ArrayList<>();
    List<Registration> registrations = new ArrayList<>();
    Map<String, Long> firstEpochs = new ConcurrentHashMap<>();
    try {
      for (int c = 0; c < CLIENTS; c++) {
        // Client c starts on node c+1: each node's restart breaks some client's stream.
        List<String> nodes = new ArrayList<>();
        for (int n = 0; n < 3; n++) {
          nodes.add(tarball.node((c + n) % 3).apiAddress());
        }
        clients.add(
            RosterClient.create(
                RosterClientOptions.defaults()
                    .nodes(nodes)
                    .drainDelay(Duration.ZERO)
                    .shutdownHook(false)
                    .build()));
      }
      for (int i = 0; i < INSTANCES; i++) {
        Registration registration =
            clients
                .get(i % CLIENTS)
                .register(
                    ServiceInstance.builder(SERVICE, "10.7." + (i / 250) + "." + (i % 250), 8080)
                        .instanceId(SERVICE + "-" + i)
                        .build());
        registration.addListener((r, state, reason) -> stateChanged(r, state, reason));
        registrations.add(registration);
        firstEpochs.put(registration.instanceId(), registration.epoch());
      }
      for (Tarball.Node node : tarball.nodes()) {
        awaitAllHealthy(tarball, node);
      }
      await("the watch has every instance")
          .atMost(Duration.ofSeconds(30))
          .until(() -> count(changes(watchOut), ChangeType.CHANGE_TYPE_ADDED) >= INSTANCES);

      List<String> restarts = new ArrayList<>();
      long restartsStarted = System.nanoTime();
      for (Tarball.Node node : tarball.nodes()) {
        long stopping = System.nanoTime();
        int code = node.stop(Duration.ofSeconds(90));
        long stopped = System.nanoTime();
        assertEquals(143, code, node.name() + " exit code after SIGTERM");
        node.start();
        tarball.awaitMembers(node, 3);
        long ready = System.nanoTime();
        restarts.add(
            String.format(
                Locale.ROOT,
                "%s: stop %.1f s, start to ready %.1f s",
                node.name(),
                seconds(stopped - stopping),
                seconds(ready - stopped)));
      }
      double restartsSeconds = seconds(System.nanoTime() - restartsStarted);

      // A lease that went unrenewed during the last restart would be declared expired one TTL
      // after its last renewal, and seen within the eviction sweep (0.5 s): watch that long.
      await("no instance expired or removed for one lease TTL after the last restart")
          .during(LEASE_TTL.plusSeconds(2))
          .atMost(LEASE_TTL.plusSeconds(10))
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(
              () ->
                  assertEquals(
                      List.of(),
                      expiredOrRemoved(changes(watchOut)),
                      "instances the watch saw expire or go"));
      for (Tarball.Node node : tarball.nodes()) {
        awaitAllHealthy(tarball, node);
      }
      List<InstanceChange> changes = changes(watchOut);
      List<String> expiredOrRemoved = expiredOrRemoved(changes);
      List<String> reRegistered = new ArrayList<>();
      for (Registration registration : registrations) {
        long firstEpoch = firstEpochs.get(registration.instanceId());
        if (registration.epoch() != firstEpoch
            || registration.state() != RegistrationState.ACTIVE) {
          reRegistered.add(
              registration.instanceId()
                  + " epoch "
                  + registration.epoch()
                  + " (first "
                  + firstEpoch
                  + ") "
                  + registration.state());
        }
      }

      String figures =
          String.format(
              Locale.ROOT,
              "RollingRestartIT: %d instances, %d clients, lease TTL %d s, three nodes from the"
                  + " tarball on one 2-core machine%n"
                  + "  cluster formed in %.1f s%n"
                  + "  %s%n"
                  + "  three restarts in %.1f s; test %.1f s in all%n"
                  + "  registrations that went RECONNECTING (a broken KeepAlive stream): %d;"
                  + " longest spell without an answered renewal after a break: %d ms%n"
                  + "  watch: %d changes, %d expired or removed; registrations registered again"
                  + " or not ACTIVE: %d; lost: %d",
              INSTANCES,
              CLIENTS,
              LEASE_TTL.toSeconds(),
              formedSeconds,
              String.join("\n  ", restarts),
              restartsSeconds,
              seconds(System.nanoTime() - testStarted),
              reconnecting.get(),
              TimeUnit.NANOSECONDS.toMillis(longestSpellNanos.get()),
              changes.size(),
              expiredOrRemoved.size(),
              reRegistered.size(),
              lost.size());
      System.out.println(figures);
      Files.writeString(Path.of("target", "rolling-restart-figures.txt"), figures + "\n");

      assertEquals(List.of(), expiredOrRemoved, "instances the watch saw expire or go");
      assertEquals(List.of(), reRegistered, "registrations whose lease was lost");
      assertEquals(List.of(), lost);
      assertTrue(watch.isAlive(), "bin/roster watch gave up during the restarts");
    } finally {
      // Closing deregisters: after the assertions, so the removals never count.
      clients.forEach(RosterClient::close);
      watch.destroy();
      watch.waitFor(15, TimeUnit.SECONDS);
      for (Tarball.Node node : tarball.nodes()) {
        if (node.isAlive()) {
          node.stop(Duration.ofSeconds(90));
        }
      }
    }
  }

  private void stateChanged(Registration registration, RegistrationState state, String reason) {
    long now = System.nanoTime();
    switch (state) {
      case RECONNECTING -> {
        reconnecting.incrementAndGet();
        leftActiveAt.putIfAbsent(registration.instanceId(), now);
        if (reason.contains("registering again")) {
          lost.add(registration.instanceId() + ": " + reason);
        }
      }
      case ACTIVE -> {
        Long left = leftActiveAt.remove(registration.instanceId());
        if (left != null) {
          longestSpellNanos.accumulateAndGet(now - left, Math::max);
        }
      }
      case LOST -> lost.add(registration.instanceId() + ": " + reason);
      default -> {}
    }
  }

  /** Waits until {@code bin/roster discover} on {@code node} lists every instance, healthy. */
  private static void awaitAllHealthy(Tarball tarball, Tarball.Node node) {
    await(node.name() + " lists all " + INSTANCES + " instances healthy")
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofSeconds(1))
        .untilAsserted(
            () -> {
              Tarball.Result result =
                  tarball.cli(
                      "--target",
                      node.apiAddress(),
                      "discover",
                      "--service",
                      SERVICE,
                      "--include-unhealthy");
              assertEquals(0, result.code(), result.stderr());
              DiscoverResponse.Builder answer = DiscoverResponse.newBuilder();
              JSON.merge(result.stdout().strip(), answer);
              long healthy =
                  answer.getInstancesList().stream()
                      .map(Instance::getHealth)
                      .filter(HealthState.HEALTH_STATE_HEALTHY::equals)
                      .count();
              assertEquals(INSTANCES, answer.getInstancesCount(), "instances listed");
              assertEquals(INSTANCES, healthy, "healthy instances");
            });
  }

  /** The changes that declare an instance expired (unhealthy) or remove it. */
  private static List<String> expiredOrRemoved(List<InstanceChange> changes) {
    List<String> found = new ArrayList<>();
    for (InstanceChange change : changes) {
      boolean removed = change.getType() == ChangeType.CHANGE_TYPE_REMOVED;
      boolean expired =
          change.getType() == ChangeType.CHANGE_TYPE_HEALTH_CHANGED
              && change.getInstance().getHealth() != HealthState.HEALTH_STATE_HEALTHY;
      if (removed || expired) {
        found.add(change.getType() + " " + change.getInstance().getInstanceId());
      }
    }
    return found;
  }

  /** Every line {@code bin/roster watch} printed so far: one InstanceChange each. */
  private static List<InstanceChange> changes(Path out) throws IOException {
    List<InstanceChange> changes = new ArrayList<>();
    for (String line : Files.readAllLines(out)) {
      if (line.isBlank()) {
        continue;
      }
      InstanceChange.Builder change = InstanceChange.newBuilder();
      try {
        JSON.merge(line, change);
      } catch (InvalidProtocolBufferException e) {
        continue; // a line being written
      }
      changes.add(change.build());
    }
    return Collections.unmodifiableList(changes);
  }

  private static long count(List<InstanceChange> changes, ChangeType type) {
    return changes.stream().filter(change -> change.getType() == type).count();
  }

  private static double seconds(long nanos) {
    return nanos / 1e9;
  }
}
