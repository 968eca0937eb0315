package io.roster.node.domain;

/** Identifies one instance of one service. */
public record InstanceKey(String namespace, String service, String instanceId) {

  public ServiceKey serviceKey() {
    return new ServiceKey(namespace, service);
  }

  /** {@code namespace/service/instance_id}. */
  @Override
  public String toString() {
    return namespace + "/" + service + "/" + instanceId;
  }
}
