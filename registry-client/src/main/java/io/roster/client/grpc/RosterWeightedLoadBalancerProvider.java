package io.roster.client.grpc;

import io.grpc.LoadBalancer;
import io.grpc.LoadBalancerProvider;
import io.grpc.NameResolver.ConfigOrError;
import java.util.Map;

/**
 * The {@value #POLICY_NAME} load-balancing policy for grpc-java, registered through {@code
 * META-INF/services}: smooth weighted round-robin over the ready endpoints, by the {@link
 * RosterAttributes#WEIGHT} the Roster resolver attaches (the stock {@code round_robin} ignores
 * weights). The Roster resolver selects it by default; it takes no configuration.
 */
public final class RosterWeightedLoadBalancerProvider extends LoadBalancerProvider {

  /** The policy name, as used in a service config's {@code loadBalancingConfig}. */
  public static final String POLICY_NAME = "roster_weighted";

  @Override
  public boolean isAvailable() {
    return true;
  }

  @Override
  public int getPriority() {
    return 5;
  }

  @Override
  public String getPolicyName() {
    return POLICY_NAME;
  }

  @Override
  public LoadBalancer newLoadBalancer(LoadBalancer.Helper helper) {
    return new RosterWeightedLoadBalancer(helper);
  }

  @Override
  public ConfigOrError parseLoadBalancingPolicyConfig(Map<String, ?> rawConfig) {
    return ConfigOrError.fromConfig(POLICY_NAME);
  }
}
