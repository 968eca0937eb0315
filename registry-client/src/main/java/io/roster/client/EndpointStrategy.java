package io.roster.client;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * How an {@link EndpointSelector} spreads requests over the endpoints of a service. Made only by
 * the static factories here; wrap a balancing strategy in {@link #zoneAware} and {@link
 * #panicThreshold} to choose which endpoints it spreads over.
 *
 * <p>Rules every strategy keeps: an endpoint of weight 0 never gets a request, nor one that is not
 * UP (DRAINING gets no new work, OUT_OF_SERVICE none at all); unhealthy endpoints get requests only
 * in panic (see {@link #panicThreshold}).
 *
 * <p>A strategy builds an immutable picker per snapshot, with its totals precomputed; picks are
 * lock-free. Randomness is injected (the factories taking a {@link RandomGenerator}) so that tests
 * are deterministic; the default draws from {@link ThreadLocalRandom}.
 *
 * <p>Threading: strategies may be shared by any number of threads. Some keep state across snapshots
 * (the round-robin position, the requests in flight): use one instance per selector.
 */
public abstract class EndpointStrategy {

  /** Default of {@link #zoneAware(String, EndpointStrategy)}: see there. */
  public static final double DEFAULT_ZONE_MIN_HEALTHY_SHARE = 0.7;

  /** Default of {@link #panicThreshold(EndpointStrategy)}: Envoy's 50 %. */
  public static final double DEFAULT_PANIC_THRESHOLD = 0.5;

  EndpointStrategy() {}

  /** A picker over the healthy, routable ones among {@code instances} (every instance listed). */
  abstract EndpointPicker newPicker(List<ServiceInstance> instances);

  /** A picker over every routable one among {@code instances}, healthy or not (panic). */
  abstract EndpointPicker newPanicPicker(List<ServiceInstance> instances);

  /** Each request goes to an endpoint drawn at random in proportion to its weight. */
  public static EndpointStrategy weightedRandom() {
    return new WeightedRandomStrategy(ThreadLocalRandom::current);
  }

  /**
   * {@link #weightedRandom()} drawing from {@code random}, which must be thread-safe if picks come
   * from several threads.
   */
  public static EndpointStrategy weightedRandom(RandomGenerator random) {
    return new WeightedRandomStrategy(fixed(random));
  }

  /**
   * Smooth weighted round-robin (as nginx does): over each cycle every endpoint gets exactly its
   * share, interleaved rather than in bursts (weights 5:1:1 give a a b a c a a, not a a a a a b c).
   */
  public static EndpointStrategy roundRobin() {
    return new SmoothRoundRobinStrategy();
  }

  /**
   * Least outstanding requests by the power of two choices: draws two endpoints by weight and takes
   * the one with fewer requests in flight per unit of weight. Requests count until {@link
   * Pick#done()}.
   */
  public static EndpointStrategy leastOutstanding() {
    return new LeastOutstandingStrategy(ThreadLocalRandom::current);
  }

  /** {@link #leastOutstanding()} drawing from {@code random} (thread-safe if shared). */
  public static EndpointStrategy leastOutstanding(RandomGenerator random) {
    return new LeastOutstandingStrategy(fixed(random));
  }

  /**
   * Consistent hashing over a ring (what load balancers call "IP hash" when the key is the caller's
   * address): {@link EndpointSelector#pick(String)} sends a key to the same endpoint while it is
   * there, and when endpoints come or go only the keys of their share of the ring move. Endpoints
   * get ring points in proportion to their weight; at least 1,024 points in all. A pick without a
   * key goes to a random point.
   */
  public static EndpointStrategy ringHash() {
    return new RingHashStrategy(RingHashStrategy.DEFAULT_MIN_RING_SIZE, ThreadLocalRandom::current);
  }

  /**
   * {@link #ringHash()} with at least {@code minRingSize} points, keyless picks from {@code
   * random}.
   */
  public static EndpointStrategy ringHash(int minRingSize, RandomGenerator random) {
    return new RingHashStrategy(minRingSize, fixed(random));
  }

  /**
   * {@link #zoneAware(String, double, EndpointStrategy)} with a minimum healthy share of 0.7: a
   * zone that lost more than 30 % of its endpoints sends its callers to every zone rather than
   * overload the rest.
   */
  public static EndpointStrategy zoneAware(String zone, EndpointStrategy within) {
    return zoneAware(zone, DEFAULT_ZONE_MIN_HEALTHY_SHARE, within);
  }

  /**
   * Prefers the caller's {@code zone}: requests go to the endpoints of that zone, spread by {@code
   * within}, while at least {@code minHealthyShare} of the zone's routable endpoints are healthy;
   * below that (or with none healthy there), to the healthy endpoints of every zone. Ignored in
   * panic, which spreads over every zone.
   *
   * @param minHealthyShare 0 to 1; 0 keeps requests in the zone while one endpoint there is healthy
   */
  public static EndpointStrategy zoneAware(
      String zone, double minHealthyShare, EndpointStrategy within) {
    return new ZoneAwareStrategy(zone, checkShare(minHealthyShare), within);
  }

  /** {@link #panicThreshold(double, EndpointStrategy)} at Envoy's default of 50 %. */
  public static EndpointStrategy panicThreshold(EndpointStrategy within) {
    return panicThreshold(DEFAULT_PANIC_THRESHOLD, within);
  }

  /**
   * Panic mode, as Envoy and Nacos do: when fewer than {@code minHealthyShare} of the routable
   * endpoints are healthy, the registry's health is probably wrong (a network glitch between the
   * instances and the registry) or the few healthy ones would be crushed, so requests are spread
   * over every routable endpoint, healthy or not. Weight 0 and DRAINING still get nothing.
   *
   * @param minHealthyShare 0 to 1; 0 never panics
   */
  public static EndpointStrategy panicThreshold(double minHealthyShare, EndpointStrategy within) {
    return new PanicThresholdStrategy(checkShare(minHealthyShare), within);
  }

  private static Supplier<RandomGenerator> fixed(RandomGenerator random) {
    if (random == null) {
      throw new IllegalArgumentException("random is null");
    }
    return () -> random;
  }

  private static double checkShare(double share) {
    if (!(share >= 0 && share <= 1)) {
      throw new IllegalArgumentException("share must be between 0 and 1, got " + share);
    }
    return share;
  }
}
