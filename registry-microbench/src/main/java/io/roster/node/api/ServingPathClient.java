package io.roster.node.api;

import com.sun.management.OperatingSystemMXBean;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.DiscoverResponse;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.HeartbeatRequest;
import io.roster.v1.RegistryServiceGrpc;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The client side of {@link ServingPaths}: {@code threads} platform threads, each with one blocking
 * unary call in flight at a time, over {@code connections} grpc-java channels (a {@code
 * ManagedChannel} is one HTTP/2 connection; thread {@code i} uses channel {@code i % connections}).
 * Runs {@code warmup-s} unmeasured, then {@code measure-s} measured, and stops early after {@code
 * max-calls} measured calls.
 *
 * <p>Answers are not decoded unless {@code decode=true}: the client's bytes marshaller only checks
 * the length, so that the load generator, which shares the machine's cores with the server, spends
 * its CPU on calls rather than on parsing 100 instances per answer. One answer is decoded and
 * checked before the run.
 *
 * <p>Every call carries a deadline of {@code deadline-ms} (10,000; 0 for none), as the Roster
 * client's calls do.
 *
 * <p>Prints {@code MEASURING} when the measured window opens, {@code DONE} when it closes, then one
 * {@code RESULT key=value ...} line.
 */
final class ServingPathClient {

  private ServingPathClient() {}

  /** Reads any answer as its bytes: what the client receives, without decoding it. */
  private static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  static void run(Map<String, String> args) throws Exception {
    Map<String, String> result = measure(args, true);
    StringBuilder line = new StringBuilder("RESULT");
    result.forEach((key, value) -> line.append(' ').append(key).append('=').append(value));
    System.out.println(line);
    System.out.flush();
  }

