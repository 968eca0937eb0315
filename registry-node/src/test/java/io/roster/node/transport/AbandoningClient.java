package io.roster.node.transport;

import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.roster.testing.Instances;
import io.roster.v1.DiscoveryServiceGrpc;
import io.roster.v1.KeepAliveRequest;
import io.roster.v1.KeepAliveResponse;
import io.roster.v1.RegisterResponse;
import io.roster.v1.RegistryServiceGrpc;
import io.roster.v1.WatchRequest;
import io.roster.v1.WatchResponse;
import io.roster.v1.WatchTarget;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A client process that opens Watch and KeepAlive streams to a node and then waits to be killed
 * (SIGKILL), so its streams end without a cancel: what a crashed client leaves behind. Prints
 * {@code READY} once every stream has had its first answer; exits by itself after two minutes at
 * most, so a test that forgets it leaves nothing running for long.
 *
 * <p>Arguments: the node's API port, the number of Watch streams, the service to watch.
 */
public final class AbandoningClient {

  /** The client as its own process, its output collected as it comes. */
  static final class Running implements AutoCloseable {
    private final Process process;
    private final List<String> output = new CopyOnWriteArrayList<>();

    private Running(Process process) {
      this.process = process;
      Thread reader = new Thread(this::readOutput, "abandoning-client-output");
      reader.setDaemon(true);
      reader.start();
    }

    /** Starts the client against a node's API port and waits until its streams are answered. */
    static Running start(int apiPort, int watches, String service) throws IOException {
      Running running =
          new Running(
              new ProcessBuilder(
                      Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                      "-cp",
                      System.getProperty("java.class.path"),
                      AbandoningClient.class.getName(),
                      Integer.toString(apiPort),
                      Integer.toString(watches),
                      service)
                  .redirectErrorStream(true)
                  .start());
      await()
          .atMost(Duration.ofSeconds(60))
          .failFast(
              "the client process exited: " + running.output, () -> !running.process.isAlive())
          .until(() -> running.output.contains("READY"));
      return running;
    }

    /** Sends the process a signal by name ({@code KILL}, {@code STOP}, {@code CONT}). */
    void signal(String name) throws IOException, InterruptedException {
      new ProcessBuilder("kill", "-" + name, Long.toString(process.pid()))
          .start()
          .waitFor(10, TimeUnit.SECONDS);
    }

    /** Kills it (SIGKILL: no cancel, no GOAWAY, only the socket closing) and waits for its end. */
    void kill() throws InterruptedException {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws IOException {
      try {
        signal("CONT");
        kill();
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }

    private void readOutput() {
      try (BufferedReader lines =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = lines.readLine()) != null) {
          output.add(line);
        }
      } catch (IOException ended) {
        // The process is gone.
      }
    }
  }

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    int watches = Integer.parseInt(args[1]);
    String service = args[2];
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    RegisterResponse lease =
        RegistryServiceGrpc.newBlockingStub(channel)
            .withDeadlineAfter(30, TimeUnit.SECONDS)
            .register(Instances.register(Instances.of(service)));
    CountDownLatch firstAnswers = new CountDownLatch(watches + 1);
    for (int i = 0; i < watches; i++) {
      DiscoveryServiceGrpc.newStub(channel)
          .watch(
              WatchRequest.newBuilder()
                  .addTargets(WatchTarget.newBuilder().setService(service))
                  .build(),
              new Counting<WatchResponse>(firstAnswers));
    }
    StreamObserver<KeepAliveRequest> keepAlive =
        RegistryServiceGrpc.newStub(channel)
            .keepAlive(new Counting<KeepAliveResponse>(firstAnswers));
    keepAlive.onNext(
        KeepAliveRequest.newBuilder()
            .setLeaseId(lease.getLeaseId())
            .setEpoch(lease.getEpoch())
            .build());
    if (!firstAnswers.await(60, TimeUnit.SECONDS)) {
      System.out.println("TIMEOUT " + firstAnswers.getCount() + " streams without an answer");
      System.exit(2);
    }
    System.out.println("READY");
    System.out.flush();
    Thread.sleep(TimeUnit.MINUTES.toMillis(2));
    System.exit(3);
  }

  private static final class Counting<T> implements StreamObserver<T> {
    private final CountDownLatch latch;
    private boolean counted;

    Counting(CountDownLatch latch) {
      this.latch = latch;
    }

    @Override
    public synchronized void onNext(T value) {
      if (!counted) {
        counted = true;
        latch.countDown();
      }
    }

    @Override
    public void onError(Throwable t) {
      System.out.println("ERROR " + t);
    }

    @Override
    public void onCompleted() {}
  }
}
