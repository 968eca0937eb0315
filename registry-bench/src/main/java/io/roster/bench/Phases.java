package io.roster.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/** Every phase by name, in the order a run goes through them. */
final class Phases {
  private static final Map<String, Supplier<Phase>> ALL = new LinkedHashMap<>();

  static {
    ALL.put(RegisterPhase.NAME, RegisterPhase::new);
    ALL.put(HeartbeatPhase.NAME, HeartbeatPhase::new);
    ALL.put(DiscoverPhase.NAME, DiscoverPhase::new);
    ALL.put(AtRestPhase.NAME, AtRestPhase::new);
    ALL.put(SizeSweepPhase.NAME, SizeSweepPhase::new);
    ALL.put(PropagationPhase.NAME, PropagationPhase::new);
    ALL.put(SlowWatchersPhase.NAME, SlowWatchersPhase::new);
    ALL.put(FailureDetectionPhase.NAME, FailureDetectionPhase::new);
    ALL.put(ScalePhase.NAME, ScalePhase::new);
    ALL.put(ProtectionPhase.NAME, ProtectionPhase::new);
    ALL.put(FloodPhase.NAME, FloodPhase::new);
  }

  private Phases() {}

  static List<String> names() {
    return new ArrayList<>(ALL.keySet());
  }

  /**
   * The phases asked for, in run order, with {@code register} added when a phase needs the
   * population.
   *
   * @throws IllegalArgumentException naming an unknown phase and the known ones
   */
  static List<String> plan(List<String> requested) {
    for (String name : requested) {
      if (!ALL.containsKey(name)) {
        throw new IllegalArgumentException(
            "unknown phase '" + name + "'; phases: " + String.join(", ", ALL.keySet()));
      }
    }
    List<String> plan = new ArrayList<>();
    for (String name : ALL.keySet()) {
      if (requested.contains(name)) {
        plan.add(name);
      }
    }
    boolean needsPopulation = plan.stream().anyMatch(name -> create(name).needsPopulation());
    if (needsPopulation && !plan.contains(RegisterPhase.NAME)) {
      plan.add(0, RegisterPhase.NAME);
    }
    return plan;
  }

  static Phase create(String name) {
    Supplier<Phase> phase = ALL.get(name);
    if (phase == null) {
      throw new IllegalArgumentException("unknown phase '" + name + "'");
    }
    return phase.get();
  }
}
