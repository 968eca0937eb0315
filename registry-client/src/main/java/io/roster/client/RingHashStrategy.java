package io.roster.client;

import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * Consistent hashing on a ring, as Envoy's ring_hash: each endpoint owns points on a 64-bit ring in
 * proportion to its weight, a key goes to the first point at or after its hash. Points are placed
 * by the hash of the instance id, so they stay put while the endpoint is listed, whatever else
 * changes.
 */
final class RingHashStrategy extends BalancingStrategy {

  static final int DEFAULT_MIN_RING_SIZE = 1024;

  /** Bounds the memory of one ring (12 bytes a point), as Envoy's maximum_ring_size does. */
  static final int MAX_RING_SIZE = 1 << 20;

  private final int minRingSize;
  private final Supplier<RandomGenerator> random;

  RingHashStrategy(int minRingSize, Supplier<RandomGenerator> random) {
    if (minRingSize < 1 || minRingSize > MAX_RING_SIZE) {
      throw new IllegalArgumentException(
          "minRingSize must be 1-" + MAX_RING_SIZE + ", got " + minRingSize);
    }
    this.minRingSize = minRingSize;
    this.random = random;
  }

  @Override
  EndpointPicker balance(List<ServiceInstance> targets) {
    long totalWeight = 0;
    for (ServiceInstance target : targets) {
      totalWeight += target.weight();
    }
    int ringSize = Math.min(MAX_RING_SIZE, Math.max(minRingSize, targets.size()));
    int[] pointsOf = new int[targets.size()];
    int points = 0;
    for (int i = 0; i < pointsOf.length; i++) {
      pointsOf[i] =
          (int) Math.max(1, Math.round((double) targets.get(i).weight() * ringSize / totalWeight));
      points += pointsOf[i];
    }
    Point[] ring = new Point[points];
    int next = 0;
    for (int i = 0; i < pointsOf.length; i++) {
      String id = targets.get(i).instanceId();
      for (int p = 0; p < pointsOf[i]; p++) {
        ring[next++] = new Point(hash(id + "_" + p), i);
      }
    }
    Arrays.sort(ring, (x, y) -> Long.compareUnsigned(x.hash, y.hash));
    long[] hashes = new long[points];
    int[] owners = new int[points];
    for (int i = 0; i < points; i++) {
      hashes[i] = ring[i].hash;
      owners[i] = ring[i].owner;
    }
    ServiceInstance[] byIndex = targets.toArray(ServiceInstance[]::new);
    return hashKey -> {
      long h = hashKey == null ? random.get().nextLong() : hash(hashKey);
      return new SimplePick(byIndex[owners[firstAtOrAfter(hashes, h)]]);
    };
  }

  private record Point(long hash, int owner) {}

  /** Index of the first point whose hash is at or after {@code h}, wrapping to 0. */
  private static int firstAtOrAfter(long[] hashes, long h) {
    int low = 0;
    int high = hashes.length;
    while (low < high) {
      int mid = (low + high) >>> 1;
      if (Long.compareUnsigned(hashes[mid], h) < 0) {
        low = mid + 1;
      } else {
        high = mid;
      }
    }
    return low == hashes.length ? 0 : low;
  }

  /** 64-bit FNV-1a over the chars, then MurmurHash3's finalizer so that near keys spread out. */
  static long hash(String key) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < key.length(); i++) {
      h ^= key.charAt(i);
      h *= 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }
}
