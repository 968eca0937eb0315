package io.roster.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.roster.node.http.NodeScript;
import io.roster.node.http.Repository;
import io.roster.testing.RosterCluster;
import io.roster.v1.Instance;
import io.roster.v1.RegisterRequest;
import io.roster.v1.RegistryServiceGrpc;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A client with no .proto file at hand: docs/examples/reflection (Node.js, {@code
 * grpc-js-reflection-client}) lists a real node's services by server reflection, builds the
 * Discover client from the descriptors it is sent, and calls it, once through {@code
 * grpc.reflection.v1alpha} (that library's default, and many tools') and once through {@code v1}.
 *
 * <p>Needs {@code node} and {@code npm} and the npm registry for {@code npm ci}; skips, saying so,
 * only when node or npm is missing.
 */
@Timeout(600)
class ReflectionClientIT {

  private static final Duration SCRIPT_BOUND = Duration.ofSeconds(60);
  private static final Path LOGS = Path.of("target", "reflection-client").toAbsolutePath();
  private static RosterCluster cluster;

  @BeforeAll
  static void startNodeAndInstallTheClient() {
    assumeTrue(
        NodeScript.toolsPresent(),
        "skipped: node and npm are not installed; on Debian or Ubuntu:"
            + " sudo apt-get install -y nodejs npm");
    NodeScript.npmCi(Repository.reflectionExample(), LOGS, Duration.ofMinutes(5));
    cluster = RosterCluster.start(1);
    RegistryServiceGrpc.newBlockingStub(cluster.node(0).channel())
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .register(
            RegisterRequest.newBuilder()
                .setInstance(
                    Instance.newBuilder()
                        .setService("orders")
                        .setInstanceId("orders-1")
                        .setHost("10.0.0.7")
                        .setPort(8080))
                .setLeaseTtl(com.google.protobuf.Duration.newBuilder().setSeconds(600))
                .build());
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void v1alphaReflectionListsTheServicesAndDescribesDiscover() {
    assertListsAndDiscovers("v1alpha");
  }

  @Test
  void v1ReflectionListsTheServicesAndDescribesDiscover() {
    assertListsAndDiscovers("v1");
  }

  private void assertListsAndDiscovers(String version) {
    String out;
    try (NodeScript script =
        NodeScript.node(
            Repository.reflectionExample(),
            List.of(
                "discover.js",
                "--target",
                cluster.node(0).apiAddress(),
                "--service",
                "orders",
                "--reflection",
                version),
            Map.of(),
            LOGS)) {
      out = script.awaitSuccess(SCRIPT_BOUND);
    }
    JsonObject answer = new JsonObject(out.trim());
    assertEquals(version, answer.getString("reflection"));
    List<String> services = answer.getJsonArray("services").stream().map(Object::toString).toList();
    assertTrue(
        services.containsAll(
            List.of(
                "roster.v1.DiscoveryService",
                "roster.v1.RegistryService",
                "grpc.reflection.v1.ServerReflection",
                "grpc.reflection.v1alpha.ServerReflection")),
        services.toString());
    JsonArray instances = answer.getJsonObject("answer").getJsonArray("instances");
    assertEquals(1, instances.size(), out);
    assertEquals("orders-1", instances.getJsonObject(0).getString("instance_id"));
    assertEquals("10.0.0.7", instances.getJsonObject(0).getString("host"));
  }
}
