package io.roster.node.api;

import com.google.protobuf.ByteString;
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
 * One Discover answered from the node's local view, for a service of 10, 100 or 1,000 instances.
 * The node keeps each answer encoded per view of its service ({@link DiscoverAnswers}), so a
 * Discover costs one of two things:
 *
 * <ul>
 *   <li>{@link #cachedAnswer}: what almost every call costs while the service does not change (a
 *       heartbeat changes no view): the wire's Discover validating the request, reading the view
 *       and finding the answer's bytes in the cache, up to handing them to the call;
 *   <li>{@link #buildAndEncode}: what the first call after a change of the service costs (a miss):
 *       selecting the instances, turning each record into an {@code Instance} message and encoding
 *       the answer; {@link #buildAnswer} is the same without the encoding, so the difference is the
 *       encoding's share of a miss.
 * </ul>
 *
 * <p>What is not here: the transport (HTTP/2 framing and the copy of the bytes, the Vert.x bridge)
 * and the hop to the event loop. {@link DiscoverEncodingBenchmark} measures the encoding alone.
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
  public ByteString cachedAnswer() {
    return fixture.discoverOnTheWire().bytes();
  }

  @Benchmark
  public DiscoverResponse buildAnswer() {
    return fixture.buildAnswer();
  }

  @Benchmark
  public ByteString buildAndEncode() {
    return fixture.buildAnswer().toByteString();
  }

  DiscoverFixture fixture() {
    return fixture;
  }
}
