package io.roster.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/** The declarations of one protection scenario's silent instances. Main thread only. */
final class ScenarioDeclarations {
  final int[] indices;
  private final Set<Integer> covered = new HashSet<>();
  private final List<HealthWatch.Declaration> declarations = new ArrayList<>();
  private final Set<Integer> declaredIndices = new HashSet<>();
  private final AtomicInteger declaredCount = new AtomicInteger();

  ScenarioDeclarations(int[] indices) {
    this.indices = indices;
    for (int index : indices) {
      covered.add(index);
    }
  }

  boolean covers(int index) {
    return covered.contains(index);
  }

  void declared(HealthWatch.Declaration declaration) {
    declarations.add(declaration);
    if (declaredIndices.add(declaration.index())) {
      declaredCount.incrementAndGet();
    }
  }

  /** Distinct instances declared; any thread (the progress line reads it). */
  int declaredCount() {
    return declaredCount.get();
  }

  List<HealthWatch.Declaration> declarations() {
    return declarations;
  }

  /** When each of {@code indices} was first seen unhealthy, in the same order; unset: never. */
  long[] firstSeenNanos() {
    long[] seen = new long[indices.length];
    Arrays.fill(seen, Long.MIN_VALUE);
    Map<Integer, Integer> position = new HashMap<>();
    for (int i = 0; i < indices.length; i++) {
      position.put(indices[i], i);
    }
    for (HealthWatch.Declaration declaration : declarations) {
      Integer at = position.get(declaration.index());
      if (at != null && seen[at] == Long.MIN_VALUE) {
        seen[at] = declaration.seenNanos();
      }
    }
    return seen;
  }
}
