package io.roster.node.config;

import java.util.Arrays;

/**
 * The secret every node of one cluster shares (key {@code cluster.secret-file}: a file holding it),
 * with which each node proves to the others that it is one of them. Never printed: {@link
 * #toString} says only whether one is set, so a configuration logged whole leaks nothing.
 */
public final class ClusterSecret {

  /** Fewest bytes a secret may have: 128 bits, hex- or base64-encoded or not. */
  public static final int MIN_BYTES = 16;

  private static final ClusterSecret NONE = new ClusterSecret(new byte[0]);

  private final byte[] bytes;

  private ClusterSecret(byte[] bytes) {
    this.bytes = bytes;
  }

  /** No secret: nodes tell each other apart from strangers by their attributes only. */
  public static ClusterSecret none() {
    return NONE;
  }

  public static ClusterSecret of(byte[] bytes) {
    if (bytes.length < MIN_BYTES) {
      throw new IllegalArgumentException(
          "a cluster secret needs at least " + MIN_BYTES + " bytes, got " + bytes.length);
    }
    return new ClusterSecret(bytes.clone());
  }

  public boolean isSet() {
    return bytes.length > 0;
  }

  /** A copy of the secret's bytes. */
  public byte[] bytes() {
    return bytes.clone();
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof ClusterSecret secret && Arrays.equals(secret.bytes, bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return isSet() ? "ClusterSecret[set]" : "ClusterSecret[none]";
  }
}
