package io.roster.client.grpc;

import io.grpc.Attributes;
import io.grpc.EquivalentAddressGroup;

/**
 * What {@link RosterNameResolverProvider}'s resolver attaches to each address it hands the channel,
 * for load-balancing policies: the {@link RosterWeightedLoadBalancerProvider roster_weighted}
 * policy reads {@link #WEIGHT}; a custom policy may read the others.
 */
public final class RosterAttributes {

  /** The instance's weight (1-10000; instances of weight 0 are never handed over). */
  @EquivalentAddressGroup.Attr
  public static final Attributes.Key<Integer> WEIGHT = Attributes.Key.create("io.roster.weight");

  /** The instance's zone; empty when it has none. */
  @EquivalentAddressGroup.Attr
  public static final Attributes.Key<String> ZONE = Attributes.Key.create("io.roster.zone");

  /** The instance id within its service. */
  @EquivalentAddressGroup.Attr
  public static final Attributes.Key<String> INSTANCE_ID =
      Attributes.Key.create("io.roster.instance-id");

  private RosterAttributes() {}
}
