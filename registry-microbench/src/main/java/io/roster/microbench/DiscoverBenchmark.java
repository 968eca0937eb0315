package io.roster.microbench;

import io.roster.v1.DiscoverResponse;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One Discover answered from the node's local view, for a service of 10, 100 or 1,000 instances:
 * {@code DiscoveryGrpcService.discover} validating the request, reading the service's view,
 * selecting the healthy instances and turning each record into an {@code Instance} message, up to
 * the built {@link DiscoverResponse} ({@link #discover}); and the same plus its encoding, as gRPC
 * then serializes the fresh message ({@link #discoverAndEncode}). The difference between the two is
 * the encoding's share of a Discover on the node's event loop; {@link DiscoverEncodingBenchmark}
 * measures the encoding alone.
 *
 * <p>What is not here: the transport (HTTP/2 framing, the Vert.x bridge) and the event loop hop.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class DiscoverBenchmark {

  @Param({"10", "100", "1000"})
  public int instances;

  private DiscoverFixture fixture;

  @Setup
  public void setUp() {
    fixture = DiscoverFixture.start(instances);
  }

  @TearDown
  public void tearDown() {
    fixture.close();
  }

  @Benchmark
  public DiscoverResponse discover() {
    return fixture.discover();
  }

  @Benchmark
  public byte[] discoverAndEncode() {
    return fixture.discover().toByteArray();
  }
}
