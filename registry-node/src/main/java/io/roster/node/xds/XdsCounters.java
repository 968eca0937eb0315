package io.roster.node.xds;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the node's xDS streams did: responses sent, and those clients accepted (ACK) or refused
 * (NACK), per resource type. A NACK means a client does not accept what the node made: alert on
 * any.
 *
 * <p>Thread-safe.
 */
public final class XdsCounters {

  private final Map<ResourceType, LongAdder> sent = adders();
  private final Map<ResourceType, LongAdder> accepted = adders();
  private final Map<ResourceType, LongAdder> rejected = adders();

  public void sent(ResourceType type) {
    sent.get(type).increment();
  }

  public void accepted(ResourceType type) {
    accepted.get(type).increment();
  }

  public void rejected(ResourceType type) {
    rejected.get(type).increment();
  }

  /** {@code roster_xds_responses_total{type,outcome}}: sent, accepted, rejected. */
  public void register(MeterRegistry meters) {
    for (ResourceType type : ResourceType.values()) {
      String tag = type.shortName().toLowerCase(Locale.ROOT);
      for (Map.Entry<String, Map<ResourceType, LongAdder>> outcome :
          Map.of("sent", sent, "accepted", accepted, "rejected", rejected).entrySet()) {
        LongAdder adder = outcome.getValue().get(type);
        FunctionCounter.builder("roster.xds.responses", adder, LongAdder::sum)
            .tag("type", tag)
            .tag("outcome", outcome.getKey())
            .description(
                "xDS responses this node sent, and those its clients accepted (ACK) or rejected"
                    + " (NACK)")
            .register(meters);
      }
    }
  }

  private static Map<ResourceType, LongAdder> adders() {
    Map<ResourceType, LongAdder> adders = new EnumMap<>(ResourceType.class);
    for (ResourceType type : ResourceType.values()) {
      adders.put(type, new LongAdder());
    }
    return adders;
  }
}
