package io.roster.bench;

import io.roster.v1.Instance;
import io.roster.v1.RegisterRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * The protection phase's fleet, by index: the population of {@code instances} over {@code services}
 * services and zone-a, -b and -c, then the service that dies. Names and requests only; no state.
 */
final class ProtectionInstances {
  static final String DEAD_SERVICE = "protect-dead";

  private ProtectionInstances() {}

  /** Instance {@code index} of the fleet: population first, then the service that dies. */
  static RegisterRequest request(BenchConfig config, int index) {
    ProtectionConfig sizes = config.protection();
    boolean dead = index >= sizes.instances();
    int k = dead ? index - sizes.instances() : index;
    RegisterRequest.Builder request =
        RegisterRequest.newBuilder()
            .setInstance(
                Instance.newBuilder()
                    .setNamespace(config.namespace())
                    .setService(serviceOf(sizes, index))
                    .setInstanceId(instanceId(sizes, index))
                    .setHost(
                        String.format("10.%d.%d.%d", dead ? 251 : 252, (k >> 8) & 0xff, k & 0xff))
                    .setPort(8080)
                    .setZone(zoneOf(sizes, index))
                    .putMetadata("bench", "protection"));
    if (sizes.leaseTtlMillis() > 0) {
      request.setLeaseTtl(BenchContext.duration(sizes.leaseTtlMillis()));
    }
    return request.build();
  }

  static String serviceOf(ProtectionConfig sizes, int index) {
    return index >= sizes.instances()
        ? DEAD_SERVICE
        : String.format("protect-%04d", index % sizes.services());
  }

  static String instanceId(ProtectionConfig sizes, int index) {
    return index >= sizes.instances()
        ? String.format("d-%05d", index - sizes.instances())
        : String.format("p-%06d", index);
  }

  /**
   * zone-a, -b or -c: the population cycles through them every {@code services} instances, so every
   * service (which takes every {@code services}-th instance) spans the three zones.
   */
  static String zoneOf(ProtectionConfig sizes, int index) {
    int turn = index >= sizes.instances() ? index - sizes.instances() : index / sizes.services();
    return "zone-" + (char) ('a' + turn % 3);
  }

  /** The population's instances in {@code zone-<letter>}, ascending. */
  static int[] zoneIndices(ProtectionConfig sizes, char letter) {
    String zone = "zone-" + letter;
    List<Integer> indices = new ArrayList<>();
    for (int i = 0; i < sizes.instances(); i++) {
      if (zoneOf(sizes, i).equals(zone)) {
        indices.add(i);
      }
    }
    return indices.stream().mapToInt(i -> i).toArray();
  }
}
