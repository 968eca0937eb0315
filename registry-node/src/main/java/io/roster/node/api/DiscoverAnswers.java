package io.roster.node.api;

import com.google.common.base.Preconditions;
import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import io.roster.node.domain.DiscoveryQuery;
import io.roster.node.domain.Incarnation;
import io.roster.node.domain.InstanceRecord;
import io.roster.node.domain.ServiceView;
import io.roster.node.view.LocalView;
import io.roster.v1.DiscoverResponse;
import java.lang.ref.WeakReference;
import java.util.Map;

/**
 * Discover answers, each built and encoded once per view of its service and query shape, then sent
 * as the same bytes to every call that asks the same while that view lasts. Building ~100 {@code
 * Instance} messages and encoding them (~15 KB) was most of the CPU a Discover call cost, on every
 * call, although the view changes only when an instance does (heartbeats change no view).
 *
 * <p>Never stale: an answer is served only for the very {@link ServiceView} object it was built
 * from, compared by identity with the node's current view on every call. A view moving to a new
 * revision, or back to an older one with other content (a store that lost the service's state), is
 * a new object, so no answer of an earlier view is ever served once the node holds a later one. The
 * answer holds nothing per call or per node (no time, no node name: see {@link #build}), so cached
 * and freshly built answers are the same bytes. It holds the registry's incarnation, and is served
 * only while the node's incarnation is the one it was built with.
 *
 * <p>Memory: one answer per query shape (the whole {@link DiscoveryQuery}: service, preferred zone,
 * metadata selector, include-unhealthy, version), replaced when its service's view has moved; least
 * recently used answers go first once they weigh more than {@code maxBytes} in all (each counts its
 * encoded size, its query's text and {@value #ENTRY_OVERHEAD_BYTES} bytes of bookkeeping). An
 * answer refers to its view weakly, so the cache keeps no replaced view alive. Services never seen
 * (revision 0: a fresh empty view each call, an empty answer) are not kept, so callers asking for
 * made-up names cannot fill it.
 *
 * <p>Threading: any thread, event loops included; lookups take no lock. Two calls that miss at the
 * same moment may both build; either answer is right for its view, and a later call replaces one
 * built from a view that has moved on since.
 */
final class DiscoverAnswers {

  /**
   * Default bound on what the cache holds: every service's default answer for 10,000 instances in
   * 100-instance services is about 1.5 MB, so this keeps about twenty shapes of everything, a small
   * share of a node's heap (512 MB in the local profile).
   */
  static final long DEFAULT_MAX_BYTES = 32L * 1024 * 1024;

  /** Memory an entry costs beyond its bytes and its query's text: map entry, references. */
  static final int ENTRY_OVERHEAD_BYTES = 256;

  private final LocalView view;
  private final Incarnation incarnation;
  private final Cache<DiscoveryQuery, Answer> answers;

  DiscoverAnswers(LocalView view, Incarnation incarnation, long maxBytes) {
    Preconditions.checkArgument(maxBytes >= 0, "maxBytes is negative: %s", maxBytes);
    this.view = view;
    this.incarnation = incarnation;
    this.answers =
        CacheBuilder.newBuilder()
            .maximumWeight(maxBytes)
            .weigher((DiscoveryQuery query, Answer answer) -> answer.weight)
            .build();
  }

  /** The answer to {@code query} from the node's current view of its service. */
  EncodedMessage answer(DiscoveryQuery query) {
    ServiceView current = view.get(query.service());
    long now = incarnation.current();
    Answer cached = answers.getIfPresent(query);
    if (cached != null && cached.builtFrom.get() == current && cached.incarnation == now) {
      return cached.message;
    }
    EncodedMessage message = EncodedMessage.of(build(current, query, now));
    if (current.revision() > 0) {
      answers.put(query, new Answer(current, now, message, weight(query, message)));
    }
    return message;
  }

  /** Answers held now (for tests). */
  long size() {
    answers.cleanUp();
    return answers.size();
  }

  /** What the answers held now weigh in all, as counted against the bound (for tests). */
  long weight() {
    answers.cleanUp();
    long total = 0;
    for (Answer answer : answers.asMap().values()) {
      total += answer.weight;
    }
    return total;
  }

  /**
   * A Discover answer built from scratch: the instances {@code query} selects in {@code service},
   * in the registry's {@code incarnation}.
   */
  static DiscoverResponse build(ServiceView service, DiscoveryQuery query, long incarnation) {
    ServiceView.Selection selection = service.select(query);
    DiscoverResponse.Builder response =
        DiscoverResponse.newBuilder()
            .setRevision(service.revision())
            .setIncarnation(incarnation)
            .setZoneFallback(selection.zoneFallback());
    for (InstanceRecord record : selection.instances()) {
      response.addInstances(ProtoMapper.toProto(record));
    }
    return response.build();
  }

  private static int weight(DiscoveryQuery query, EncodedMessage message) {
    long text =
        query.service().namespace().length()
            + query.service().service().length()
            + query.preferredZone().length()
            + query.version().length();
    for (Map.Entry<String, String> pair : query.metadataSelector().entrySet()) {
      text += pair.getKey().length() + pair.getValue().length();
    }
    return (int) Math.min(Integer.MAX_VALUE, message.size() + 2 * text + ENTRY_OVERHEAD_BYTES);
  }

  /** An answer, the view it was built from (referred to weakly) and the incarnation it holds. */
  private static final class Answer {
    final WeakReference<ServiceView> builtFrom;
    final long incarnation;
    final EncodedMessage message;
    final int weight;

    Answer(ServiceView builtFrom, long incarnation, EncodedMessage message, int weight) {
      this.builtFrom = new WeakReference<>(builtFrom);
      this.incarnation = incarnation;
      this.message = message;
      this.weight = weight;
    }
  }
}
