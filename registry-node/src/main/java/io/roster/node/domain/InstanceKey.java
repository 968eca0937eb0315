package io.roster.node.domain;

/** Identifies one instance of one service. */
public record InstanceKey(String namespace, String service, String instanceId) {

  public ServiceKey serviceKey() {
    return new ServiceKey(namespace, service);
  }

  /**
   * The lease id handed to clients. It names the instance, so a heartbeat finds its lease without a
   * lookup; clients treat it as opaque.
   */
  public String leaseId() {
    return namespace + "/" + service + "/" + instanceId;
  }

  @Override
  public String toString() {
    return leaseId();
  }
}
