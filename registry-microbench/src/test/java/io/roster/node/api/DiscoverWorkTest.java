package io.roster.node.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.roster.v1.DiscoverResponse;
import io.roster.v1.HealthState;
import io.roster.v1.Instance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link DiscoverBenchmark}'s and {@link DiscoverEncodingBenchmark}'s setup and methods, once, on
 * every size they run: each answer must list every healthy instance, the cached bytes must be the
 * answer built from scratch, and every encoding must decode back to it.
 */
@Timeout(30)
class DiscoverWorkTest {

  @ParameterizedTest
  @ValueSource(ints = {10, 100, 1000})
  void discoverAnswersEveryHealthyInstance(int instances) throws Exception {
    DiscoverBenchmark benchmark = new DiscoverBenchmark();
    benchmark.instances = instances;
    benchmark.setUp();
    try {
      DiscoverResponse built = benchmark.buildAnswer();
      assertEquals(instances, built.getInstancesCount());
      assertEquals(instances, built.getRevision());
      for (Instance instance : built.getInstancesList()) {
        assertEquals(HealthState.HEALTH_STATE_HEALTHY, instance.getHealth());
      }

      ByteString encoded = benchmark.buildAndEncode();
      assertEquals(built, DiscoverResponse.parseFrom(encoded));

      ByteString cached = benchmark.cachedAnswer();
      assertEquals(encoded, cached);
      // The same encoded answer, not an equal one built again (the bytes are wrapped per call).
      assertTrue(
          benchmark.fixture().discoverOnTheWire() == benchmark.fixture().discoverOnTheWire(),
          "the second Discover was not answered from the cache");
      assertEquals(built, benchmark.fixture().discoverDecoded());
    } finally {
      benchmark.tearDown();
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {10, 100, 1000})
  void encodingWritesTheWholeAnswer(int instances) throws Exception {
    DiscoverEncodingBenchmark benchmark = new DiscoverEncodingBenchmark();
    benchmark.instances = instances;
    benchmark.setUp();

    ByteString encoded = benchmark.toByteString();
    assertTrue(encoded.size() > instances * 50, "only " + encoded.size() + " bytes");
    DiscoverResponse decoded = DiscoverResponse.parseFrom(encoded);
    assertEquals(instances, decoded.getInstancesCount());
    assertEquals(benchmark.response(), decoded);

    assertArrayEquals(encoded.toByteArray(), benchmark.writeTo());
  }
}
