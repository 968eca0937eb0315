package io.roster.node.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link ServiceChangeBenchmark}'s setup and methods on every size it runs: each owner change must
 * be read back as a difference of exactly that change, and each view change must be told as one
 * visible change and leave the view where the owner's state went. No timing here.
 */
@Timeout(60)
class ServiceChangeWorkTest {

  @ParameterizedTest
  @ValueSource(ints = {10, 1000, 10000, 50000})
  void eachChangeIsReadAsOneDifference(int instances) {
    ServiceChangeBenchmark benchmark = new ServiceChangeBenchmark();
    benchmark.instances = instances;
    benchmark.setUp();

    for (int j = 0; j < 8; j++) {
      ServiceDelta delta = benchmark.ownerChange();
      assertFalse(delta.snapshot());
      assertEquals(1, delta.upserts().size() + delta.removals().size(), "change " + j);
      assertEquals(benchmark.state().revision(), delta.revision());
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {10, 1000, 10000, 50000})
  void eachDifferenceIsToldAsOneChange(int instances) {
    ServiceChangeBenchmark benchmark = new ServiceChangeBenchmark();
    benchmark.instances = instances;
    benchmark.setUp();

    for (int j = 0; j < ServiceChangeBenchmark.CHANGES; j++) {
      List<InstanceChange> changes = benchmark.viewChange();
      assertEquals(1, changes.size(), "change " + j);
    }
    ServiceState recorded = benchmark.recordedAfterAllChanges();
    assertEquals(
        ServiceView.empty(ServiceChangeBenchmark.SERVICE).apply(recorded.snapshot()),
        benchmark.view());
  }
}
