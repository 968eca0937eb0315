package io.roster.node.access;

import java.util.Locale;

/**
 * What a principal may do in a namespace. {@link #ADMIN} includes the other two; {@link #REGISTER}
 * does not include {@link #READ}: a service that registers and also discovers others is given both,
 * and one that only registers cannot list the namespace.
 */
public enum Role {
  /** Discover, Watch, ListServices. */
  READ,
  /** Register, KeepAlive, Heartbeat; Deregister and SetStatus of the registrations it made. */
  REGISTER,
  /** Any instance of the namespace, cluster status details, and everything the others may. */
  ADMIN;

  /** Whether holding this role allows what {@code wanted} allows. */
  public boolean covers(Role wanted) {
    return this == wanted || this == ADMIN;
  }

  /** The role's name as written in the access file and in messages: "read", "register", "admin". */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The role named {@code label}, or null. */
  static Role parse(String label) {
    for (Role role : values()) {
      if (role.label().equals(label)) {
        return role;
      }
    }
    return null;
  }
}
