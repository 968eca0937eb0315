package io.roster.bench;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One channel to each target node, plaintext or TLS as {@link BenchTransport} says.
 *
 * <p>Channels run callbacks on the transport's own threads ({@code directExecutor}): every callback
 * of the bench only counts, records a latency or starts the next call, so a hop to another thread
 * pool would cost more CPU than it saves on a machine whose two cores the nodes also use.
 *
 * <p>Thread-safe.
 */
final class Cluster implements AutoCloseable {
  private final List<TargetAddress> targets;
  private final ChannelCredentials credentials;
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final AtomicInteger next = new AtomicInteger();

  Cluster(List<TargetAddress> targets, ChannelCredentials credentials) {
    this.targets = List.copyOf(targets);
    this.credentials = credentials;
    for (TargetAddress target : targets) {
      channels.add(
          Grpc.newChannelBuilder(target.authority(), credentials).directExecutor().build());
    }
  }

  /** The credentials of every channel, for phases that open more connections of their own. */
  ChannelCredentials credentials() {
    return credentials;
  }

  int size() {
    return channels.size();
  }

  TargetAddress target(int index) {
    return targets.get(index);
  }

  List<TargetAddress> targets() {
    return targets;
  }

  ManagedChannel channel(int index) {
    return channels.get(index);
  }

  /** The next channel in round robin, so unary load is spread evenly over the nodes. */
  ManagedChannel nextChannel() {
    return channels.get((next.getAndIncrement() & Integer.MAX_VALUE) % channels.size());
  }

  @Override
  public void close() {
    for (ManagedChannel channel : channels) {
      channel.shutdownNow();
    }
    for (ManagedChannel channel : channels) {
      try {
        channel.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