  /**
   * Runs the load and returns its figures (method, calls, errors, qps, p50Ms, p99Ms, p999Ms,
   * clientCpuCores, windowS, and firstError when a call failed); {@code announce} prints the
   * window's MEASURING and DONE lines for the driver.
   */
  static Map<String, String> measure(Map<String, String> args, boolean announce) throws Exception {
    int port = Integer.parseInt(required(args, "port"));
    String method = args.getOrDefault("method", "discover");
    int threads = Integer.parseInt(args.getOrDefault("threads", "32"));
    int connections = Integer.parseInt(args.getOrDefault("connections", "1"));
    long warmupNanos = seconds(args.getOrDefault("warmup-s", "5"));
    long measureNanos = seconds(args.getOrDefault("measure-s", "10"));
    long maxCalls = Long.parseLong(args.getOrDefault("max-calls", "5000000"));
    boolean decode = Boolean.parseBoolean(args.getOrDefault("decode", "false"));
    long deadlineMillis = Long.parseLong(args.getOrDefault("deadline-ms", "10000"));

    List<ManagedChannel> channels = new ArrayList<>();
    for (int i = 0; i < connections; i++) {
      channels.add(
          NettyChannelBuilder.forAddress("127.0.0.1", port)
              .usePlaintext()
              .maxInboundMessageSize(4 * 1024 * 1024)
              .build());
    }
    try {
      Call call = call(method, decode);
      check(method, channels);
      Worker[] workers = new Worker[threads];
      long start = System.nanoTime();
      long measureFrom = start + warmupNanos;
      long measureUntil = measureFrom + measureNanos;
      AtomicLong measured = new AtomicLong();
      AtomicReference<Throwable> firstError = new AtomicReference<>();
      CountDownLatch done = new CountDownLatch(threads);
      for (int i = 0; i < threads; i++) {
        workers[i] =
            new Worker(
                channels.get(i % connections),
                call,
                deadlineMillis,
                measureFrom,
                measureUntil,
                maxCalls,
                measured,
                firstError,
                done);
        Thread thread = new Thread(workers[i], "caller-" + i);
        thread.start();
      }
      OperatingSystemMXBean os =
          (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      sleepUntil(measureFrom);
      long cpuFrom = os.getProcessCpuTime();
      if (announce) {
        System.out.println("MEASURING");
        System.out.flush();
      }
      while (System.nanoTime() < measureUntil && measured.get() < maxCalls) {
        Thread.sleep(20);
      }
      long measuredEnd = System.nanoTime();
      long cpuUntil = os.getProcessCpuTime();
      if (announce) {
        System.out.println("DONE");
        System.out.flush();
      }
      if (!done.await(Math.max(deadlineMillis, 30_000) + 5_000, TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException("callers did not stop within their deadline");
      }
      long calls = 0;
      long errors = 0;
      int samples = 0;
      for (Worker worker : workers) {
        calls += worker.count;
        errors += worker.errors;
        samples += worker.count;
      }
      long[] latencies = new long[samples];
      int at = 0;
      for (Worker worker : workers) {
        System.arraycopy(worker.latencies, 0, latencies, at, worker.count);
        at += worker.count;
      }
      Arrays.sort(latencies);
      double windowSeconds = (Math.min(measuredEnd, measureUntil) - measureFrom) / 1e9;
      Throwable error = firstError.get();
      Map<String, String> result = new LinkedHashMap<>();
      result.put("method", method);
      result.put("calls", Long.toString(calls));
      result.put("errors", Long.toString(errors));
      result.put("qps", format("%.1f", calls / windowSeconds));
      result.put("p50Ms", format("%.3f", percentile(latencies, 0.50)));
      result.put("p99Ms", format("%.3f", percentile(latencies, 0.99)));
      result.put("p999Ms", format("%.3f", percentile(latencies, 0.999)));
      result.put("clientCpuCores", format("%.3f", (cpuUntil - cpuFrom) / 1e9 / windowSeconds));
      result.put("windowS", format("%.2f", windowSeconds));
      if (error != null) {
        result.put("firstError", error.toString().replace(' ', '_'));
      }
      return result;
    } finally {
      for (ManagedChannel channel : channels) {
        channel.shutdownNow();
      }
    }
  }

  /** One call of the method, as a blocking stub makes it. */
  private interface Call {
    int make(ManagedChannel channel, long deadlineMillis);
  }

  /** Options of a call: a deadline {@code deadlineMillis} from now, none when 0. */
  private static CallOptions options(long deadlineMillis) {
    return deadlineMillis > 0
        ? CallOptions.DEFAULT.withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS)
        : CallOptions.DEFAULT;
  }

  private static Call call(String method, boolean decode) {
    switch (method) {
      case "discover" -> {
        DiscoverRequest request =
            DiscoverRequest.newBuilder()
                .setNamespace(DiscoverFixture.SERVICE.namespace())
                .setService(DiscoverFixture.SERVICE.service())
                .build();
        if (decode) {
          return (channel, deadline) ->
              ClientCalls.blockingUnaryCall(
                      channel, DiscoveryServiceGrpc.getDiscoverMethod(), options(deadline), request)
                  .getInstancesCount();
        }
        MethodDescriptor<DiscoverRequest, byte[]> raw =
            DiscoveryServiceGrpc.getDiscoverMethod().toBuilder(
                    DiscoveryServiceGrpc.getDiscoverMethod().getRequestMarshaller(), BYTES)
                .build();
        return (channel, deadline) ->
            ClientCalls.blockingUnaryCall(channel, raw, options(deadline), request).length;
      }
      case "heartbeat" -> {
        HeartbeatRequest request =
            HeartbeatRequest.newBuilder().setLeaseId("bench/orders/i-000001/1").setEpoch(1).build();
        return (channel, deadline) ->
            ClientCalls.blockingUnaryCall(
                    channel, RegistryServiceGrpc.getHeartbeatMethod(), options(deadline), request)
                .getSerializedSize();
      }
      default -> throw new IllegalArgumentException("--method: discover or heartbeat");
    }
  }

  /** One decoded answer per channel, before the run: the server answers what it should. */
  private static void check(String method, List<ManagedChannel> channels) {
    for (ManagedChannel channel : channels) {
      if (method.equals("discover")) {
        DiscoverResponse answer =
            DiscoveryServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(30, TimeUnit.SECONDS)
                .discover(
                    DiscoverRequest.newBuilder()
                        .setNamespace(DiscoverFixture.SERVICE.namespace())
                        .setService(DiscoverFixture.SERVICE.service())
                        .build());
        if (answer.getInstancesCount() != 100) {
          throw new IllegalStateException(
              "Discover answered " + answer.getInstancesCount() + " instances, not 100");
        }
      } else {
        call(method, true).make(channel, 30_000);
      }
    }
  }

  private static final class Worker implements Runnable {
    private final ManagedChannel channel;
    private final Call call;
    private final long deadlineMillis;
    private final long measureFrom;
    private final long measureUntil;
    private final long maxCalls;
    private final AtomicLong measured;
    private final AtomicReference<Throwable> firstError;
    private final CountDownLatch done;
    long[] latencies = new long[16_384];
    int count;
    long errors;

    Worker(
        ManagedChannel channel,
        Call call,
        long deadlineMillis,
        long measureFrom,
        long measureUntil,
        long maxCalls,
        AtomicLong measured,
        AtomicReference<Throwable> firstError,
        CountDownLatch done) {
      this.channel = channel;
      this.call = call;
      this.deadlineMillis = deadlineMillis;
      this.measureFrom = measureFrom;
      this.measureUntil = measureUntil;
      this.maxCalls = maxCalls;
      this.measured = measured;
      this.firstError = firstError;
      this.done = done;
    }

    @Override
    public void run() {
      try {
        while (true) {
          long started = System.nanoTime();
          if (started >= measureUntil || measured.get() >= maxCalls) {
            return;
          }
          boolean ok;
          try {
            call.make(channel, deadlineMillis);
            ok = true;
          } catch (StatusRuntimeException e) {
            firstError.compareAndSet(null, e);
            ok = false;
          }
          long ended = System.nanoTime();
          if (started >= measureFrom && ended <= measureUntil) {
            if (!ok) {
              errors++;
              continue;
            }
            if (count == latencies.length) {
              latencies = Arrays.copyOf(latencies, count * 2);
            }
            latencies[count++] = ended - started;
            measured.incrementAndGet();
          }
        }
      } finally {
        done.countDown();
      }
    }
  }

  private static String format(String pattern, double value) {
    return String.format(Locale.ROOT, pattern, value);
  }

  private static double percentile(long[] sorted, double quantile) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int index = (int) Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1);
    return sorted[Math.max(0, index)] / 1e6;
  }

  private static void sleepUntil(long nanoTime) throws InterruptedException {
    long left;
    while ((left = nanoTime - System.nanoTime()) > 0) {
      TimeUnit.NANOSECONDS.sleep(Math.min(left, 50_000_000));
    }
  }

  private static long seconds(String value) {
    return (long) (Double.parseDouble(value) * 1e9);
  }

  private static String required(Map<String, String> args, String key) {
    String value = args.get(key);
    if (value == null) {
      throw new IllegalArgumentException("--" + key + " is required");
    }
    return value;
  }
}
