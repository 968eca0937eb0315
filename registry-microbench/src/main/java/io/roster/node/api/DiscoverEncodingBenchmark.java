package io.roster.node.api;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.roster.v1.DiscoverResponse;
import java.io.IOException;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Protobuf encoding of a Discover answer of 10, 100 or 1,000 instances, the message built once by
 * the node's own code ({@link DiscoverAnswers#build}). {@link #toByteString} is the call the node
 * makes to keep an answer (it allocates the bytes); {@link #writeTo} writes into a buffer kept from
 * one call to the next, which is the encoding work alone. Setup prints the encoded size (JMH's
 * auxiliary counters add up over iterations, so they cannot report a size).
 *
 * <p>Protobuf remembers a message's size once computed, so from the second call on these measure
 * the writing only; a fresh answer also pays one size computation, which {@link
 * DiscoverBenchmark#buildAndEncode} includes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class DiscoverEncodingBenchmark {

  @Param({"10", "100", "1000"})
  public int instances;

  private DiscoverResponse response;
  private byte[] buffer;

  @Setup
  public void setUp() {
    try (DiscoverFixture fixture = DiscoverFixture.start(instances)) {
      response = fixture.buildAnswer();
    }
    buffer = new byte[response.getSerializedSize()];
    System.out.printf(
        "%nDiscoverResponse of %d instances: %d bytes encoded%n",
        response.getInstancesCount(), buffer.length);
  }

  @Benchmark
  public ByteString toByteString() {
    return response.toByteString();
  }

  @Benchmark
  public byte[] writeTo() throws IOException {
    CodedOutputStream out = CodedOutputStream.newInstance(buffer);
    response.writeTo(out);
    out.checkNoSpaceLeft();
    return buffer;
  }

  /** The response encoded, so that decoding it back can be checked. */
  DiscoverResponse response() {
    return response;
  }
}
