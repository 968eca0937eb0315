package io.roster.node.domain;

import java.nio.charset.StandardCharsets;
import java.util.Collection;

/**
 * An order-independent 64-bit digest of a set of (instance, epoch) pairs: the instances a service
 * lists and the leases it holds are compared by digest first, so the leader's look for instances
 * that lost their lease moves one number per service, and lists only where the two differ.
 */
public final class LeaseDigest {

  private LeaseDigest() {}

  /** The digest of one (instance, epoch) pair; a set's digest is the sum of its pairs'. */
  public static long of(String instanceId, long epoch) {
    long hash = 0xcbf29ce484222325L; // FNV-1a over the id's bytes, then mixed with the epoch
    for (byte b : instanceId.getBytes(StandardCharsets.UTF_8)) {
      hash = (hash ^ (b & 0xff)) * 0x100000001b3L;
    }
    return mix(hash ^ mix(epoch + 0x9e3779b97f4a7c15L));
  }

  /** The digest of what a service lists: each instance with its epoch. */
  public static long ofInstances(Collection<InstanceRecord> instances) {
    long sum = 0;
    for (InstanceRecord instance : instances) {
      sum += of(instance.instanceId(), instance.epoch());
    }
    return sum;
  }

  /** The finalizer of SplitMix64. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
