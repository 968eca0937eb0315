package io.roster.node.store.hazelcast;

import com.hazelcast.map.IMap;
import io.roster.node.domain.ServiceState;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Group commit of the writes to {@value HazelcastRegistryStore#SERVICES_MAP}, per service ({@link
 * GroupCommit}): each service has at most one {@link ApplyServiceWrites} call in flight from this
 * node; a write goes out at once when its service has none, and whatever arrives meanwhile rides
 * the next call, sent as soon as the one in flight returns. No fixed wait: a lone write costs one
 * round trip, as before, and many writes to one service (a deployment registering its instances, a
 * zone's instances declared at once) cost one operation, one backup and one change event per call
 * instead of one each, and one read of the difference by each node.
 *
 * <p>Per service, not per member as heartbeats are ({@link RenewalBatcher}): a registration must be
 * on the backup replica before its caller is answered, and Hazelcast backs up a call on one key
 * ({@code submitToKey}) synchronously but a call on many ({@code submitToKeys}) asynchronously. A
 * call per service keeps the backup synchronous; it gathers only writes to the same service.
 *
 * <p>A call that fails (the member left and Hazelcast gave up, the cluster lost its majority) fails
 * every write it carried, and only those; the service's next call goes as usual. Partition
 * migration needs nothing here: Hazelcast sends each call to whichever member owns the service.
 *
 * <p>Threading: {@link #write} is called from any thread and may send from it; calls complete on
 * Hazelcast threads, which send what waited meanwhile and answer the writes.
 */
final class ServiceWriteBatcher {

  private final IMap<String, ServiceState> services;
  private final GroupCommit<String, Pending, long[]> lanes;

  ServiceWriteBatcher(IMap<String, ServiceState> services) {
    this.services = services;
    this.lanes =
        new GroupCommit<>(
            new GroupCommit.Writer<>() {
              @Override
              public CompletionStage<long[]> write(String serviceKey, List<Pending> batch) {
                return apply(serviceKey, batch);
              }

              @Override
              public void answer(List<Pending> batch, long[] results, Throwable failure) {
                ServiceWriteBatcher.answer(batch, results, failure);
              }
            });
  }

  /**
   * Applies a write to a service, after those already queued for it; answers {@code [outcome,
   * revision, epoch]} ({@link ServiceWrite#apply}).
   */
  CompletableFuture<long[]> write(String serviceKey, ServiceWrite write) {
    Pending pending = new Pending(write, new CompletableFuture<>());
    lanes.add(serviceKey, pending, true);
    return pending.answer();
  }

  private CompletionStage<long[]> apply(String serviceKey, List<Pending> batch) {
    List<ServiceWrite> writes = new ArrayList<>(batch.size());
    batch.forEach(pending -> writes.add(pending.write()));
    return services.submitToKey(serviceKey, new ApplyServiceWrites(writes));
  }

  private static void answer(List<Pending> batch, long[] results, Throwable failure) {
    if (failure == null && results.length != batch.size() * ApplyServiceWrites.FIELDS) {
      // Never expected: the processor answers every write it is given. Answered all the same.
      failure =
          new IllegalStateException(
              results.length + " result fields for " + batch.size() + " service writes");
    }
    for (int i = 0; i < batch.size(); i++) {
      CompletableFuture<long[]> answer = batch.get(i).answer();
      if (failure != null) {
        answer.completeExceptionally(failure);
      } else {
        int at = i * ApplyServiceWrites.FIELDS;
        answer.complete(Arrays.copyOfRange(results, at, at + ApplyServiceWrites.FIELDS));
      }
    }
  }

  /** A write waiting for its service's call, and its caller's answer. */
  private record Pending(ServiceWrite write, CompletableFuture<long[]> answer) {}
}
