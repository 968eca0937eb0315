package io.roster.bench;

/**
 * A figure read from a node (its heap, its metrics), or why it could not be read: the phase reports
 * the reason in place of the figure. Immutable.
 *
 * @param value the figure, or null when unread
 * @param unreadReason why it was not read, or null when it was
 */
record NodeReading<T>(T value, String unreadReason) {
  static <T> NodeReading<T> of(T value) {
    return new NodeReading<>(value, null);
  }

  static <T> NodeReading<T> unread(String reason) {
    return new NodeReading<>(null, reason);
  }

  boolean read() {
    return value != null;
  }
}
