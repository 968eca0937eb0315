package io.roster.node.api;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.roster.node.domain.DiscoveryQuery;
import io.roster.node.domain.Incarnation;
import io.roster.node.domain.InstanceRecord;
import io.roster.node.domain.InvalidArgumentException;
import io.roster.node.domain.ServiceKey;
import io.roster.node.domain.ServiceView;
import io.roster.node.view.LocalView;
import io.roster.v1.DiscoverResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32;

/**
 * Discover answers in pages, every page of one listing from the same revision of its service, as
 * etcd's ranges read at one revision: a caller paging through 50,000 instances while the service
 * changes gets the instances of one revision, never some twice and others not at all.
 *
 * <p>How: a listing with more than one page holds on to the {@link ServiceView} its first page came
 * from (views are immutable, and one that the service has moved on from shares all but its changed
 * paths with the current one), keyed by service and revision, for {@value #HOLD_SECONDS} s after
 * each page. The page token names that revision, the last instance id returned and the query, so a
 * later page finds the view again here; on another node (or once the hold has lapsed) it is served
 * from the current view while the service is still at that revision, and answered ABORTED once it
 * moved on: the caller starts again from the first page.
 *
 * <p>Threading: any thread; the held views are a concurrent cache.
 */
final class DiscoverPages {

  static final int MAX_PAGE_SIZE = 5000;
  static final long HOLD_SECONDS = 60;

  /** Listings held at once at most; past it the least recently paged go first. */
  static final int MAX_HELD_VIEWS = 1000;

  private static final String TOKEN_VERSION = "1";

  private final LocalView view;
  private final Incarnation incarnation;
  private final Cache<HeldKey, ServiceView> held =
      CacheBuilder.newBuilder()
          .expireAfterAccess(Duration.ofSeconds(HOLD_SECONDS))
          .maximumSize(MAX_HELD_VIEWS)
          .build();

  DiscoverPages(LocalView view, Incarnation incarnation) {
    this.view = view;
    this.incarnation = incarnation;
  }

  /**
   * The page of {@code query} that {@code token} asks for (empty: the first), of at most {@code
   * pageSize} instances (0: every one left).
   *
   * @throws InvalidArgumentException for a token that does not parse or belongs to another query
   * @throws StatusRuntimeException ABORTED when the token's revision can no longer be served
   */
  DiscoverResponse page(DiscoveryQuery query, int pageSize, String token) {
    long now = incarnation.current();
    ServiceView source;
    String after;
    if (token.isEmpty()) {
      source = view.get(query.service());
      after = null;
    } else {
      Token parsed = Token.parse(token);
      if (parsed.queryHash != queryHash(query)) {
        throw new InvalidArgumentException(
            "page_token",
            "was given for another query: namespace, service, preferred_zone, metadata_selector,"
                + " include_unhealthy and version must be as they were for the first page");
      }
      if (parsed.incarnation != now) {
        throw aborted("the registry restarted since the first page (another incarnation)");
      }
      source = source(query.service(), parsed.revision);
      after = parsed.lastId;
    }
    ServiceView.Selection selection = source.select(query);
    List<InstanceRecord> matching = selection.instances();
    int from = after == null ? 0 : firstAfter(matching, after);
    int to =
        pageSize == 0 ? matching.size() : (int) Math.min(matching.size(), (long) from + pageSize);
    DiscoverResponse.Builder response =
        DiscoverResponse.newBuilder()
            .setRevision(source.revision())
            .setIncarnation(now)
            .setZoneFallback(selection.zoneFallback());
    for (InstanceRecord record : matching.subList(from, to)) {
      response.addInstances(ProtoMapper.toProto(record));
    }
    if (to < matching.size()) {
      held.put(new HeldKey(source.key(), source.revision()), source);
      response.setNextPageToken(
          new Token(now, source.revision(), queryHash(query), matching.get(to - 1).instanceId())
              .encode());
    }
    return response.build();
  }

  /** Listings held now (for tests). */
  long held() {
    held.cleanUp();
    return held.size();
  }

  /** The view at {@code revision}: held here, or the current one while it is still there. */
  private ServiceView source(ServiceKey service, long revision) {
    ServiceView kept = held.getIfPresent(new HeldKey(service, revision));
    if (kept != null) {
      return kept;
    }
    ServiceView current = view.get(service);
    if (current.revision() != revision) {
      throw aborted(
          "the service moved from revision "
              + revision
              + " to "
              + current.revision()
              + " since the first page, and this node no longer holds revision "
              + revision);
    }
    return current;
  }

  private static StatusRuntimeException aborted(String why) {
    return Status.ABORTED
        .withDescription(why + ": start again from the first page (an empty page_token)")
        .asRuntimeException();
  }

  /** Index of the first instance whose id sorts after {@code id}; the list is in id order. */
  private static int firstAfter(List<InstanceRecord> instances, String id) {
    int low = 0;
    int high = instances.size();
    while (low < high) {
      int middle = (low + high) >>> 1;
      if (instances.get(middle).instanceId().compareTo(id) <= 0) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    return low;
  }

  /** A checksum of every field of the query, the same on every node. */
  static long queryHash(DiscoveryQuery query) {
    StringBuilder text =
        new StringBuilder()
            .append(query.service().namespace())
            .append('\n')
            .append(query.service().service())
            .append('\n')
            .append(query.preferredZone())
            .append('\n')
            .append(query.includeUnhealthy())
            .append('\n')
            .append(query.version());
    for (Map.Entry<String, String> pair : new TreeMap<>(query.metadataSelector()).entrySet()) {
      text.append('\n').append(pair.getKey()).append('=').append(pair.getValue());
    }
    CRC32 crc = new CRC32();
    crc.update(text.toString().getBytes(StandardCharsets.UTF_8));
    return crc.getValue();
  }

  private record HeldKey(ServiceKey service, long revision) {}

  /** What a page token carries; opaque to callers (URL-safe base64 of its fields). */
  record Token(long incarnation, long revision, long queryHash, String lastId) {

    String encode() {
      String text =
          String.join(
              "|",
              TOKEN_VERSION,
              Long.toUnsignedString(incarnation),
              Long.toString(revision),
              Long.toString(queryHash),
              lastId);
      return Base64.getUrlEncoder()
          .withoutPadding()
          .encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    static Token parse(String token) {
      try {
        String text = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
        String[] fields = text.split("\\|", 5);
        if (fields.length != 5 || !fields[0].equals(TOKEN_VERSION) || fields[4].isEmpty()) {
          throw new IllegalArgumentException("fields");
        }
        return new Token(
            Long.parseUnsignedLong(fields[1]),
            Long.parseLong(fields[2]),
            Long.parseLong(fields[3]),
            fields[4]);
      } catch (IllegalArgumentException e) { // NumberFormatException too
        throw new InvalidArgumentException(
            "page_token",
            "is not a token this registry gave out: pass a previous answer's next_page_token"
                + " as it was, or an empty one for the first page");
      }
    }
  }
}
