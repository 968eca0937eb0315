package io.roster.bench;

/**
 * One kind of load the bench can apply, measured on its own. A new phase is a class implementing
 * this, listed in {@link Phases}.
 *
 * <p>Contract: {@link #run} returns by itself within a bound it states, whatever the cluster does
 * (every loop is bounded in count and in time), stops early when {@link BenchContext#stopRequested}
 * turns true, and leaves no stream open. What it registers it adds to {@link
 * BenchContext#registered}, so the run deregisters it at the end.
 *
 * <p>Threading: {@link #run} is called on the bench's main thread.
 */
interface Phase {
  /** The name used in {@code --phases} and in the results. */
  String name();

  /**
   * Whether the phase works on the registered population. When it does and {@code register} was not
   * asked for, the runner runs {@code register} first anyway.
   */
  boolean needsPopulation();

  PhaseResult run(BenchContext context) throws InterruptedException;
}
