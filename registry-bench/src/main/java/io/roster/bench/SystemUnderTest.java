package io.roster.bench;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A registry the bench measures ({@code --systems}): Roster, the running cluster at {@code
 * --targets}; or a peer, etcd or ZooKeeper, which the bench starts itself ({@link PeerRunner}).
 * Measured one after the other, in this order, into one table.
 */
enum SystemUnderTest {
  ROSTER("roster"),
  ETCD("etcd"),
  ZOOKEEPER("zookeeper");

  /** The phases a peer has: the ones of a simple client ({@code --calls closed-loop}). */
  static final List<String> PEER_PHASES =
      List.of(RegisterPhase.NAME, HeartbeatPhase.NAME, DiscoverPhase.NAME);

  private final String label;

  SystemUnderTest(String label) {
    this.label = label;
  }

  /** The name used in {@code --systems} and in the results. */
  String label() {
    return label;
  }

  boolean isPeer() {
    return this != ROSTER;
  }

  /**
   * The systems named in {@code names}, in run order.
   *
   * @throws IllegalArgumentException naming the systems, for an unknown or repeated name
   */
  static List<SystemUnderTest> parse(List<String> names) {
    Set<SystemUnderTest> named = EnumSet.noneOf(SystemUnderTest.class);
    for (String name : names) {
      SystemUnderTest system = null;
      for (SystemUnderTest candidate : values()) {
        if (candidate.label.equals(name.trim().toLowerCase(Locale.ROOT))) {
          system = candidate;
        }
      }
      if (system == null) {
        throw new IllegalArgumentException(
            "unknown system '" + name + "' in --systems: give roster, etcd or zookeeper");
      }
      if (!named.add(system)) {
        throw new IllegalArgumentException("--systems names " + system.label + " twice");
      }
    }
    if (named.isEmpty()) {
      throw new IllegalArgumentException("--systems names no system");
    }
    return new ArrayList<>(named);
  }
}
