package io.roster.node.domain;

/**
 * A registration refused because its instance id is registered by another principal, which only an
 * admin of the namespace may take over.
 */
public final class OwnedByAnotherException extends RuntimeException {

  public OwnedByAnotherException(InstanceKey key) {
    super(
        "instance "
            + key.service()
            + "/"
            + key.instanceId()
            + " in namespace \""
            + key.namespace()
            + "\" is registered by another principal: register it under another instance id, or"
            + " ask an admin of the namespace to deregister it",
        null,
        false,
        false);
  }
}
