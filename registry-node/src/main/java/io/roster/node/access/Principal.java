package io.roster.node.access;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * Who made a call, and the roles it holds in each namespace ({@value #ANY_NAMESPACE}: every
 * namespace, for operators).
 *
 * @param name how the principal is named in the access file, in logs and in messages
 * @param roles roles by namespace
 */
public record Principal(String name, Map<String, Set<Role>> roles) {

  /** The namespace entry that stands for every namespace. */
  public static final String ANY_NAMESPACE = "*";

  /** Who a node serves when access control is off: everyone may do everything. */
  public static final Principal ANYONE =
      new Principal("anyone", Map.of(ANY_NAMESPACE, EnumSet.of(Role.ADMIN)));

  public Principal {
    roles = Map.copyOf(roles);
  }

  /** Whether this principal may do what {@code wanted} allows in {@code namespace}. */
  public boolean may(Role wanted, String namespace) {
    return holds(roles.get(namespace), wanted) || holds(roles.get(ANY_NAMESPACE), wanted);
  }

  private static boolean holds(Set<Role> held, Role wanted) {
    if (held == null) {
      return false;
    }
    for (Role role : held) {
      if (role.covers(wanted)) {
        return true;
      }
    }
    return false;
  }
}
