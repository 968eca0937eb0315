package io.roster.bench;

import io.grpc.StatusRuntimeException;
import io.roster.v1.DiscoverRequest;
import io.roster.v1.DiscoverResponse;
import io.roster.v1.DiscoveryServiceGrpc;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * What reading one service of a given size costs a caller with gRPC's default limits (4 MiB a
 * message, as every language's client has): a whole listing in Discover pages, a Watch stream's
 * snapshot (in parts for a large service), and the time from a change of one of its instances to
 * the event on that stream. The size sweep runs it on one service of each size, while the service
 * is full, so its figures show whether reads and changes stay flat as a service grows.
 *
 * <p>Listings from the first target, the Watch stream on the last, changes ({@code SetStatus}, UP
 * and DRAINING in turn, as the propagation phase makes them) through the first. Bounded: {@value
 * #LISTINGS} listings, each page under the call deadline; {@value #CHANGES_MILLIS} ms of changes
 * (at most the phase duration).
 */
final class LargeServiceReads {

  static final int PAGE_SIZE = 1000;
  static final int LISTINGS = 5;
  static final long CHANGES_MILLIS = 5_000;
  private static final int PROBES = 4;

  /**
   * What was measured on one service.
   *
   * @param listed instances one listing returned
   * @param pages pages one listing took
   * @param listingBytes bytes of one whole listing, all pages together
   * @param listingMs median time of a whole listing
   * @param snapshotMs time from opening a Watch stream to its whole snapshot; NaN when it failed
   * @param snapshotParts messages that snapshot took
   * @param changes change → event on the stream
   */
  record Figures(
      int listed,
      int pages,
      long listingBytes,
      double listingMs,
      double snapshotMs,
      int snapshotParts,
      Latencies changes) {}

  private LargeServiceReads() {}

  /**
   * Reads {@code service}, of which {@code probes} are instances (their status is changed and put
   * back to UP at the end); problems go to {@code result} prefixed with {@code at}.
   */
  static Figures measure(
      BenchContext context,
      String service,
      List<RegisteredLease> instances,
      PhaseResult result,
      String at)
      throws InterruptedException {
    BenchConfig config = context.config();
    List<Double> listingMillis = new ArrayList<>();
    int listed = 0;
    int pages = 0;
    long bytes = 0;
    for (int i = 0; i < LISTINGS && !context.stopRequested(); i++) {
      long start = System.nanoTime();
      try {
        String token = "";
        listed = 0;
        pages = 0;
        bytes = 0;
        do {
          DiscoverResponse page =
              DiscoveryServiceGrpc.newBlockingStub(context.cluster().channel(0))
                  .withDeadlineAfter(config.callDeadlineMillis(), TimeUnit.MILLISECONDS)
                  .discover(
                      DiscoverRequest.newBuilder()
                          .setNamespace(config.namespace())
                          .setService(service)
                          .setPageSize(PAGE_SIZE)
                          .setPageToken(token)
                          .build());
          listed += page.getInstancesCount();
          bytes += page.getSerializedSize();
          pages++;
          token = page.getNextPageToken();
        } while (!token.isEmpty());
        listingMillis.add((System.nanoTime() - start) / 1e6);
      } catch (StatusRuntimeException e) {
        result.problem(at + "a paged listing of " + service + " failed: " + e.getStatus());
      }
    }
    if (listed != instances.size()) {
      result.problem(
          at + "a listing of " + service + " held " + listed + " of " + instances.size());
    }

    int watcher = context.cluster().size() - 1;
    long opened = System.nanoTime();
    PropagationPhase.Watcher watch = PropagationPhase.Watcher.follow(context, watcher, service);
    double snapshotMs = Double.NaN;
    PropagationPhase.Timing timing = new PropagationPhase.Timing(PROBES);
    try {
      if (watch.snapshot.await(PropagationPhase.SNAPSHOT_BOUND_MILLIS, TimeUnit.MILLISECONDS)
          && watch.closed.get() == null) {
        snapshotMs = (System.nanoTime() - opened) / 1e6;
        List<RegisteredLease> probes = instances.subList(0, Math.min(PROBES, instances.size()));
        PropagationPhase.timeChanges(
            context,
            0,
            probes,
            watch,
            Math.min(CHANGES_MILLIS, config.phaseDurationMillis()),
            timing);
        timing.reportProblems(result);
      } else {
        result.problem(
            at + "the Watch stream of " + service + " had no whole snapshot" + watch.closedLine());
      }
    } finally {
      watch.cancel();
    }
    return new Figures(
        listed,
        pages,
        bytes,
        median(listingMillis),
        snapshotMs,
        watch.snapshotParts.get(),
        timing.latencies);
  }

  /** One line of the size sweep's reads table. */
  static String row(int size, Figures figures) {
    return String.format(
        Locale.ROOT,
        "| %,d | %,d in %,d pages | %,d | %s | %s | %d | %s | %s |%n",
        size,
        figures.listed(),
        figures.pages(),
        figures.listingBytes(),
        Json.number(figures.listingMs()),
        Json.number(figures.snapshotMs()),
        figures.snapshotParts(),
        Json.number(figures.changes().percentileMillis(50)),
        Json.number(figures.changes().percentileMillis(99)));
  }

  static final String HEADER =
      "| instances per service | one listing | bytes | listing ms (median of "
          + LISTINGS
          + ") | Watch snapshot ms | snapshot parts | change → event p50 ms | p99 ms |\n"
          + "|---:|---:|---:|---:|---:|---:|---:|---:|\n";

  private static double median(List<Double> values) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    List<Double> sorted = new ArrayList<>(values);
    sorted.sort(null);
    return sorted.get(sorted.size() / 2);
  }
}
