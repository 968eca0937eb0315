package io.roster.node.domain;

/**
 * The registry's incarnation as this node knows it: a number set when the cluster forms with no
 * data, carried with every revision, since revisions count from 0 again in each incarnation.
 */
@FunctionalInterface
public interface Incarnation {

  long current();

  /** An incarnation that never changes: a registry that lives and dies with one process. */
  static Incarnation fixed(long incarnation) {
    return () -> incarnation;
  }
}
